"""A retried write applies once: client ids on creates, deletes and changes the layer already holds.

The scenario behind these tests: the server stores a write, the reply is lost
on the way back, and the page sends the same write again with the version it
had before. That retry must find the write done, not make a second item, not
answer 409, and not show the annotator a 404.
"""
import uuid

import pytest
from django.urls import reverse

from annotate.models import Annotation, AnnotationEvent, Relation, Span, Stance

from .factories import api_client, make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db

TEXT = "Hassan Bellouan said 🌍 that “التعاون الدولي ضروري”. France backs the plan."


@pytest.fixture
def layer(project, annotator_a):
    assignment = make_assignment(make_article(project, text=TEXT), annotator_a)
    response = api_client(annotator_a).post(reverse("api:assignment-open", args=[assignment.pk]))
    return Annotation.objects.get(pk=response.json()["id"])


def version_of(layer) -> int:
    return Annotation.objects.get(pk=layer.pk).version


def span_body(label, fragment, **extra):
    start = TEXT.index(fragment)
    return {"label": label, "start": start, "end": start + len(fragment), "text": fragment, **extra}


def post(client, layer, kind, body, version):
    return client.post(reverse(f"api:{kind}-list", args=[layer.pk]), body, format="json",
                       HTTP_IF_MATCH=f'"{version}"')


def test_a_repeated_span_create_answers_the_stored_span_once(layer, annotator_a):
    client = api_client(annotator_a)
    claim = str(uuid.uuid4())
    first = post(client, layer, "span", span_body("CLAIM", "France backs the plan", client_id=claim), 1)
    assert first.status_code == 201, first.content
    assert first.json()["client_id"] == claim and first.json()["annotation_version"] == 2

    # The reply was lost: the page retries with the version it had, which the write itself moved on.
    again = post(client, layer, "span", span_body("CLAIM", "France backs the plan", client_id=claim), 1)
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["client_id"] == claim
    # The page goes on from the version its own write made: its next write is not a false conflict.
    assert again.json()["annotation_version"] == 2
    assert Span.objects.filter(annotation=layer).count() == 1 and version_of(layer) == 2
    assert post(client, layer, "span", span_body("CUE", "said"), again.json()["annotation_version"]).status_code == 201


def test_a_replay_never_lets_the_client_skip_someone_elses_write(layer, annotator_a):
    client = api_client(annotator_a)
    claim = str(uuid.uuid4())
    post(client, layer, "span", span_body("CLAIM", "France backs the plan", client_id=claim), 1)
    post(client, layer, "span", span_body("CUE", "said"), 2)  # another tab: version 3
    # Its own write made version 2: the page goes on from there, and its next write meets version 3.
    again = post(client, layer, "span", span_body("CLAIM", "France backs the plan", client_id=claim), 1)
    assert again.status_code == 200 and again.json()["annotation_version"] == 2
    assert post(client, layer, "span", span_body("SOURCE", "Hassan Bellouan"), 2).status_code == 409
    # A page that never saw version 2 (a second tab re-applying the first one's backup) keeps its own.
    other_tab = post(client, layer, "span", span_body("CLAIM", "France backs the plan", client_id=claim), 0)
    assert other_tab.status_code == 200 and other_tab.json()["annotation_version"] == 0
    assert Span.objects.filter(annotation=layer).count() == 2


def test_relation_and_stance_creates_are_idempotent_too(layer, annotator_a, project):
    client = api_client(annotator_a)
    quote = post(client, layer, "span", span_body("QUOTE", "التعاون الدولي ضروري"), 1).json()
    source = post(client, layer, "span", span_body("SOURCE", "Hassan Bellouan"), 2).json()
    link = {"type": "ATTRIBUTED_TO", "from_span": quote["id"], "to_span": source["id"], "client_id": str(uuid.uuid4())}
    made = post(client, layer, "relation", link, 3)
    repeated = post(client, layer, "relation", link, 3)
    assert (made.status_code, repeated.status_code) == (201, 200)
    assert repeated.json()["id"] == made.json()["id"] and Relation.objects.count() == 1

    france = make_entity(project, "France", type="country")
    stance = {"holder_entity": france.pk, "target": project.stance_targets.first().name, "polarity": "favor",
              "evidence": [quote["id"]], "client_id": str(uuid.uuid4())}
    made = post(client, layer, "stance", stance, 4)
    repeated = post(client, layer, "stance", stance, 4)
    assert (made.status_code, repeated.status_code) == (201, 200)
    assert repeated.json()["id"] == made.json()["id"] and Stance.objects.count() == 1
    assert repeated.json()["client_id"] == stance["client_id"] and version_of(layer) == 5


def test_every_representation_carries_the_client_id(layer, annotator_a):
    client = api_client(annotator_a)
    claim = str(uuid.uuid4())
    span = post(client, layer, "span", span_body("CLAIM", "France backs the plan", client_id=claim), 1).json()
    detail = client.get(reverse("api:annotation-detail", args=[layer.pk])).json()
    listing = client.get(reverse("api:span-list", args=[layer.pk])).json()
    one = client.get(reverse("api:span-detail", args=[layer.pk, span["id"]])).json()
    assert detail["spans"][0]["client_id"] == listing[0]["client_id"] == one["client_id"] == claim
    # Without a client id the server makes one up, so every item made here has one.
    cue = post(client, layer, "span", span_body("CUE", "said"), 2).json()
    assert uuid.UUID(cue["client_id"])


