"""Suggestions over the API: who reads them, filters, accept (idempotent, with provenance, in the history)
and reject (not shown again), and bad choices refused with the layer as before."""
import pytest

from annotate.models import AnnotationEvent, Relation, Span, SuggestedSpan, SuggestionDecision
from annotate.services import annotating
from annotate.suggestions import storing
from annotate.suggestions.base import Guesses, RelationGuess, SpanGuess, StanceGuess
from annotate.suggestions.vocabulary import Vocabulary

from .factories import api_client, make_article, make_assignment, make_project, make_user

TEXT = "🇲🇦 «Le plan est sérieux», a déclaré Nasser Bourita. قال الوزير إن الخطة جدية."
QUOTE = (TEXT.index("Le plan"), TEXT.index("»"))
CUE = (TEXT.index("a déclaré"), TEXT.index("a déclaré") + len("a déclaré"))
SOURCE = (TEXT.index("Nasser"), TEXT.index("Bourita") + len("Bourita"))
ARABIC = (TEXT.index("الخطة"), TEXT.index("الخطة") + len("الخطة"))


def suggest(article, recommender="attribution", *, quote_score=0.9, stance=False):
    guesses = Guesses(
        spans=[SpanGuess("QUOTE", *QUOTE, quote_score), SpanGuess("CUE", *CUE, 0.8),
               SpanGuess("SOURCE", *SOURCE, 0.7), SpanGuess("CLAIM", *ARABIC, 0.2)],
        relations=[RelationGuess("CUE_OF", 1, 0, 0.8), RelationGuess("ATTRIBUTED_TO", 0, 2, 0.85)],
        stances=[StanceGuess("Moroccan sovereignty over Western Sahara", "favor", 0.6, holder=2, evidence=(0,))]
        if stance else [])
    return storing.replace(vocabulary=Vocabulary.of(article.project), recommender=recommender, version="3",
                           answers=[(article, guesses)])


@pytest.fixture
def article(project):
    return make_article(project, text=TEXT)


@pytest.fixture
def layer(article, annotator_a):
    return annotating.open_layer(assignment=make_assignment(article, annotator_a))


def url(article, tail=""):
    return f"/api/v1/articles/{article.pk}/suggestions/{tail}"


def spans_by_label(body):
    return {span["label"]: span for span in body["spans"]}


def test_reviewers_and_managers_read_an_articles_suggestions_in_code_points(article, reviewer, manager):
    suggest(article, stance=True)
    for user in (reviewer, manager):
        response = api_client(user).get(url(article))
        assert response.status_code == 200
        body = response.json()
        assert set(body) >= {"spans", "relations", "stances"}
        quote = spans_by_label(body)["QUOTE"]
        assert (quote["start"], quote["end"], quote["text"]) == (*QUOTE, "Le plan est sérieux")
        assert quote["score"] == 0.9 and quote["recommender"] == "attribution" and quote["entity"] is None
        arabic = spans_by_label(body)["CLAIM"]
        assert TEXT[arabic["start"]:arabic["end"]] == "الخطة" == arabic["text"]
        ids = {span["id"] for span in body["spans"]}
        assert {(r["type"], r["from"] in ids, r["to"] in ids) for r in body["relations"]} == {
            ("CUE_OF", True, True), ("ATTRIBUTED_TO", True, True)}
        assert set(body["relations"][0]) >= {"id", "type", "from", "to", "score", "recommender"}
        assert body["stances"][0]["polarity"] == "favor"


def test_filters_by_recommender_and_min_score(article, reviewer):
    suggest(article)
    suggest(article, "mymodel", quote_score=0.4)
    client = api_client(reviewer)
    assert {s["recommender"] for s in client.get(url(article), {"recommender": "mymodel"}).json()["spans"]} == {
        "mymodel"}
    both = client.get(url(article) + "?recommender=mymodel,attribution").json()["spans"]
    assert {s["recommender"] for s in both} == {"mymodel", "attribution"}
    high = client.get(url(article), {"min_score": "0.75"}).json()
    assert sorted((s["label"], s["recommender"]) for s in high["spans"]) == [
        ("CUE", "attribution"), ("CUE", "mymodel"), ("QUOTE", "attribution")]
    # A relation whose end falls under the threshold goes with it.
    assert {r["type"] for r in high["relations"]} == {"CUE_OF"}
    assert client.get(url(article), {"min_score": "2"}).status_code == 400


def test_annotators_read_only_the_articles_assigned_to_them(project, article, layer, annotator_a, annotator_b,
                                                          outsider):
    suggest(article)
    assert api_client(annotator_a).get(url(article)).status_code == 200
    assert api_client(annotator_b).get(url(article)).status_code == 404
    assert api_client(outsider).get(url(article)).status_code == 404
    assert api_client().get(url(article)).status_code in (401, 403)
    other = make_article(make_project("elsewhere"), text=TEXT)
    suggest(other)
    assert api_client(annotator_a).get(url(other)).status_code == 404


