"""Bulk annotation from search (issue 15): preview, commit into layers or suggestions, retry, undo.

Runs on SQLite by default and on PostgreSQL with DATABASE_URL.
"""
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from annotate.models import AnnotationEvent, BulkOperation, Span, SuggestedSpan
from annotate.search import bulk
from annotate.services import annotating

from .factories import api_client, make_annotation, make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db

ONE = "The Polisario Front rejected the plan. Later the Polisario Front called for talks."
TWO = "A statement by the Polisario Front on the referendum."
THREE = "Rabat welcomed the plan; the Polisario Front was silent."
NONE = "Nothing about it here."


def at(text, part, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return start, start + len(part)


def version(layer):
    layer.refresh_from_db(fields=["version"])
    return layer.version


@pytest.fixture
def world(project, annotator_a, annotator_b, reviewer, manager):
    polisario = make_entity(project, "Polisario Front")
    one = make_article(project, text=ONE, language="en")
    two = make_article(project, text=TWO, language="en")
    three = make_article(project, text=THREE, language="en")
    make_article(project, text=NONE, language="en")
    layer_a = annotating.open_layer(assignment=make_assignment(one, annotator_a))
    layer_b = annotating.open_layer(assignment=make_assignment(one, annotator_b))
    layer_two = annotating.open_layer(assignment=make_assignment(two, annotator_a))
    # anna marked the first mention already: the bulk operation skips it in her layer.
    start, end = at(ONE, "Polisario Front")
    by_hand = annotating.add_span(annotation=layer_a, expected_version=1, label="SOURCE", start=start, end=end)
    # three's gold is adjudicated: closed, left alone.
    closed = make_annotation(three, is_gold=True, status="adjudicated")
    make_assignment(three, annotator_b, status="submitted")
    return dict(project=project, polisario=polisario, one=one, two=two, three=three, layer_a=layer_a,
                layer_b=layer_b, layer_two=layer_two, by_hand=by_hand, closed=closed, anna=annotator_a,
                ben=annotator_b, rita=reviewer, max=manager)


def run(world, *, preview=False, into="layers", q='"Polisario Front"', user="rita", **extra):
    url = reverse("api:search-annotate", args=[world["project"].slug])
    body = {"q": q, "label": "SOURCE", "entity": world["polisario"].pk, "into": into, "preview": preview, **extra}
    return api_client(world[user]).post(url, body, format="json")


def test_preview_counts_and_writes_nothing(world):
    spans, events = Span.objects.count(), AnnotationEvent.objects.count()
    response = run(world, preview=True)
    assert response.status_code == 200, response.content
    counts = response.json()["counts"]
    # 4 hits in 3 articles; one: 2 hits x 2 layers, one held already by anna; two: 1 hit x 1 layer;
    # three: its only layer is adjudicated gold (closed).
    assert counts["hits"] == 4 and counts["articles"] == 3
    assert (counts["new"], counts["present"], counts["layers"]) == (4, 1, 3)
    assert counts["closed"] == 1 and counts["without_layer"] == 1
    sample = response.json()["sample"]
    assert [hit["text"] for hit in sample] == ["Polisario Front"] * 4
    assert sample[0]["context"]["hit"] == "Polisario Front"
    assert (Span.objects.count(), AnnotationEvent.objects.count()) == (spans, events)
    assert not BulkOperation.objects.exists()


def test_preview_query_count_is_bounded(world, django_assert_max_num_queries):
    # The search's vocabulary look-ups and index query, the articles (one batch), their layers, the spans
    # they hold, the label and the source: a dozen at most, whatever the number of hits.
    with django_assert_max_num_queries(14):
        found = bulk.preview(project=world["project"], user=world["rita"], q='"Polisario Front"', label="SOURCE",
                             into="layers", entity=world["polisario"].pk)
    assert found.counts.hits == 4


def test_commit_into_layers_goes_through_the_write_path(world):
    before = {name: version(world[name]) for name in ("layer_a", "layer_b", "layer_two")}
    response = run(world)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["counts"]["new"] == 4 and body["status"] == "applied"
    operation = BulkOperation.objects.get(pk=body["id"])
    added = Span.objects.filter(provenance__0__operation=operation.pk)
    assert added.count() == 4
    assert {span.entity_id for span in added} == {world["polisario"].pk}
    assert {span.text for span in added} == {"Polisario Front"}
    assert added.first().provenance == [{"search": '"Polisario Front"', "operation": operation.pk, "by": "rita"}]
    # Each layer's version went up once per span, and the history has each span.add by rita.
    assert version(world["layer_a"]) == before["layer_a"] + 1  # one of its two hits was there already
    assert version(world["layer_b"]) == before["layer_b"] + 2
    assert version(world["layer_two"]) == before["layer_two"] + 1
    events = AnnotationEvent.objects.filter(action="span.add", actor=world["rita"])
    assert events.count() == 4
    assert {entry["annotation"]: (entry["before"], entry["after"]) for entry in operation.layers} == {
        world[name].pk: (before[name], version(world[name])) for name in ("layer_a", "layer_b", "layer_two")}
    # anna's own span stays the only one at the first mention; the closed gold is untouched.
    start, end = at(ONE, "Polisario Front")
    assert Span.objects.filter(annotation=world["layer_a"], start=start, end=end).count() == 1
    assert not Span.objects.filter(annotation=world["closed"]).exists()


def test_commit_twice_with_the_same_client_id_applies_once(world):
    client_id = str(uuid.uuid4())
    first = run(world, client_id=client_id)
    second = run(world, client_id=client_id)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert BulkOperation.objects.count() == 1
    assert Span.objects.filter(label__name="SOURCE").count() == 5  # anna's + 4


def test_a_second_operation_skips_what_the_first_added(world):
    run(world)
    again = run(world)
    assert again.status_code == 201
    assert again.json()["counts"]["new"] == 0 and again.json()["counts"]["present"] == 5
    assert Span.objects.filter(label__name="SOURCE").count() == 5


def test_a_retried_span_write_is_recognised_by_its_client_id(world):
    operation = BulkOperation.objects.create(project=world["project"], created_by=world["rita"], query="x",
                                             label=world["project"].labels.get(name="SOURCE"), into="layers")
    start, end = at(TWO, "Polisario Front")
    layer = world["layer_two"]
    client_id = bulk.span_client_id(operation, layer.pk, operation.label_id, start, end)
    first = annotating.add_span(annotation=layer, expected_version=version(layer), label="SOURCE", start=start,
                                end=end, client_id=client_id)
    again = annotating.add_span(annotation=layer, expected_version=version(layer), label="SOURCE", start=start,
                                end=end, client_id=client_id)
    assert first.pk == again.pk and getattr(again, "replayed", False)


def test_commit_into_suggestions_is_seen_by_the_assigned_annotator(world):
    response = run(world, into="suggestions")
    assert response.status_code == 201, response.content
    operation = BulkOperation.objects.get(pk=response.json()["id"])
    assert SuggestedSpan.objects.filter(recommender=f"search-{operation.pk}").count() == 4
    assert not Span.objects.filter(provenance__0__operation=operation.pk).exists()
    url = reverse("api:article-suggestions", args=[world["one"].pk])
    shown = api_client(world["ben"]).get(url, {"layer": world["layer_b"].pk}).json()["spans"]
    mine = [s for s in shown if s["recommender"] == f"search-{operation.pk}"]
    assert [(s["label"], s["text"], s["score"], s["entity"]) for s in mine] == [
        ("SOURCE", "Polisario Front", 1.0, world["polisario"].pk)] * 2
    # anna holds the first mention already: only the second is shown to her.
    shown_a = api_client(world["anna"]).get(url, {"layer": world["layer_a"].pk}).json()["spans"]
    assert [s["start"] for s in shown_a if s["recommender"] == f"search-{operation.pk}"] == [
        at(ONE, "Polisario Front", 1)[0]]
    # Undo deletes them.
    undone = api_client(world["rita"]).post(reverse("api:search-operation-undo",
                                                    args=[world["project"].slug, operation.pk]))
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    assert not SuggestedSpan.objects.filter(recommender=f"search-{operation.pk}").exists()


def test_undo_removes_exactly_the_operations_spans(world):
    operation_id = run(world).json()["id"]
    operation = BulkOperation.objects.get(pk=operation_id)
    # After the operation, anna adds a span by hand to layer_a (so layer_a changed since: no restore there).
    layer_a = world["layer_a"]
    later = annotating.add_span(annotation=layer_a, expected_version=version(layer_a), label="QUOTE",
                                start=0, end=3, actor=world["anna"])
    # ...and ben builds on one of the added spans: a relation uses it, so it is kept.
    layer_b = world["layer_b"]
    added_b = Span.objects.filter(annotation=layer_b, provenance__0__operation=operation_id).order_by("start")
    quote = annotating.add_span(annotation=layer_b, expected_version=version(layer_b), label="QUOTE",
                                start=at(ONE, "rejected the plan")[0], end=at(ONE, "rejected the plan")[1])
    annotating.add_relation(annotation=layer_b, expected_version=version(layer_b), type="ATTRIBUTED_TO",
                            from_span=quote, to_span=added_b[0])
    kept_id = added_b[0].pk
    two_version = version(world["layer_two"])

    url = reverse("api:search-operation-undo", args=[world["project"].slug, operation_id])
    response = api_client(world["max"]).post(url)
    assert response.status_code == 200, response.content
    result = response.json()["undo_result"]
    assert result["kept"] == [kept_id]
    assert result["layers_restored"] == 1  # layer_two: untouched since, restored to its version before
    assert result["spans_removed"] == 3
    assert list(Span.objects.filter(provenance__0__operation=operation_id).values_list("pk", flat=True)) == [kept_id]
    assert Span.objects.filter(pk=later.pk).exists() and Span.objects.filter(pk=world["by_hand"].pk).exists()
    # Recorded in the history: span.delete events by max, and layer_two's restore.
    deletes = AnnotationEvent.objects.filter(action="span.delete", actor=world["max"])
    assert deletes.count() == 3
    assert AnnotationEvent.objects.filter(annotation=world["layer_two"], action="restore",
                                          after={"to_version": operation.layers[-1]["before"]}).exists()
    assert version(world["layer_two"]) > two_version
    operation.refresh_from_db()
    assert operation.status == "undone" and operation.undone_by == world["max"]

    # Undo twice: nothing more happens.
    events = AnnotationEvent.objects.count()
    again = api_client(world["max"]).post(url)
    assert again.status_code == 200 and AnnotationEvent.objects.count() == events


def test_operations_are_listed_newest_first(world):
    first = run(world).json()["id"]
    second = run(world, into="suggestions").json()["id"]
    url = reverse("api:search-operations", args=[world["project"].slug])
    results = api_client(world["max"]).get(url).json()["results"]
    assert [r["id"] for r in results] == [second, first]
    assert results[1]["label"] == "SOURCE" and results[1]["created_by"] == "rita"
    assert results[1]["layers"][0]["spans"] >= 1


@pytest.mark.parametrize("q,message", [
    ("label:SOURCE", "free text"),
    ('"Polisario Front" AND (', "position"),
])
def test_queries_that_cannot_be_bulk_annotated_are_refused(world, q, message):
    response = run(world, q=q, preview=True)
    assert response.status_code == 400 and message in str(response.json()["q"])


def test_too_many_hits_are_refused(world, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_HITS", 3)
    response = run(world)
    assert response.status_code == 400 and "more than 3 hits" in str(response.json()["q"])
    assert not BulkOperation.objects.exists()


def test_too_many_span_writes_are_refused_and_the_preview_says_so(world, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_SPAN_WRITES", 3)
    preview = run(world, preview=True)
    assert preview.status_code == 200 and "at most 3 at once" in preview.json()["problem"]
    assert run(world).status_code == 400
    assert not BulkOperation.objects.exists()
    assert run(world, into="suggestions").status_code == 201  # suggestions are rows, not layer writes


def test_label_and_source_must_be_the_projects(world):
    assert run(world, label="NOPE").status_code == 400
    assert run(world, entity=10**9).status_code == 400


def test_only_reviewers_and_managers_bulk_annotate(world, outsider):
    assert run(world, user="anna", preview=True).status_code == 403
    world["otto"] = outsider
    assert run(world, user="otto", preview=True).status_code == 404
    assert run(world, user="max", preview=True).status_code == 200
    with pytest.raises(PermissionDenied):
        bulk.apply(project=world["project"], user=world["anna"], q="Polisario", label="SOURCE", into="layers")


def test_an_operation_of_another_project_is_not_found(world, manager):
    from .factories import make_project
    other = make_project("other")
    other.memberships.create(user=manager, role="manager")
    operation_id = run(world).json()["id"]
    url = reverse("api:search-operation-undo", args=["other", operation_id])
    assert api_client(manager).post(url).status_code == 404


def test_apply_refuses_a_query_without_hits(world):
    with pytest.raises(ValidationError):
        bulk.apply(project=world["project"], user=world["rita"], q="zzzunknown", label="SOURCE", into="layers")
