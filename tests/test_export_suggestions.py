"""Exporting suggestions (`status=suggestions`): one record per article, the suggestions under "predictions"
in the shape the import reads, filtered by recommender and score, streamed in keyset batches."""
import io

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.export import ExportFilters, FilterError, parse_filters, records
from annotate.export.suggestions import iter_suggestion_records
from annotate.models import Membership, SuggestedRelation, SuggestedSpan, SuggestedStance
from annotate.services.importing import import_file
from synthetic.corpus import TARGETS, annotated_records

from .factories import api_client, make_member, make_project, make_user

pytestmark = pytest.mark.django_db


def as_predictions(corpus: list[dict], model: str, score: float, version: str = "1") -> list[dict]:
    """The synthetic corpus's layers as a model's predictions (every item at `score`)."""
    out = []
    for record in corpus:
        record = dict(record)
        record["predictions"] = {"model": model, "version": version, "score": score, **record.pop("annotations")}
        out.append(record)
    return out


def import_predictions(records: list[dict], slug="demo"):
    data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    return import_file(io.BytesIO(data), name="preds.jsonl", project_slug=slug)


def export(user, slug="demo", fmt="jsonl", **params):
    return api_client(user).get(reverse(f"api:export-{fmt}", kwargs={"slug": slug}), {"status": "suggestions",
                                                                                       **params})


def jsonl(response) -> list[dict]:
    return [orjson.loads(line) for line in b"".join(response.streaming_content).splitlines()]


@pytest.fixture
def engineer(project):
    return make_member(project, make_user("erin"), role=Membership.Role.ENGINEER)


@pytest.fixture
def suggested(project):
    """Four articles with ner's suggestions (score 0.9), the first two also with rules' (0.4)."""
    corpus = annotated_records(4, seed=3)
    import_predictions(as_predictions(corpus, "ner", 0.9, version="7"))
    import_predictions(as_predictions(corpus[:2], "rules", 0.4))
    return corpus


def test_one_record_per_article_in_the_import_shape(engineer, suggested):
    response = export(engineer)
    assert response.status_code == 200 and response["X-Export-Count"] == "4"
    exported = jsonl(response)
    assert [r["external_id"] for r in exported] == [r["external_id"] for r in suggested]
    first = exported[0]
    assert "annotations" not in first and "annotator" not in first
    spans = first["predictions"]["spans"]
    assert {s["recommender"] for s in spans} == {"ner", "rules"}
    ner = [s for s in spans if s["recommender"] == "ner"]
    assert len(ner) == len(suggested[0]["annotations"]["spans"])
    assert set(ner[0]) == {"id", "start", "end", "label", "text", "entity", "attributes", "score", "recommender",
                           "version"}
    assert (ner[0]["score"], ner[0]["version"]) == (0.9, "7")
    assert all(first["text"][s["start"]:s["end"]] == s["text"] for s in spans)
    assert {r["recommender"] for r in first["predictions"]["relations"]} == {"ner", "rules"}
    assert set(first["predictions"]["stances"][0]) >= {"holder", "holder_entity", "target", "polarity", "evidence",
                                                       "score", "recommender", "version"}


def test_recommender_and_min_score_filter_the_items(engineer, suggested):
    only_rules = jsonl(export(engineer, recommender="rules"))
    assert len(only_rules) == 2
    assert {s["recommender"] for r in only_rules for s in r["predictions"]["spans"]} == {"rules"}
    both = export(engineer, recommender="rules,ner")
    repeated = api_client(engineer).get(reverse("api:export-jsonl", kwargs={"slug": "demo"}),
                                        {"status": "suggestions", "recommender": ["rules", "ner"]})
    assert jsonl(both) == jsonl(repeated) and len(jsonl(export(engineer))) == 4
    confident = jsonl(export(engineer, min_score="0.5"))
    assert {s["recommender"] for r in confident for kind in ("spans", "relations", "stances")
            for s in r["predictions"][kind]} == {"ner"}
    assert jsonl(export(engineer, min_score="0.95")) == []


def test_a_relation_or_stance_whose_span_is_left_out_is_left_out_too(project, engineer):
    text = "Amina Saleh said the border will reopen."
    import_predictions([{"external_id": "a1", "text": text, "predictions": {"model": "ner", "spans": [
        {"id": "1", "start": 0, "end": 11, "label": "SOURCE", "score": 0.3},
        {"id": "2", "start": 17, "end": 39, "label": "QUOTE", "score": 0.9}],
        "relations": [{"from": "2", "to": "1", "type": "ATTRIBUTED_TO", "score": 0.9}],
        "stances": [{"holder": "1", "target": TARGETS[0], "polarity": "favor", "score": 0.9},
                    {"holder_entity": "Amina Saleh", "target": TARGETS[0], "polarity": "favor",
                     "evidence": ["1", "2"], "score": 0.9}]}}])
    (record,) = jsonl(export(engineer, min_score="0.5"))
    predictions = record["predictions"]
    assert [s["label"] for s in predictions["spans"]] == ["QUOTE"] and predictions["relations"] == []
    assert [(s["holder_entity"], s["evidence"]) for s in predictions["stances"]] == [("Amina Saleh", ["s1"])]


