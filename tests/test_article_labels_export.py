"""Article-level labels outside the database: the JSONL record, their own CSV and Parquet table, and the import
reading them back."""
import csv
import io
import zipfile

import orjson
import pyarrow.parquet as pq
import pytest
from django.urls import reverse

from annotate.export import iter_records, json_schema, parse_filters
from annotate.models import AnnotationEvent, ArticleAnswer, ArticleQuestion
from annotate.services import annotating, article_labels, review
from annotate.services.importing import ImportFailed, import_file
from annotate.services.restoring import restore

from .factories import api_client, make_article, make_assignment, make_project
from .test_article_labels import ask

pytestmark = pytest.mark.django_db
TEXT = "قال بلوان 🌍 إن الخطة جادة. France backs the plan."


def annotated(article, user, answers):
    layer = annotating.open_layer(assignment=make_assignment(article, user))
    annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=4, end=9)
    article_labels.set_article_labels(annotation=layer, expected_version=2, article_labels=answers)
    return annotating.submit(annotation=layer, expected_version=3, actor=user)


@pytest.fixture
def corpus(project, annotator_a, annotator_b, reviewer):
    """Two articles; the first annotated by anna and ben (and adjudicated), the second by anna alone."""
    ask(project)
    first, second = make_article(project, text=TEXT), make_article(project, text="Another; plain article.")
    annotated(first, annotator_a, {"CHECK_WORTHY": "yes", "TOPIC": ["politics", "security"], "SKIP_REASON": "=1+1"})
    annotated(first, annotator_b, {"CHECK_WORTHY": "yes"})
    annotated(second, annotator_a, {"CHECK_WORTHY": "no", "OVERALL_STANCE": "neutral"})
    gold = review.start_gold(article=first, reviewer=reviewer)
    review.adjudicate(gold=gold, expected_version=gold.version, reviewer=reviewer)
    return first, second


def exported(client, project, name, **params):
    response = client.get(reverse(f"api:export-{name}", args=[project.slug]), {"status": "all", **params})
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_jsonl_record_carries_its_layers_answers_and_is_valid(project, corpus, reviewer):
    import jsonschema
    records = [orjson.loads(line) for line in exported(api_client(reviewer), project, "jsonl").splitlines()]
    answers = {(r["external_id"], r["annotator"]): r["article_labels"] for r in records}
    first, second = corpus
    assert answers == {
        (first.external_id, "anna"): {"CHECK_WORTHY": "yes", "TOPIC": ["politics", "security"], "SKIP_REASON": "=1+1"},
        (first.external_id, "ben"): {"CHECK_WORTHY": "yes"},
        (first.external_id, None): {"CHECK_WORTHY": "yes"},
        (second.external_id, "anna"): {"CHECK_WORTHY": "no", "OVERALL_STANCE": "neutral"},
    }
    validator = jsonschema.Draft202012Validator(json_schema())
    for record in records:
        validator.validate(record)


