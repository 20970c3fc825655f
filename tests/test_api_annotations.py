"""Annotating through the API: spans, relations, stances, versions, submit and skip."""
import pytest
from django.urls import reverse

from annotate.models import Annotation, Assignment, Relation, Span, Stance

from .factories import api_client, make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db

TEXT = "Hassan Bellouan said 🌍 that “التعاون الدولي ضروري”. France backs the plan."


@pytest.fixture
def layer(project, annotator_a):
    """Anna's open layer on an assigned article."""
    assignment = make_assignment(make_article(project, text=TEXT), annotator_a)
    response = api_client(annotator_a).post(reverse("api:assignment-open", args=[assignment.pk]))
    assert response.status_code == 200, response.content
    return Annotation.objects.get(pk=response.json()["id"])


def add_span(client, layer, label, fragment, version=None, **extra):
    start = TEXT.index(fragment)
    body = {"label": label, "start": start, "end": start + len(fragment), "text": fragment,
            "version": version or Annotation.objects.get(pk=layer.pk).version, **extra}
    return client.post(reverse("api:span-list", args=[layer.pk]), body, format="json")


def test_open_layer_starts_the_assignment_and_is_idempotent(layer, annotator_a):
    assignment = Assignment.objects.get(annotator=annotator_a)
    assert assignment.status == "in_progress" and assignment.started_at is not None
    again = api_client(annotator_a).post(reverse("api:assignment-open", args=[assignment.pk]))
    assert again.json()["id"] == layer.pk and Annotation.objects.count() == 1


def test_span_offsets_are_code_points_after_emoji_and_in_arabic(layer, annotator_a):
    client = api_client(annotator_a)
    response = add_span(client, layer, "QUOTE", "التعاون الدولي ضروري")
    assert response.status_code == 201, response.content
    body = response.json()
    assert TEXT[body["start"]:body["end"]] == "التعاون الدولي ضروري" == body["text"]
    assert body["annotation_version"] == 2 and response["ETag"] == '"2"'
    span = Span.objects.get(pk=body["id"])
    assert (span.start, span.end) == (TEXT.index("التعاون"), TEXT.index("”"))


