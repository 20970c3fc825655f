"""Every door writes through the services, into a history nothing can rewrite.

Admin forms, imports that replace a layer, and deletes of whole layers are
recorded like the API's writes, so a restore brings back exactly the earlier
state; the database itself refuses to change or delete a history event.
"""
import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from annotate.models import Annotation, AnnotationEvent, Project, Span, Stance
from annotate.services import annotating
from annotate.services.editing import delete_layers
from annotate.services.restoring import restore
from synthetic.corpus import TARGETS

from .factories import api_client, make_article, make_assignment
from .test_admin import change_form_data, scene, url_of
from .test_history import state
from .test_import import run_import

pytestmark = pytest.mark.django_db
TEXT = "Bellouan said 🌍 the plan works. France backs the plan."


@pytest.fixture
def layer(project, annotator_a):
    return annotating.open_layer(assignment=make_assignment(make_article(project, text=TEXT), annotator_a))


def span_at(layer, label, fragment, version=None):
    start = TEXT.index(fragment)
    layer.refresh_from_db()
    return annotating.add_span(annotation=layer, expected_version=version or layer.version, label=label,
                               start=start, end=start + len(fragment))


# The database refuses ------------------------------------------------------------------


@pytest.fixture
def an_event(layer, annotator_a):
    span_at(layer, "SOURCE", "Bellouan")
    return AnnotationEvent.objects.get(annotation_id=layer.pk)


def refused(statement):
    with pytest.raises(IntegrityError), transaction.atomic():
        statement()


def test_queryset_update_and_delete_of_events_are_refused_by_the_database(an_event):
    refused(lambda: AnnotationEvent.objects.filter(pk=an_event.pk).update(action="forged"))
    refused(lambda: AnnotationEvent.objects.filter(pk=an_event.pk).delete())
    refused(lambda: AnnotationEvent.objects.all()._raw_delete(connection.alias))
    assert AnnotationEvent.objects.get(pk=an_event.pk).action == "span.add"


def test_raw_sql_update_and_delete_of_events_are_refused(an_event):
    table = connection.ops.quote_name(AnnotationEvent._meta.db_table)

    def execute(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql, [an_event.pk])

    refused(lambda: execute(f"UPDATE {table} SET action = 'forged' WHERE id = %s"))
    refused(lambda: execute(f"DELETE FROM {table} WHERE id = %s"))
    refused(lambda: execute(f"DELETE FROM {table} WHERE id >= %s"))
    assert AnnotationEvent.objects.filter(pk=an_event.pk, action="span.add").exists()


def test_a_layers_history_outlives_the_layer(layer, annotator_a):
    span_at(layer, "SOURCE", "Bellouan")
    pk = layer.pk
    delete_layers([layer], actor=annotator_a)
    assert not Annotation.objects.filter(pk=pk).exists()
    events = list(AnnotationEvent.objects.filter(annotation_id=pk).order_by("version", "id"))
    assert [e.action for e in events] == ["span.add", "layer.delete"]
    assert [s["text"] for s in events[-1].before["span"].values()] == ["Bellouan"]


def test_someone_who_made_changes_cannot_be_deleted_only_deactivated(layer, annotator_a, manager):
    span = span_at(layer, "SOURCE", "Bellouan")
    annotating.update_span(span=span, expected_version=2, label="CLAIM", actor=manager)
    with pytest.raises(ProtectedError):
        get_user_model().objects.filter(pk=manager.pk).delete()
    assert AnnotationEvent.objects.filter(actor=manager).count() == 1


# Admin edits are recorded and restorable -----------------------------------------------


def test_a_span_deleted_in_admin_comes_back_with_a_restore(admin_client, layer):
    span_at(layer, "SOURCE", "Bellouan")
    second = span_at(layer, "CLAIM", "France backs the plan")
    before = state(layer)
    assert admin_client.post(url_of(Span, "delete", second.pk), {"post": "yes"}).status_code == 302
    layer.refresh_from_db()
    assert layer.version == 4 and not Span.objects.filter(pk=second.pk).exists()
    delete = AnnotationEvent.objects.filter(annotation_id=layer.pk).order_by("-id").first()
    assert (delete.action, delete.version, delete.actor.username) == ("span.delete", 4, "admin")

    restore(annotation=layer, version=3, expected_version=4)
    assert state(layer) == before