def test_a_client_id_of_a_deleted_item_makes_a_new_one(layer, annotator_a):
    """Undo of a delete re-creates the item under the id the page knows it by."""
    client = api_client(annotator_a)
    claim = str(uuid.uuid4())
    first = post(client, layer, "span", span_body("CLAIM", "France backs the plan", client_id=claim), 1).json()
    client.delete(reverse("api:span-detail", args=[layer.pk, first["id"]]), HTTP_IF_MATCH='"2"')
    again = post(client, layer, "span", span_body("CLAIM", "France backs the plan", client_id=claim), 3)
    assert again.status_code == 201 and again.json()["id"] != first["id"]
    assert Span.objects.filter(annotation=layer, client_id=claim).count() == 1


def test_a_repeated_delete_is_a_no_op_success_not_a_404(layer, annotator_a):
    client = api_client(annotator_a)
    span = post(client, layer, "span", span_body("CLAIM", "France backs the plan"), 1).json()
    url = reverse("api:span-detail", args=[layer.pk, span["id"]])
    assert client.delete(url, HTTP_IF_MATCH='"2"').status_code == 200
    events = AnnotationEvent.objects.filter(annotation_id=layer.pk).count()
    again = client.delete(url, HTTP_IF_MATCH='"2"')
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == {"annotation_version": 3}
    assert version_of(layer) == 3 and AnnotationEvent.objects.filter(annotation_id=layer.pk).count() == events


def test_a_delete_of_something_this_layer_never_had_is_still_a_404(layer, annotator_a, annotator_b, project):
    client = api_client(annotator_a)
    assert client.delete(reverse("api:span-detail", args=[layer.pk, 999_999]), HTTP_IF_MATCH='"1"').status_code == 404
    # Ben's span, deleted in Ben's layer, is not Anna's to "delete again".
    other = make_assignment(make_article(project, text=TEXT, external_id="ben-1"), annotator_b)
    bens = Annotation.objects.get(pk=api_client(annotator_b).post(
        reverse("api:assignment-open", args=[other.pk])).json()["id"])
    ben_span = post(api_client(annotator_b), bens, "span", span_body("CUE", "said"), 1).json()
    api_client(annotator_b).delete(reverse("api:span-detail", args=[bens.pk, ben_span["id"]]), HTTP_IF_MATCH='"2"')
    assert client.delete(reverse("api:span-detail", args=[layer.pk, ben_span["id"]]),
                         HTTP_IF_MATCH='"1"').status_code == 404
    assert client.delete(reverse("api:span-detail", args=[bens.pk, ben_span["id"]]),
                         HTTP_IF_MATCH='"3"').status_code == 404


def test_a_repeated_create_in_another_users_layer_is_refused(layer, annotator_a, annotator_b):
    claim = str(uuid.uuid4())
    post(api_client(annotator_a), layer, "span", span_body("CLAIM", "France backs the plan", client_id=claim), 1)
    response = post(api_client(annotator_b), layer, "span", span_body("CLAIM", "France backs the plan",
                                                                      client_id=claim), 1)
    assert response.status_code == 404 and Span.objects.count() == 1


def test_a_repeated_change_is_a_no_op_and_a_different_stale_change_still_conflicts(layer, annotator_a):
    client = api_client(annotator_a)
    span = post(client, layer, "span", span_body("CLAIM", "France backs the plan"), 1).json()
    url = reverse("api:span-detail", args=[layer.pk, span["id"]])
    changed = client.patch(url, {"attributes": {"checkworthy": "yes"}}, format="json", HTTP_IF_MATCH='"2"')
    assert changed.status_code == 200 and changed.json()["annotation_version"] == 3
    again = client.patch(url, {"attributes": {"checkworthy": "yes"}}, format="json", HTTP_IF_MATCH='"2"')
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["annotation_version"] == 3 and version_of(layer) == 3
    different = client.patch(url, {"attributes": {"checkworthy": "no"}}, format="json", HTTP_IF_MATCH='"2"')
    assert different.status_code == 409
    assert Span.objects.get(pk=span["id"]).attributes == {"checkworthy": "yes"}


def test_a_bad_client_id_is_a_400_naming_the_field(layer, annotator_a):
    response = post(api_client(annotator_a), layer, "span",
                    span_body("CLAIM", "France backs the plan", client_id="not-a-uuid"), 1)
    assert response.status_code == 400 and "client_id" in response.json()
    assert Span.objects.count() == 0 and version_of(layer) == 1


def test_the_schema_documents_client_ids_and_replays(client):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    assert "client_id" in schema["components"]["schemas"]["SpanInputRequest"]["properties"]
    assert "client_id" in schema["components"]["schemas"]["Span"]["properties"]
    create = schema["paths"]["/api/v1/annotations/{id}/spans/"]["post"]
    assert {"200", "201"} <= set(create["responses"]) and "client_id" in create["description"]