def test_the_records_read_answers_in_one_query_a_batch(project, corpus, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        # The layers, the vocabulary's four tables, spans, relations, evidence, stances, and the answers.
        assert len(list(iter_records(project, batch_size=1000))) == 3


def test_the_csv_table_has_a_row_per_layer_and_question(project, corpus, reviewer):
    rows = list(csv.DictReader(io.StringIO(exported(api_client(reviewer), project, "article_labels_csv",
                                                    status="all").decode())))
    first, second = corpus
    got = [(r["external_id"], r["annotator"], r["gold"], r["question"], r["value"]) for r in rows]
    assert (first.external_id, "anna", "false", "TOPIC", "politics;security") in got
    assert (first.external_id, "anna", "false", "SKIP_REASON", "'=1+1") in got  # no formula in a spreadsheet
    assert (first.external_id, "", "true", "CHECK_WORTHY", "yes") in got
    assert (second.external_id, "anna", "false", "OVERALL_STANCE", "neutral") in got
    assert len(got) == 3 + 1 + 1 + 2


def test_the_parquet_table_keeps_a_multiple_choice_as_a_list(project, corpus, reviewer):
    table = pq.read_table(io.BytesIO(exported(api_client(reviewer), project, "article_labels_parquet")))
    rows = {(r["annotator"], r["question"]): r for r in table.to_pylist() if r["external_id"] == corpus[0].external_id}
    assert rows[("anna", "TOPIC")]["values"] == ["politics", "security"] and rows[("anna", "TOPIC")]["value"] is None
    assert rows[("anna", "CHECK_WORTHY")]["value"] == "yes" and rows[("anna", "CHECK_WORTHY")]["values"] is None
    assert rows[(None, "CHECK_WORTHY")]["gold"] is True
    assert table.num_rows == 7


def test_the_csv_tables_zip_holds_the_answers_too(project, corpus, reviewer):
    archive = zipfile.ZipFile(io.BytesIO(exported(api_client(reviewer), project, "csv_tables")))
    rows = list(csv.DictReader(io.StringIO(archive.read("article_labels.csv").decode())))
    assert len(rows) == 7 and {r["question"] for r in rows} >= {"TOPIC", "SKIP_REASON"}


# The import ---------------------------------------------------------------------------


def jsonl(records) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def test_an_export_imported_into_another_project_brings_the_answers_back(project, corpus, reviewer):
    records = list(iter_records(project, parse_filters({"status": "all"}, project=project)))
    other = make_project("copy")
    ask(other)
    import_file(io.BytesIO(jsonl(records)), name="corpus.jsonl", project_slug="copy", create_users=True)
    again = list(iter_records(other, parse_filters({"status": "all"}, project=other)))
    assert sorted((r["external_id"], r["annotator"] or "", orjson.dumps(r["article_labels"])) for r in again) == \
        sorted((r["external_id"], r["annotator"] or "", orjson.dumps(r["article_labels"])) for r in records)


def test_unknown_questions_and_values_are_refused_with_their_line(project, annotator_a):
    ask(project)
    good = {"external_id": "a1", "text": TEXT, "annotator": "anna", "annotations": {"spans": []},
            "article_labels": {"CHECK_WORTHY": "yes"}}
    bad = [good,
           {**good, "external_id": "a2", "article_labels": {"MOOD": "grim", "TOPIC": ["sports"]}},
           {**good, "external_id": "a3", "article_labels": {"CHECK_WORTHY": 3}}]
    with pytest.raises(ImportFailed) as error:
        import_file(io.BytesIO(jsonl(bad)), name="labels.jsonl", project_slug=project.slug)
    problems = [(p.line, p.field) for p in error.value.problems]
    assert problems == [(2, "article_labels.MOOD"), (2, "article_labels.TOPIC"), (3, "article_labels.CHECK_WORTHY")]
    assert ("labels.jsonl:2: article_labels.MOOD: 'MOOD' is not an article question of project 'demo'"
            in str(error.value))
    assert "['sports'] is not a choice of TOPIC" in str(error.value)


def test_import_replace_records_the_answers_it_changed_and_a_restore_undoes_it(project, annotator_a, manager):
    ask(project)
    record = {"external_id": "a1", "text": TEXT, "annotator": "anna", "annotations": {"spans": []},
              "article_labels": {"CHECK_WORTHY": "yes", "TOPIC": ["economy"]}}
    import_file(io.BytesIO(jsonl([record])), name="one.jsonl", project_slug=project.slug)
    layer = annotator_a.annotations.get()
    assert article_labels.answers_of(layer.pk) == {"CHECK_WORTHY": "yes", "TOPIC": ["economy"]}
    replaced = {**record, "article_labels": {"CHECK_WORTHY": "no"}}
    import_file(io.BytesIO(jsonl([replaced])), name="two.jsonl", project_slug=project.slug, replace=True)
    layer.refresh_from_db()
    assert article_labels.answers_of(layer.pk) == {"CHECK_WORTHY": "no"}
    assert AnnotationEvent.objects.filter(annotation=layer, action="article_label.set").count() == 2
    restore(annotation=layer, version=1, expected_version=layer.version, actor=manager)
    assert article_labels.answers_of(layer.pk) == {"CHECK_WORTHY": "yes", "TOPIC": ["economy"]}


def test_an_import_that_creates_its_project_creates_the_questions_its_answers_name(db):
    """A backup restored into an empty database keeps its answers: a list makes a multiple-choice question
    whose choices are the values seen, a string a free-text question (it takes any answer)."""
    records = [{"external_id": f"a{i}", "text": TEXT, "annotator": "anna", "annotations": {"spans": []},
                "article_labels": {"CHECK_WORTHY": "yes", "TOPIC": topics}}
               for i, topics in enumerate([["economy"], ["economy", "diplomacy"]])]
    report = import_file(io.BytesIO(jsonl(records)), name="x.jsonl", project_slug="fresh",
                         create_project_if_missing=True, create_users=True)
    questions = {q.name: q for q in ArticleQuestion.objects.filter(project__slug="fresh")}
    assert (questions["CHECK_WORTHY"].kind, questions["TOPIC"].kind) == ("text", "multiple")
    assert questions["TOPIC"].choices == ["economy", "diplomacy"]
    assert not any(q.required for q in questions.values())
    assert "new article questions: CHECK_WORTHY, TOPIC" in report.summary()
    assert sorted(map(str, ArticleAnswer.objects.values_list("value", flat=True))) == sorted(
        ["yes", "yes", "['economy']", "['economy', 'diplomacy']"])


def test_an_import_that_may_not_create_names_never_makes_a_question(db):
    make_project("existing")
    record = {"external_id": "a1", "text": TEXT, "annotator": "anna", "annotations": {"spans": []},
              "article_labels": {"CHECK_WORTHY": "yes"}}
    with pytest.raises(ImportFailed, match="not an article question"):
        import_file(io.BytesIO(jsonl([record])), name="x.jsonl", project_slug="existing", create_users=True)
    assert not ArticleQuestion.objects.exists()


@pytest.mark.parametrize("fmt", ["article_labels_csv", "article_labels_parquet", "jsonl"])
def test_the_tables_queries_do_not_grow_with_layers(db, fmt):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotate.models import Membership

    from .factories import make_member, make_user

    counts = {}
    for n in (2, 12):
        project = make_project(f"size-{n}")
        ask(project)
        annotator = make_member(project, make_user(f"annotator-{n}"))
        for i in range(n):
            annotated(make_article(project, text=f"Article {i} 🌍."), annotator,
                      {"CHECK_WORTHY": "yes", "TOPIC": ["economy"], "SKIP_REASON": f"r{i}"})
        client = api_client(make_member(project, make_user(f"manager-{n}"), role=Membership.Role.MANAGER))
        client.get(reverse("api:project-detail", args=[project.slug]))  # the token's user, read before counting
        with CaptureQueriesContext(connection) as queries:
            exported(client, project, fmt)
        counts[n] = len(queries)
    assert counts[2] == counts[12]
