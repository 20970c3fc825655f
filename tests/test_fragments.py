"""Discontinuous spans (a quote split by its attribution): fragments through the service, the API and the history.

A span's `fragments` are its pieces in order; `start`/`end` are the outer bounds and `text` is the pieces'
texts joined by one space. An ordinary span is one piece, stored as NULL and shown as [[start, end]].
"""
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from drf_spectacular.generators import SchemaGenerator

from annotate.models import Annotation, AnnotationEvent, Span
from annotate.services import annotating
from annotate.services.restoring import _set, restore
from annotate.suggestions import storing
from annotate.suggestions.base import Guesses, SpanGuess
from annotate.suggestions.vocabulary import Vocabulary
from annotate.validation import check_span_fragments, fragment_text
from api.views.annotations import SpanDetail, SpanList

from .factories import api_client, make_article, make_assignment

pytestmark = pytest.mark.django_db

TEXT = ("“The plan 🌍,” Bourita said, “is serious and credible.” "
        "وقال بوريطة: «الخطة جدية» ثم أضاف «وذات مصداقية».")


def piece(fragment: str, after: int = 0) -> list[int]:
    start = TEXT.index(fragment, after)
    return [start, start + len(fragment)]


PLAN, SERIOUS = piece("The plan 🌍,"), piece("is serious and credible.")
ARABIC = [piece("الخطة جدية"), piece("وذات مصداقية")]


@pytest.fixture
def layer(project, annotator_a):
    return annotating.open_layer(assignment=make_assignment(make_article(project, text=TEXT), annotator_a))


def spans_url(layer, pk=None):
    return reverse("api:span-list", args=[layer.pk]) if pk is None else reverse("api:span-detail", args=[layer.pk, pk])


def version(layer) -> int:
    return Annotation.objects.get(pk=layer.pk).version


# The rules -----------------------------------------------------------------------------------------------


def test_the_text_of_a_split_quote_is_its_pieces_joined_by_one_space():
    assert fragment_text(TEXT, [PLAN, SERIOUS]) == "The plan 🌍, is serious and credible."
    assert fragment_text(TEXT, [PLAN]) == TEXT[PLAN[0]:PLAN[1]]


@pytest.mark.parametrize("fragments,key,words", [
    ([], "fragments", "non-empty"),
    ("0:5", "fragments", "non-empty"),
    ([[0, 5], [3, 9]], "fragments[1]", "do not overlap"),
    ([[10, 15], [0, 5]], "fragments[1]", "do not overlap"),
    ([[0, 5], [5, 9]], "fragments[1]", "touches fragments[0]"),
    ([[0, 5], [7]], "fragments[1]", "[start, end] pair"),
    ([[0, 5], [7, 7]], "fragments[1]", "greater than start"),
    ([[0, 5], [7, len(TEXT) + 1]], "fragments[1]", "past the end"),
    ([[0, 5], [7, "9"]], "fragments[1]", "integer"),
])
def test_bad_fragments_are_refused_naming_the_piece(fragments, key, words):
    with pytest.raises(ValidationError) as caught:
        check_span_fragments(TEXT, fragments)
    assert key in caught.value.message_dict and words in caught.value.message_dict[key][0]


def test_touching_pieces_are_one_piece_and_the_message_says_so():
    with pytest.raises(ValidationError) as caught:
        check_span_fragments(TEXT, [[0, 5], [5, 9]])
    assert "send [0, 9] instead" in caught.value.message_dict["fragments[1]"][0]


# The service ---------------------------------------------------------------------------------------------


def test_a_split_quote_is_one_span_with_outer_bounds_and_its_pieces(layer, annotator_a):
    span = annotating.add_span(annotation=layer, expected_version=1, label="QUOTE", fragments=[PLAN, SERIOUS],
                               actor=annotator_a)
    span.refresh_from_db()
    assert (span.start, span.end) == (PLAN[0], SERIOUS[1])
    assert span.fragments == [PLAN, SERIOUS] and span.pieces == [tuple(PLAN), tuple(SERIOUS)]
    assert span.text == "The plan 🌍, is serious and credible." and not span.needs_review
    event = AnnotationEvent.objects.get(action="span.add")
    assert event.after["fragments"] == [PLAN, SERIOUS] and event.after["needs_review"] is False