def test_export_then_import_round_trips(project, engineer, suggested):
    exported = jsonl(export(engineer))
    make_project("copy", targets=TARGETS)
    import_predictions(exported, slug="copy")

    def state(slug):
        spans = sorted((s.recommender, s.version, s.score, s.label.name, s.start, s.end, s.text,
                        s.entity.name if s.entity else None, orjson.dumps(s.attributes, option=orjson.OPT_SORT_KEYS))
                       for s in SuggestedSpan.objects.filter(article__project__slug=slug).select_related(
                           "label", "entity"))
        counts = [model.objects.filter(article__project__slug=slug).count()
                  for model in (SuggestedRelation, SuggestedStance)]
        return spans, counts

    assert state("copy") == state("demo")
    assert jsonl(export(make_member(project.__class__.objects.get(slug="copy"), make_user("eve"),
                                    role=Membership.Role.ENGINEER), slug="copy")) == exported


def test_queries_do_not_grow_with_articles(db, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(records, "BATCH_SIZE", 5)
    counts = {}
    for n in (4, 20):
        project = make_project(f"size-{n}", targets=TARGETS)
        import_predictions(as_predictions(annotated_records(n, seed=n), "ner", 0.9), slug=project.slug)
        filters = ExportFilters(status="suggestions")
        with CaptureQueriesContext(connection) as queries:
            exported = list(iter_suggestion_records(project, filters))
        assert len(exported) == n
        counts[n] = len(queries)
    # The vocabulary's names (4), then per batch of 5 articles: the articles, spans, relations, stance evidence
    # and stances (5); a last short batch ends the stream without a query to find nothing more.
    assert counts[4] == 4 + 5 and counts[20] == 4 + 4 * 5 + 1
    client = api_client(make_member(project, make_user("max"), role=Membership.Role.MANAGER))
    url = reverse("api:export-jsonl", kwargs={"slug": project.slug})
    # token and user, project, role; the summary (articles selected, the articles' last change, the three
    # tables' counts); then the records as above.
    with django_assert_max_num_queries(3 + 5 + 4 + 4 * 5 + 1):
        assert len(jsonl(client.get(url, {"status": "suggestions"}))) == 20


@pytest.mark.parametrize("params, parameter, words", [
    ({"recommender": "nobody"}, "recommender", "no recommender 'nobody'"),
    ({"min_score": "high"}, "min_score", "from 0 to 1"),
    ({"min_score": "1.5"}, "min_score", "from 0 to 1"),
    ({"annotator": "anna"}, "annotator", "filters layers"),
    ({"updated_since": "2025-01-01"}, "updated_since", "filters layers"),
])
def test_bad_suggestion_filters_are_a_400_naming_the_parameter(engineer, suggested, params, parameter, words):
    response = export(engineer, **params)
    assert response.status_code == 400 and words in response.json()[parameter][0]


def test_suggestion_filters_need_status_suggestions(engineer, suggested):
    client = api_client(engineer)
    response = client.get(reverse("api:export-jsonl", kwargs={"slug": "demo"}), {"min_score": "0.5"})
    assert response.status_code == 400 and "status=suggestions" in response.json()["min_score"][0]


@pytest.mark.parametrize("fmt", ["csv", "conll", "parquet", "brat"])
def test_other_formats_refuse_suggestions_clearly(engineer, suggested, fmt):
    response = export(engineer, fmt=fmt)
    assert response.status_code == 400 and "jsonl or json" in response.json()["status"][0]


def test_json_writes_the_same_records(engineer, suggested):
    as_json = orjson.loads(b"".join(export(engineer, fmt="json").streaming_content))
    assert as_json == jsonl(export(engineer))


def test_withdrawals_and_other_doors_refuse_suggestions(project, engineer, suggested):
    response = api_client(engineer).get(reverse("api:export-withdrawn", kwargs={"slug": "demo"}),
                                        {"status": "suggestions"})
    assert response.status_code == 400 and "status" in response.json()
    with pytest.raises(FilterError):
        parse_filters({"status": "suggestions"}, project=project)  # a door that did not say it writes them


def test_who_may_export_is_unchanged(project, suggested, annotator_a, outsider):
    assert export(annotator_a).status_code in (403, 404)
    assert export(outsider).status_code in (403, 404)
