"""Review over the API: reviewers only, and the gold layer they build is what status=gold exports."""
import pytest
from django.urls import reverse

from annotate.models import Annotation, Entity
from annotate.services import annotating

from .factories import api_client, make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db
TEXT = "Bellouan said the plan works. France backs the plan."


@pytest.fixture
def submitted(project, annotator_a, annotator_b):
    article = make_article(project, text=TEXT)
    layers = []
    for user, end in ((annotator_a, 28), (annotator_b, 22)):
        layer = annotating.open_layer(assignment=make_assignment(article, user))
        source = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=8)
        quote = annotating.add_span(annotation=layer, expected_version=2, label="QUOTE", start=14, end=end)
        annotating.add_relation(annotation=layer, expected_version=3, type="ATTRIBUTED_TO", from_span=quote,
                                to_span=source)
        annotating.submit(annotation=layer, expected_version=4)
        layers.append(layer)
    return article, layers


def test_reviewer_lines_up_layers_builds_gold_and_adjudicates(submitted, reviewer):
    article, (anna, ben) = submitted
    client = api_client(reviewer)
    view = client.get(reverse("api:article-review", args=[article.pk])).json()
    assert view["annotators"] == ["anna", "ben"] and view["gold"] is None
    states = {tuple(map(str, item["key"])): item["state"] for item in view["items"]["span"]}
    assert states[("SOURCE", "0", "8")] == "agreed" and states[("QUOTE", "14", "22")] == "partial"
    assert view["boundary_conflicts"] == [[["QUOTE", 14, 22], ["QUOTE", 14, 28]]]

    gold = client.post(reverse("api:article-gold", args=[article.pk]), {}, format="json")
    assert gold.status_code == 201 and [s["label"] for s in gold.json()["spans"]] == ["SOURCE"]
    gold_id, version = gold.json()["id"], gold.json()["version"]
    quote = anna.spans.get(label__name="QUOTE")
    accepted = client.post(reverse("api:annotation-accept", args=[gold_id]),
                           {"kind": "span", "item_id": quote.pk, "version": version}, format="json")
    assert accepted.status_code == 200 and len(accepted.json()["spans"]) == 2
    stale = client.post(reverse("api:annotation-adjudicate", args=[gold_id]), {"version": version}, format="json")
    assert stale.status_code == 409
    done = client.post(reverse("api:annotation-adjudicate", args=[gold_id]),
                       {"version": accepted.json()["version"]}, format="json")
    assert done.json()["status"] == "adjudicated"
    # The reviewer edits gold with the ordinary span endpoints too.
    edit = client.post(reverse("api:span-list", args=[gold_id]),
                       {"label": "CUE", "start": 9, "end": 13, "version": done.json()["version"]}, format="json")
    assert edit.status_code == 201


def test_annotators_cannot_review_or_see_gold(submitted, annotator_a):
    article, (anna, _) = submitted
    client = api_client(annotator_a)
    assert client.get(reverse("api:article-review", args=[article.pk])).status_code == 403
    assert client.post(reverse("api:article-gold", args=[article.pk]), {}, format="json").status_code == 403
    assert client.post(reverse("api:annotation-return", args=[anna.pk]), {"comment": "x"},
                       format="json").status_code == 403
    gold = Annotation.objects.create(article=article, is_gold=True)
    assert client.get(reverse("api:annotation-detail", args=[gold.pk])).status_code == 404


def test_send_back_and_merge_sources(submitted, project, reviewer, annotator_a, outsider):
    _, (anna, _) = submitted
    client = api_client(reviewer)
    response = client.post(reverse("api:annotation-return", args=[anna.pk]), {"comment": "Add the cue."},
                           format="json")
    assert response.status_code == 200 and response.json()["status"] == "returned"
    mine = api_client(annotator_a).get(reverse("api:annotation-detail", args=[anna.pk])).json()
    assert mine["review_comment"] == "Add the cue."

    keep, absorb = make_entity(project, "Hassan Bellouan"), make_entity(project, "Bellouan")
    url = reverse("api:entity-merge", args=[project.slug, keep.pk])
    assert api_client(annotator_a).post(url, {"absorb": absorb.pk}, format="json").status_code == 403
    assert api_client(outsider).post(url, {"absorb": absorb.pk}, format="json").status_code == 404
    merged = client.post(url, {"absorb": absorb.pk}, format="json")
    assert merged.json()["aliases"] == ["Bellouan"] and not Entity.objects.filter(pk=absorb.pk).exists()