def test_one_fragment_is_stored_as_the_ordinary_span(layer):
    span = annotating.add_span(annotation=layer, expected_version=1, label="QUOTE", fragments=[SERIOUS])
    span.refresh_from_db()
    assert span.fragments is None and span.pieces == [tuple(SERIOUS)]
    assert span.text == TEXT[SERIOUS[0]:SERIOUS[1]]


def test_start_and_end_with_fragments_must_be_their_outer_bounds(layer):
    with pytest.raises(ValidationError) as caught:
        annotating.add_span(annotation=layer, expected_version=1, label="QUOTE", start=PLAN[0], end=PLAN[1],
                            fragments=[PLAN, SERIOUS])
    assert "outer bound" in caught.value.message_dict["end"][0]
    assert not Span.objects.exists() and version(layer) == 1


def test_moving_the_end_of_a_split_span_moves_its_last_piece(layer):
    span = annotating.add_span(annotation=layer, expected_version=1, label="QUOTE", fragments=[PLAN, SERIOUS])
    span = annotating.update_span(span=span, expected_version=2, end=SERIOUS[1] - 1)
    assert span.pieces == [tuple(PLAN), (SERIOUS[0], SERIOUS[1] - 1)]
    assert span.text.endswith("credible")


def test_a_model_clean_checks_the_fragments_too(layer):
    span = annotating.add_span(annotation=layer, expected_version=1, label="QUOTE", fragments=[PLAN, SERIOUS])
    span.fragments = [SERIOUS, PLAN]
    with pytest.raises(ValidationError) as caught:
        span.full_clean()
    assert "fragments[1]" in caught.value.message_dict


def test_a_restore_brings_the_pieces_back(layer, manager):
    span = annotating.add_span(annotation=layer, expected_version=1, label="QUOTE", start=PLAN[0], end=PLAN[1])
    annotating.update_span(span=span, expected_version=2, fragments=[PLAN, SERIOUS])
    restore(annotation=layer, version=2, expected_version=3, actor=manager)
    span.refresh_from_db()
    assert span.fragments is None and (span.start, span.end) == tuple(PLAN) and span.text == TEXT[PLAN[0]:PLAN[1]]
    restore(annotation=layer, version=3, expected_version=4, actor=manager)  # undo the restore
    span.refresh_from_db()
    assert span.pieces == [tuple(PLAN), tuple(SERIOUS)] and span.text.endswith("credible.")


def test_a_state_recorded_before_fragments_existed_sets_a_one_piece_unflagged_span(layer):
    span = annotating.add_span(annotation=layer, expected_version=1, label="QUOTE", fragments=[PLAN, SERIOUS])
    Span.objects.filter(pk=span.pk).update(needs_review=True)
    old_state = {"id": span.pk, "label": span.label_id, "start": PLAN[0], "end": PLAN[1], "entity": None,
                 "text": TEXT[PLAN[0]:PLAN[1]], "attributes": {}, "provenance": [], "client_id": None}
    _set(Span, old_state)
    span.refresh_from_db()
    assert span.fragments is None and span.needs_review is False and span.pieces == [tuple(PLAN)]


# The API -------------------------------------------------------------------------------------------------