@pytest.mark.parametrize(
    "change,field",
    [({"start": -1}, "start"), ({"end": len(TEXT) + 3}, "end"), ({"label": "PERSON"}, "label"),
     ({"text": "Hassan"}, "text"), ({"start": "x"}, "start"), ({"end": 0}, "end")],
)
def test_bad_spans_answer_400_naming_the_field_and_change_nothing(layer, annotator_a, change, field):
    body = {"label": "SOURCE", "start": 0, "end": 15, "text": "Hassan Bellouan", "version": 1, **change}
    response = api_client(annotator_a).post(reverse("api:span-list", args=[layer.pk]), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Span.objects.count() == 0 and Annotation.objects.get(pk=layer.pk).version == 1


def test_a_stale_version_is_refused_with_409_and_changes_nothing(layer, annotator_a):
    client = api_client(annotator_a)
    assert add_span(client, layer, "SOURCE", "Hassan Bellouan", version=1).status_code == 201
    stale = add_span(client, layer, "CUE", "said", version=1)  # a second tab that still has version 1
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2 and stale.json()["code"] == "stale_version"
    assert Span.objects.count() == 1
    missing = client.post(reverse("api:span-list", args=[layer.pk]),
                          {"label": "CUE", "start": 16, "end": 20}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()
    via_header = client.post(reverse("api:span-list", args=[layer.pk]),
                             {"label": "CUE", "start": 16, "end": 20}, format="json", HTTP_IF_MATCH='"2"')
    assert via_header.status_code == 201


def test_full_round_of_annotation(layer, annotator_a, project):
    client = api_client(annotator_a)
    bellouan = make_entity(project, "Hassan Bellouan", type="person")
    source = add_span(client, layer, "SOURCE", "Hassan Bellouan", entity=bellouan.pk).json()
    cue = add_span(client, layer, "CUE", "said").json()
    quote = add_span(client, layer, "QUOTE", "التعاون الدولي ضروري",
                     attributes={"quote_type": "direct"}).json()
    holder = add_span(client, layer, "SOURCE", "France").json()
    evidence = add_span(client, layer, "STANCE_EVIDENCE", "backs the plan").json()
    version = evidence["annotation_version"]

    relations = reverse("api:relation-list", args=[layer.pk])
    r1 = client.post(relations, {"type": "ATTRIBUTED_TO", "from_span": quote["id"], "to_span": source["id"],
                                 "version": version}, format="json")
    assert r1.status_code == 201, r1.content
    wrong_way = client.post(relations, {"type": "CUE_OF", "from_span": quote["id"], "to_span": cue["id"],
                                        "version": r1.json()["annotation_version"]}, format="json")
    assert wrong_way.status_code == 400 and "from_span" in wrong_way.json()
    r2 = client.post(relations, {"type": "CUE_OF", "from_span": cue["id"], "to_span": quote["id"],
                                 "version": r1.json()["annotation_version"]}, format="json")
    assert r2.status_code == 201

    stance = client.post(reverse("api:stance-list", args=[layer.pk]), {
        "holder_span": holder["id"], "target": "Moroccan sovereignty over Western Sahara", "polarity": "favor",
        "evidence": [evidence["id"]], "version": r2.json()["annotation_version"]}, format="json")
    assert stance.status_code == 201, stance.content
    assert stance.json()["evidence"] == [evidence["id"]]

    detail = client.get(reverse("api:annotation-detail", args=[layer.pk])).json()
    assert [s["label"] for s in detail["spans"]] == ["SOURCE", "CUE", "QUOTE", "SOURCE", "STANCE_EVIDENCE"]
    assert detail["spans"][0]["entity_name"] == "Hassan Bellouan"
    assert {(r["type"], r["from_span"], r["to_span"]) for r in detail["relations"]} == {
        ("ATTRIBUTED_TO", quote["id"], source["id"]), ("CUE_OF", cue["id"], quote["id"])}
    assert detail["stances"][0]["polarity"] == "favor" and detail["version"] == 9

    # Partial updates and deletes, each with the current version.
    span_url = reverse("api:span-detail", args=[layer.pk, quote["id"]])
    patched = client.patch(span_url, {"attributes": {"quote_type": "indirect"}, "version": 9}, format="json")
    assert patched.status_code == 200 and patched.json()["attributes"] == {"quote_type": "indirect"}
    relabel = client.patch(span_url, {"label": "CLAIM", "version": 10}, format="json")
    assert relabel.status_code == 400  # the quote takes part in ATTRIBUTED_TO and CUE_OF
    stance_url = reverse("api:stance-detail", args=[layer.pk, stance.json()["id"]])
    repolarised = client.patch(stance_url, {"polarity": "against", "version": 10}, format="json")
    assert repolarised.json()["polarity"] == "against"
    deleted = client.delete(span_url, HTTP_IF_MATCH='"11"')
    assert deleted.status_code == 200 and deleted.json() == {"annotation_version": 12}
    assert Relation.objects.filter(annotation=layer).count() == 0  # both relations needed the quote
    assert Stance.objects.filter(annotation=layer).count() == 1

    submitted = client.post(reverse("api:annotation-submit", args=[layer.pk]), {"version": 12}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert Assignment.objects.get(annotator=annotator_a).status == "submitted"
    frozen = add_span(client, layer, "CUE", "said")
    assert frozen.status_code == 400 and "status" in frozen.json()


def test_skip_needs_a_reason(project, annotator_a):
    assignment = make_assignment(make_article(project), annotator_a)
    client = api_client(annotator_a)
    url = reverse("api:assignment-skip", args=[assignment.pk])
    assert client.post(url, {"reason": ""}, format="json").status_code == 400
    response = client.post(url, {"reason": "Not about Morocco"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "skipped"


def test_entities_search_and_create(project, annotator_a):
    client = api_client(annotator_a)
    make_entity(project, "Hassan Bellouan", aliases=["Bellouan", "the political analyst"])
    make_entity(project, "Morocco's Foreign Ministry")
    url = reverse("api:entity-list", args=[project.slug])
    names = [e["name"] for e in client.get(url, {"search": "analyst"}).json()["results"]]
    assert names == ["Hassan Bellouan"]
    created = client.post(url, {"name": "Nasser Bourita", "type": "person", "description": "Foreign Minister"},
                          format="json")
    assert created.status_code == 201
    assert client.post(url, {"name": "Nasser Bourita"}, format="json").status_code == 400


def test_project_detail_carries_the_label_set(project, annotator_a):
    body = api_client(annotator_a).get(reverse("api:project-detail", args=[project.slug])).json()
    assert body["role"] == "annotator"
    assert [label["name"] for label in body["labels"]][:2] == ["CLAIM", "SOURCE"]
    assert body["labels"][1]["hotkey"] == "s"
    assert {t["name"] for t in body["stance_targets"]} == {"Moroccan sovereignty over Western Sahara",
                                                          "International cooperation against ISIS"}
    assert [p["name"] for p in body["polarities"]] == ["favor", "against", "neutral"]
    assert {r["name"]: (r["from_label"], r["to_label"]) for r in body["relation_types"]}["CUE_OF"] == ("CUE", "QUOTE")


def test_hand_written_item_output_matches_the_declared_fields(layer, annotator_a, project):
    """The item serializers write their dicts by hand for speed; DRF's own rendering must agree."""
    from rest_framework import serializers as drf

    from api.serializers.annotations import RelationSerializer, SpanSerializer, StanceSerializer

    client = api_client(annotator_a)
    source = add_span(client, layer, "SOURCE", "Hassan Bellouan", entity=make_entity(project).pk).json()
    quote = add_span(client, layer, "QUOTE", "التعاون الدولي ضروري", attributes={"quote_type": "direct"}).json()
    client.post(reverse("api:relation-list", args=[layer.pk]), {"type": "ATTRIBUTED_TO", "from_span": quote["id"],
                "to_span": source["id"], "version": 3}, format="json")
    client.post(reverse("api:stance-list", args=[layer.pk]), {"holder_span": source["id"], "polarity": "favor",
                "target": "Moroccan sovereignty over Western Sahara", "evidence": [quote["id"]], "version": 4},
                format="json")
    from api.views.annotations import RELATIONS, SPANS, STANCES

    for serializer, rows in ((SpanSerializer, SPANS), (RelationSerializer, RELATIONS), (StanceSerializer, STANCES)):
        for obj in rows.filter(annotation=layer):
            generic = drf.ModelSerializer.to_representation(serializer(), obj)
            assert serializer().to_representation(obj) == dict(generic)


def test_an_id_too_large_for_the_database_is_a_404_not_an_error(annotator_a):
    client = api_client(annotator_a)
    assert client.get("/api/v1/annotations/99999999999999999999999/").status_code == 404
    assert client.get("/api/v1/annotations/1/spans/123456789012345678901234567890/").status_code == 404