def test_admin_bulk_delete_and_change_page_are_recorded_and_restorable(admin_client):
    objects = scene()
    layer = objects[Annotation]
    Annotation.objects.filter(pk=layer.pk).update(version=1)
    layer.refresh_from_db()
    original = state(layer)

    # The layer's change page: move the source span's end (an inline), then delete the relation (an inline).
    url = url_of(Annotation, "change", layer.pk)
    data = change_form_data(admin_client.get(url))
    index = next(i for i in range(3) if data[f"spans-{i}-id"] == objects[Span].pk)
    data[f"spans-{index}-end"], data[f"spans-{index}-text"] = 4, TEXT[:4]
    data["relations-0-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    layer.refresh_from_db()
    assert layer.version == 2
    actions = sorted(AnnotationEvent.objects.filter(annotation_id=layer.pk, version=2).values_list("action", flat=True))
    assert actions == ["relation.delete", "span.update"]

    # The changelist's bulk delete of the stance, then of every span (cascading what is left).
    admin_client.post(url_of(Stance, "changelist"), {"action": "delete_selected", "post": "yes",
                                                     "_selected_action": [objects[Stance].pk]})
    span_ids = list(Span.objects.filter(annotation=layer).values_list("pk", flat=True))
    admin_client.post(url_of(Span, "changelist"), {"action": "delete_selected", "post": "yes",
                                                   "_selected_action": span_ids})
    layer.refresh_from_db()
    assert layer.version == 4 and not layer.spans.exists()

    restore(annotation=layer, version=1, expected_version=4)
    assert state(layer) == original


def test_a_stances_evidence_changed_in_admin_is_recorded(admin_client):
    objects = scene()
    stance, layer = objects[Stance], objects[Annotation]
    version = layer.version
    response = admin_client.post(url_of(Stance, "change", stance.pk), {
        "annotation": layer.pk, "holder_span": stance.holder_span_id, "target": stance.target_id,
        "polarity": stance.polarity_id, "explicit": "on", "evidence": "",
    })
    assert response.status_code == 302, response.content
    event = AnnotationEvent.objects.filter(annotation_id=layer.pk).order_by("-id").first()
    assert event.action == "stance.update" and event.before["evidence"] and event.after["evidence"] == []
    assert Annotation.objects.get(pk=layer.pk).version == version + 1


# Replacing a layer by import --------------------------------------------------------------


def test_import_replace_keeps_the_layers_history_and_a_restore_undoes_it(project, annotator_a):
    record = {"external_id": "r1", "text": TEXT, "annotations": {
        "spans": [{"id": "s1", "label": "SOURCE", "start": 0, "end": 8}], "relations": [], "stances": []}}
    run_import([record], annotator=annotator_a)
    layer = Annotation.objects.get(annotator=annotator_a)
    assert [e.action for e in layer.events.all()] == ["import"]
    Annotation.objects.filter(pk=layer.pk).update(status=Annotation.Status.IN_PROGRESS)
    span_at(layer, "CLAIM", "France backs the plan", version=1)
    before = state(layer)

    start = TEXT.index("the plan works")
    record["annotations"]["spans"] = [{"id": "q", "label": "QUOTE", "start": start, "end": start + 14}]
    run_import([record], annotator=annotator_a, replace=True)
    replaced = Annotation.objects.get(annotator=annotator_a)
    assert replaced.pk == layer.pk and replaced.version == 3 and replaced.status == "submitted"
    assert [s.label.name for s in replaced.spans.all()] == ["QUOTE"]
    assert "import.replace" in {e.action for e in replaced.events.all()}

    restore(annotation=replaced, version=2, expected_version=3)
    assert state(replaced) == before
    assert Annotation.objects.get(pk=layer.pk).status == "in_progress"


# One lock for every write -------------------------------------------------------------------


def test_restore_without_a_version_is_a_400_like_every_other_write(layer, manager):
    span_at(layer, "SOURCE", "Bellouan")
    url = reverse("api:annotation-restore", args=[layer.pk])
    response = api_client(manager).post(url, {"to_version": 1}, format="json")
    assert response.status_code == 400 and "version" in response.json()
    stale = api_client(manager).post(url, {"to_version": 1, "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"


# The project's rule for stances without evidence, enforced at submit ------------------------


@pytest.fixture
def stance_without_evidence(layer):
    france = span_at(layer, "SOURCE", "France")
    layer.refresh_from_db()
    return annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=france,
                                 target=TARGETS[0], polarity="favor")


def submit(client, layer, **body):
    layer.refresh_from_db()
    return client.post(reverse("api:annotation-submit", args=[layer.pk]), {"version": layer.version, **body},
                       format="json")


def test_where_evidence_is_expected_submitting_without_it_needs_a_confirmation(layer, annotator_a,
                                                                                stance_without_evidence):
    client = api_client(annotator_a)
    refused = submit(client, layer)
    assert refused.status_code == 400
    assert f"id {stance_without_evidence.pk}" in refused.json()["evidence"][0]
    assert "confirm_missing_evidence" in refused.json()["evidence"][0]
    assert Annotation.objects.get(pk=layer.pk).status == "in_progress"
    assert submit(client, layer, confirm_missing_evidence=True).status_code == 200
    assert Annotation.objects.get(pk=layer.pk).status == "submitted"


def test_where_evidence_is_required_no_confirmation_submits_without_it(project, layer, annotator_a,
                                                                      stance_without_evidence):
    Project.objects.filter(pk=project.pk).update(stance_evidence=Project.Evidence.REQUIRED)
    client = api_client(annotator_a)
    refused = submit(client, layer, confirm_missing_evidence=True)
    assert refused.status_code == 400 and "requires evidence" in refused.json()["evidence"][0]
    assert Annotation.objects.get(pk=layer.pk).status == "in_progress"
    evidence = span_at(layer, "STANCE_EVIDENCE", "France backs the plan")
    layer.refresh_from_db()
    annotating.update_stance(stance=stance_without_evidence, expected_version=layer.version, evidence=[evidence])
    assert submit(client, layer).status_code == 200


def test_the_workspace_knows_the_projects_evidence_rule(client, layer, annotator_a):
    client.force_login(annotator_a)
    response = client.get(reverse("api:project-detail", args=[layer.article.project.slug]))
    assert response.json()["stance_evidence"] == "confirm"