def test_accepting_writes_items_with_provenance_in_the_history_and_a_retry_applies_once(article, layer,
                                                                                        annotator_a):
    suggest(article)
    client = api_client(annotator_a)
    shown = client.get(url(article)).json()
    attributed = next(r for r in shown["relations"] if r["type"] == "ATTRIBUTED_TO")
    body = {"relations": [attributed["id"]], "version": layer.version}
    first = client.post(f"/api/v1/annotations/{layer.pk}/suggestions/accept/", body, format="json")
    assert first.status_code == 201, first.content
    assert sorted(span["label"] for span in first.json()["spans"]) == ["QUOTE", "SOURCE"]
    spans = {span.label.name: span for span in Span.objects.filter(annotation=layer)}
    assert spans["QUOTE"].provenance == [{"recommender": "attribution", "version": "3", "score": 0.9}]
    assert (spans["QUOTE"].start, spans["QUOTE"].end) == QUOTE
    relation = Relation.objects.get(annotation=layer)
    assert relation.provenance == [{"recommender": "attribution", "version": "3", "score": 0.85}]
    events = list(AnnotationEvent.objects.filter(annotation=layer).values_list("action", flat=True))
    assert sorted(events) == ["relation.add", "span.add", "span.add"]
    version = first.json()["annotation_version"]
    assert version == layer.version + 3

    again = client.post(f"/api/v1/annotations/{layer.pk}/suggestions/accept/", body, format="json")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["annotation_version"] == version
    assert Span.objects.filter(annotation=layer).count() == 2 and Relation.objects.filter(annotation=layer).count() == 1

    # What was accepted is no longer shown; the CUE and its CUE_OF (to the accepted quote) still are.
    left = client.get(url(article)).json()
    assert sorted(span["label"] for span in left["spans"]) == ["CLAIM", "CUE"]
    cue_of = left["relations"]
    assert [r["type"] for r in cue_of] == ["CUE_OF"] and str(cue_of[0]["to"]) in {str(k) for k in left["ends"]}
    assert SuggestionDecision.objects.filter(user=annotator_a, decision="accepted").count() == 3


def test_accept_all_of_one_label_and_a_span_already_in_the_layer_is_not_doubled(article, layer, annotator_a):
    suggest(article)
    suggest(article, "mymodel")
    annotating.add_span(annotation=layer, expected_version=layer.version, label="SOURCE", start=SOURCE[0],
                        end=SOURCE[1])
    layer.refresh_from_db()
    client = api_client(annotator_a)
    response = client.post(f"/api/v1/annotations/{layer.pk}/suggestions/accept/",
                           {"label": "QUOTE", "version": layer.version}, format="json")
    assert response.status_code == 201, response.content
    # Two recommenders proposed the same quote: one span, not two.
    assert Span.objects.filter(annotation=layer, label__name="QUOTE").count() == 1
    assert Span.objects.filter(annotation=layer, label__name="SOURCE").count() == 1
    # The same "accept all" retried (its answer lost): the quote it made, once, from the version it started at.
    again = client.post(f"/api/v1/annotations/{layer.pk}/suggestions/accept/",
                        {"label": "QUOTE", "version": layer.version}, format="json")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true", again.content
    assert again.json()["annotation_version"] == response.json()["annotation_version"]
    assert Span.objects.filter(annotation=layer, label__name="QUOTE").count() == 1
    nothing = client.post(f"/api/v1/annotations/{layer.pk}/suggestions/accept/",
                          {"label": "CLAIM", "min_score": 0.5, "version": again.json()["annotation_version"]},
                          format="json")
    assert nothing.status_code == 400 and "CLAIM" in nothing.json()["label"][0]


def test_storing_suggestions_counts_the_articles_uncertainty(article):
    assert article.suggestion_uncertainty is None
    suggest(article)
    article.refresh_from_db()
    assert article.suggestion_uncertainty is not None and article.suggestion_uncertainty > 0


def test_a_stale_version_is_refused_and_nothing_is_written(article, layer, annotator_a):
    suggest(article)
    quote = next(s for s in api_client(annotator_a).get(url(article)).json()["spans"] if s["label"] == "QUOTE")
    response = api_client(annotator_a).post(f"/api/v1/annotations/{layer.pk}/suggestions/accept/",
                                            {"spans": [quote["id"]], "version": layer.version - 1}, format="json")
    assert response.status_code == 409
    assert not Span.objects.filter(annotation=layer).exists()
    assert not SuggestionDecision.objects.exists()


