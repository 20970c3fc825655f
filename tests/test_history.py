"""Every change to a layer is in its append-only history, and a manager can restore an earlier version."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotate.models import AnnotationEvent, Membership
from annotate.services import annotating
from annotate.services.restoring import restore

from .factories import api_client, make_article, make_assignment, make_entity, make_user

pytestmark = pytest.mark.django_db
TEXT = "Bellouan said 🌍 the plan works. France backs the plan."


def state(layer):
    """The layer's content, as comparable values."""
    layer.refresh_from_db()
    spans = {s.pk: (s.label.name, s.start, s.end, s.entity_id, tuple(sorted(s.attributes.items())))
             for s in layer.spans.select_related("label")}
    return (
        sorted(spans.items()),
        sorted((r.pk, r.type.name, r.from_span_id, r.to_span_id) for r in layer.relations.select_related("type")),
        sorted((s.pk, s.holder_span_id, s.polarity.name, tuple(sorted(e.pk for e in s.evidence.all())))
               for s in layer.stances.select_related("polarity")),
    )


@pytest.fixture
def layer(project, annotator_a):
    return annotating.open_layer(assignment=make_assignment(make_article(project, text=TEXT), annotator_a))


def test_every_write_is_recorded_with_who_before_and_after(layer, annotator_a):
    span = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=8,
                               actor=annotator_a)
    annotating.update_span(span=span, expected_version=2, label="CLAIM", actor=annotator_a)
    annotating.delete_span(span=span, expected_version=3, actor=annotator_a)
    events = list(layer.events.order_by("version"))
    assert [(e.version, e.action, e.actor) for e in events] == [
        (2, "span.add", annotator_a), (3, "span.update", annotator_a), (4, "span.delete", annotator_a)]
    label_ids = dict(layer.article.project.labels.values_list("name", "pk"))
    assert events[1].before["label"] == label_ids["SOURCE"] and events[1].after["label"] == label_ids["CLAIM"]
    assert events[2].before["span"]["text"] == "Bellouan"


def test_history_is_append_only(layer, annotator_a):
    annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=8, actor=annotator_a)
    event = AnnotationEvent.objects.get()
    event.action = "forged"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()


def test_restore_rebuilds_an_earlier_state_and_can_itself_be_undone(project, layer, annotator_a):
    entity = make_entity(project, "Hassan Bellouan")
    source = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=8, entity=entity)
    start = TEXT.index("the plan works")
    quote = annotating.add_span(annotation=layer, expected_version=2, label="QUOTE", start=start, end=start + 14,
                                attributes={"quote_type": "direct"})
    annotating.add_relation(annotation=layer, expected_version=3, type="ATTRIBUTED_TO", from_span=quote,
                            to_span=source)
    france = annotating.add_span(annotation=layer, expected_version=4, label="SOURCE", start=TEXT.index("France"),
                                 end=TEXT.index("France") + 6)
    annotating.add_stance(annotation=layer, expected_version=5, holder_span=france, polarity="favor",
                          target="Moroccan sovereignty over Western Sahara", evidence=[quote])
    at_six = state(layer)
    # Later: bounds change, a stance flips, the quote goes (taking the relation and the evidence link).
    annotating.update_span(span=source, expected_version=6, start=0, end=6, entity=None)
    stance = layer.stances.get()
    annotating.update_stance(stance=stance, expected_version=7, polarity="against")
    annotating.delete_span(span=layer.spans.get(pk=quote.pk), expected_version=8)
    annotating.delete_span(span=layer.spans.get(pk=france.pk), expected_version=9)  # takes the stance along
    at_ten = state(layer)
    assert at_ten != at_six

    restore(annotation=layer, version=6, expected_version=10)
    assert state(layer) == at_six and layer.version == 11
    restore(annotation=layer, version=10, expected_version=layer.version)  # undo the restore
    assert state(layer) == at_ten


def test_restore_checks_versions(layer):
    annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=8)
    with pytest.raises(annotating.StaleVersion):
        restore(annotation=layer, version=1, expected_version=1)
    with pytest.raises(ValidationError):
        restore(annotation=layer, version=2, expected_version=2)


def test_manager_restores_from_admin_and_others_cannot(client, project, layer):
    annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=8)
    manager = make_user("mona", is_staff=True)
    Membership.objects.create(project=project, user=manager, role=Membership.Role.MANAGER)
    reviewer = make_user("rick", is_staff=True)
    Membership.objects.create(project=project, user=reviewer, role=Membership.Role.REVIEWER)
    url = reverse("admin:annotate_annotation_restore", args=[layer.pk])
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    page = client.get(url)
    assert page.status_code == 200 and "span.add" in page.content.decode()
    response = client.post(url, {"version": 1})
    assert response.status_code == 302
    assert layer.spans.count() == 0 and layer.events.filter(action="restore").exists()


def test_api_history_and_restore(project, layer, annotator_a, manager, reviewer):
    client = api_client(annotator_a)
    client.post(reverse("api:span-list", args=[layer.pk]), {"label": "SOURCE", "start": 0, "end": 8, "version": 1},
                format="json")
    history = client.get(reverse("api:annotation-history", args=[layer.pk])).json()
    assert [(e["version"], e["action"], e["actor"]) for e in history] == [(2, "span.add", "anna")]
    url = reverse("api:annotation-restore", args=[layer.pk])
    assert client.post(url, {"to_version": 1, "version": 2}, format="json").status_code == 403
    assert api_client(reviewer).post(url, {"to_version": 1}, format="json", HTTP_IF_MATCH='"2"').status_code == 403
    done = api_client(manager).post(url, {"to_version": 1, "version": 2}, format="json")
    assert done.status_code == 200 and done.json()["spans"] == []