def test_post_fragments_instead_of_offsets_counts_code_points_after_emoji(layer, annotator_a):
    response = api_client(annotator_a).post(spans_url(layer), {
        "label": "QUOTE", "fragments": [PLAN, SERIOUS], "text": "The plan 🌍, is serious and credible.",
        "version": 1}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["fragments"] == [PLAN, SERIOUS] and (body["start"], body["end"]) == (PLAN[0], SERIOUS[1])
    assert body["needs_review"] is False and body["annotation_version"] == 2


def test_arabic_pieces_with_agreeing_bounds(layer, annotator_a):
    response = api_client(annotator_a).post(spans_url(layer), {
        "label": "QUOTE", "start": ARABIC[0][0], "end": ARABIC[1][1], "fragments": ARABIC, "version": 1},
        format="json")
    assert response.status_code == 201, response.content
    assert response.json()["text"] == "الخطة جدية وذات مصداقية"


def test_the_layer_detail_shows_every_span_with_fragments(layer, annotator_a):
    client = api_client(annotator_a)
    client.post(spans_url(layer), {"label": "QUOTE", "fragments": ARABIC, "version": 1}, format="json")
    client.post(spans_url(layer), {"label": "QUOTE", "start": PLAN[0], "end": PLAN[1], "version": 2}, format="json")
    spans = client.get(reverse("api:annotation-detail", args=[layer.pk])).json()["spans"]
    assert [span["fragments"] for span in spans] == [[PLAN], ARABIC]
    assert [span["needs_review"] for span in spans] == [False, False]
    one = client.get(spans_url(layer, spans[0]["id"])).json()
    assert one["fragments"] == [PLAN]


@pytest.mark.parametrize("body,key", [
    ({"fragments": [[0, 5], [3, 9]]}, "fragments[1]"),
    ({"fragments": [PLAN, [PLAN[1], SERIOUS[1]]]}, "fragments[1]"),
    ({"fragments": [SERIOUS, PLAN]}, "fragments[1]"),
    ({"fragments": [PLAN, [SERIOUS[0], len(TEXT) + 5]]}, "fragments[1]"),
    ({"fragments": [[0, 5, 9]]}, "fragments"),
    ({"fragments": []}, "fragments"),
    ({"fragments": [PLAN, SERIOUS], "start": 0}, "start"),
    ({"fragments": [PLAN, SERIOUS], "text": "The plan 🌍,is serious and credible."}, "text"),
    ({}, "start"),
])
def test_bad_fragments_answer_400_and_write_nothing(layer, annotator_a, body, key):
    response = api_client(annotator_a).post(spans_url(layer), {"label": "QUOTE", "version": 1, **body},
                                            format="json")
    assert response.status_code == 400 and key in response.json(), response.content
    assert not Span.objects.exists() and version(layer) == 1
    assert not AnnotationEvent.objects.filter(action__startswith="span").exists()


def test_a_stale_write_is_refused_and_a_retry_applies_once(layer, annotator_a):
    client, client_id = api_client(annotator_a), str(uuid.uuid4())
    body = {"label": "QUOTE", "fragments": [PLAN, SERIOUS], "client_id": client_id, "version": 1}
    assert client.post(spans_url(layer), body, format="json").status_code == 201
    retried = client.post(spans_url(layer), body, format="json")
    assert retried.status_code == 200 and retried["Idempotent-Replayed"] == "true"
    assert retried.json()["fragments"] == [PLAN, SERIOUS] and Span.objects.count() == 1
    stale = client.post(spans_url(layer), {**body, "client_id": str(uuid.uuid4())}, format="json")
    assert stale.status_code == 409 and Span.objects.count() == 1 and version(layer) == 2


def test_patch_extends_a_span_with_another_piece_and_a_repeat_is_a_replay(layer, annotator_a):
    client = api_client(annotator_a)
    made = client.post(spans_url(layer), {"label": "QUOTE", "start": PLAN[0], "end": PLAN[1], "version": 1},
                       format="json").json()
    extended = client.patch(spans_url(layer, made["id"]), {"fragments": [PLAN, SERIOUS], "version": 2},
                            format="json")
    assert extended.status_code == 200, extended.content
    assert extended.json()["fragments"] == [PLAN, SERIOUS] and extended.json()["annotation_version"] == 3
    again = client.patch(spans_url(layer, made["id"]), {"fragments": [PLAN, SERIOUS], "version": 2}, format="json")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and version(layer) == 3
    event = AnnotationEvent.objects.get(action="span.update")
    assert event.before["fragments"] is None and event.after["fragments"] == [PLAN, SERIOUS]
    bad = client.patch(spans_url(layer, made["id"]), {"fragments": [PLAN, PLAN], "version": 3}, format="json")
    assert bad.status_code == 400 and "fragments[1]" in bad.json() and version(layer) == 3


def test_another_annotators_span_is_not_theirs_to_change(layer, annotator_a, annotator_b):
    made = api_client(annotator_a).post(spans_url(layer), {"label": "QUOTE", "fragments": [PLAN], "version": 1},
                                        format="json").json()
    other = api_client(annotator_b)
    assert other.patch(spans_url(layer, made["id"]), {"fragments": [PLAN, SERIOUS], "version": 2},
                       format="json").status_code == 404
    assert other.post(spans_url(layer), {"label": "QUOTE", "fragments": [SERIOUS], "version": 2},
                      format="json").status_code == 404
    assert Span.objects.get().fragments is None and Span.objects.count() == 1 and version(layer) == 2


def test_the_schema_shows_fragments_as_pairs_of_integers():
    # The span endpoints' part of the schema (tests/test_api_schema.py serves the whole of it).
    patterns = [path("spans/", SpanList.as_view()), path("spans/<int:item_pk>/", SpanDetail.as_view())]
    components = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("Span", "SpanInputRequest", "PatchedSpanInputRequest"):
        fragments = components[name]["properties"]["fragments"]
        assert fragments["type"] == "array"
        assert fragments["items"] == {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}
    assert components["Span"]["properties"]["needs_review"]["type"] == "boolean"


def test_split_spans_cost_the_layer_detail_and_the_span_list_no_query(layer, annotator_a, django_assert_num_queries):
    # The pieces are a column of the span rows already read: the same queries with one or many split spans.
    client = api_client(annotator_a)
    client.post(spans_url(layer), {"label": "QUOTE", "fragments": [PLAN, SERIOUS], "version": 1}, format="json")

    def count(url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    detail, items = reverse("api:annotation-detail", args=[layer.pk]), spans_url(layer)
    before = count(detail), count(items)
    for n, fragments in enumerate(([ARABIC[0], ARABIC[1]], [SERIOUS], [ARABIC[1]]), start=2):
        client.post(spans_url(layer), {"label": "SOURCE", "fragments": fragments, "version": n}, format="json")
    assert Span.objects.count() == 4
    with django_assert_num_queries(before[0]):
        body = client.get(detail).json()
    assert [len(span["fragments"]) for span in body["spans"]] == [2, 1, 2, 1]
    assert count(items) == before[1]


def test_a_suggestion_over_a_split_spans_outer_bounds_is_still_a_suggestion(layer, annotator_a):
    """A suggestion is one piece: a split span with its outer bounds neither hides it nor is what accepting it
    makes (the accepted span is a new one-piece span)."""
    annotating.add_span(annotation=layer, expected_version=1, label="QUOTE", fragments=[PLAN, SERIOUS])
    storing.replace(vocabulary=Vocabulary.of(layer.article.project), recommender="attribution", version="1",
                    answers=[(layer.article, Guesses(spans=[SpanGuess("QUOTE", PLAN[0], SERIOUS[1], 0.9)]))])
    client = api_client(annotator_a)
    shown = client.get(f"/api/v1/articles/{layer.article_id}/suggestions/").json()["spans"]
    assert [(s["start"], s["end"]) for s in shown] == [(PLAN[0], SERIOUS[1])]
    response = client.post(f"/api/v1/annotations/{layer.pk}/suggestions/accept/", {"label": "QUOTE", "version": 2},
                           format="json")
    assert response.status_code == 201, response.content
    assert sorted(len(span.pieces) for span in Span.objects.filter(annotation=layer)) == [1, 2]