def test_rejected_suggestions_are_not_shown_again_even_after_a_new_run(article, layer, annotator_a, reviewer):
    suggest(article)
    client = api_client(annotator_a)
    source = spans_by_label(client.get(url(article)).json())["SOURCE"]
    response = client.post(f"/api/v1/annotations/{layer.pk}/suggestions/reject/", {"spans": [source["id"]]},
                           format="json")
    assert response.status_code == 200 and response.json() == {"rejected": 1}
    suggest(article)  # the recommender runs again: new rows, same proposals
    left = client.get(url(article)).json()
    assert "SOURCE" not in spans_by_label(left)
    assert [r["type"] for r in left["relations"]] == ["CUE_OF"]  # ATTRIBUTED_TO went with its source
    assert not Span.objects.filter(annotation=layer).exists()
    # Someone else (a reviewer reading the article) still sees it.
    assert "SOURCE" in spans_by_label(api_client(reviewer).get(url(article)).json())


def test_others_layers_and_others_suggestions_are_refused(project, article, layer, annotator_a, annotator_b,
                                                          reviewer):
    suggest(article)
    quote = spans_by_label(api_client(reviewer).get(url(article)).json())["QUOTE"]
    for user in (annotator_b, reviewer):  # not their layer: 404 for the one who cannot see it, 403 for the reader
        response = api_client(user).post(f"/api/v1/annotations/{layer.pk}/suggestions/accept/",
                                         {"spans": [quote["id"]], "version": layer.version}, format="json")
        assert response.status_code in (403, 404)
        response = api_client(user).post(f"/api/v1/annotations/{layer.pk}/suggestions/reject/",
                                         {"spans": [quote["id"]]}, format="json")
        assert response.status_code in (403, 404)
    other = make_article(project, text=TEXT)
    suggest(other)
    foreign = SuggestedSpan.objects.filter(article=other).first()
    response = api_client(annotator_a).post(f"/api/v1/annotations/{layer.pk}/suggestions/accept/",
                                            {"spans": [foreign.pk], "version": layer.version}, format="json")
    assert response.status_code == 400 and str(foreign.pk) in response.json()["spans"][0]
    assert not Span.objects.filter(annotation=layer).exists()


def test_a_bad_answer_is_stored_as_nothing(article):
    suggest(article)
    bad = Guesses(spans=[SpanGuess("QUOTE", 0, 5, 0.5), SpanGuess("NOPE", 0, 5, 0.5)])
    with pytest.raises(Exception, match=r"spans\[1\]\.label: 'NOPE' is not a label"):
        storing.replace(vocabulary=Vocabulary.of(article.project), recommender="attribution", version="4",
                        answers=[(article, bad)])
    past = Guesses(spans=[SpanGuess("QUOTE", 0, len(TEXT) + 1, 0.5)])
    with pytest.raises(Exception, match="not inside the text"):
        storing.replace(vocabulary=Vocabulary.of(article.project), recommender="attribution", version="4",
                        answers=[(article, past)])
    assert SuggestedSpan.objects.filter(article=article, version="3").count() == 4


def test_reading_suggestions_costs_the_same_whatever_their_number(project, annotator_a,
                                                                 django_assert_max_num_queries):
    client = api_client(annotator_a)
    for n in (1, 30):
        article = make_article(project, text=TEXT * n)
        layer = annotating.open_layer(assignment=make_assignment(article, annotator_a))
        guesses = Guesses(spans=[SpanGuess("QUOTE", i * len(TEXT) + QUOTE[0], i * len(TEXT) + QUOTE[1], 0.9)
                                 for i in range(n)] + [SpanGuess("SOURCE", SOURCE[0], SOURCE[1], 0.5)],
                          relations=[RelationGuess("ATTRIBUTED_TO", i, n, 0.9) for i in range(n)],
                          stances=[StanceGuess("Moroccan sovereignty over Western Sahara", "favor", 0.5, holder=n,
                                               evidence=(i,)) for i in range(n)])
        storing.replace(vocabulary=Vocabulary.of(project), recommender="attribution", version="1",
                        answers=[(article, guesses)])
        # session/token, article, layer, spans, decisions, layer spans, relations, stances, evidence
        with django_assert_max_num_queries(10):
            body = client.get(url(article)).json()
        assert len(body["spans"]) == n + 1 and len(body["relations"]) == n and len(body["stances"]) == n
        assert layer.pk


def test_refresh_runs_the_named_recommender_and_reports_one_that_fails(article, layer, annotator_a, project):
    from annotate.models import Recommender

    Recommender.objects.create(project=project, name="mymodel", kind="external", url="http://127.0.0.1:9",
                               timeout_seconds=0.5)
    response = api_client(annotator_a).post(url(article, "refresh/"), {"recommender": ["mymodel"]}, format="json")
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert [error["recommender"] for error in errors] == ["mymodel"] and "127.0.0.1:9" in errors[0]["message"]
    assert api_client(annotator_a).post(url(article, "refresh/"), {"recommender": ["nope"]},
                                        format="json").status_code == 400
    assert api_client(make_user("zed")).post(url(article, "refresh/"), {}, format="json").status_code == 404
