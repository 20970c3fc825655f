"""The import's rows stage: decided records as plain rows, and a failed file leaving the database as it was."""
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.interchange import parse_record
from annotate.models import (
    Annotation,
    AnnotationEvent,
    Article,
    Assignment,
    Entity,
    Label,
    Membership,
    Polarity,
    Project,
    Relation,
    RelationType,
    Span,
    Stance,
    StanceTarget,
)
from annotate.services.importing import ImportFailed, import_file, pipeline
from annotate.services.importing.checks import Owner, article_from
from annotate.services.importing.report import ImportReport
from annotate.services.importing.rows import ImportRows
from annotate.services.importing.vocabulary import Vocabulary
from synthetic.corpus import SOURCES, TARGETS, annotated_records, to_jsonl

from .factories import make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db

TEXT = "Bourita said that Morocco backs the plan."
LAYER = {
    "spans": [{"id": "s1", "start": 0, "end": 7, "label": "SOURCE", "text": "Bourita", "entity": "Nasser Bourita"},
              {"id": "s3", "start": 18, "end": 40, "label": "QUOTE", "text": "Morocco backs the plan",
               "attributes": {"quote_type": "indirect"}}],
    "relations": [{"from": "s3", "to": "s1", "type": "ATTRIBUTED_TO"}],
    "stances": [{"holder": "s1", "target": TARGETS[0], "polarity": "favor", "evidence": ["s3"]},
                {"holder_entity": "France", "target": TARGETS[1], "polarity": "against", "evidence": []}],
}


@pytest.fixture
def rows(project):
    writer = ImportRows(project=project, file="batch.jsonl", report=ImportReport(file="batch.jsonl"))
    yield writer
    writer.close()


def new_article(project, rows, external_id="a1", text=TEXT):
    article = article_from(project, parse_record({"external_id": external_id, "text": text}))
    rows.write_articles([article])
    return article


def layer_as_rows(layer: Annotation) -> dict:
    spans = {s.pk: (s.label.name, s.start, s.end, s.text, s.entity.name if s.entity else None, s.attributes)
             for s in layer.spans.select_related("label", "entity")}
    return {
        "spans": sorted(spans.values()),
        "relations": [(spans[r.from_span_id][:3], spans[r.to_span_id][:3], r.type.name)
                      for r in layer.relations.select_related("type")],
        "stances": sorted(((spans[s.holder_span_id][:3] if s.holder_span_id else None,
                            s.holder_entity.name if s.holder_entity else None, s.target.name, s.polarity.name,
                            s.explicit, [spans[e.pk][:3] for e in s.evidence.all()])
                           for s in layer.stances.select_related("target", "polarity", "holder_entity")), key=repr),
    }


def test_articles_get_ids_and_every_column(project, rows):
    records = [parse_record({"external_id": "a1", "text": TEXT, "title": "T", "caption": "C", "source": "Outlet",
                             "url": "https://example.org/a1", "published": "2024-05-11T10:00:00Z",
                             "language": "en", "metadata": {"k": [1, 2]}}),
               parse_record({"external_id": "a2", "text": "Second."})]
    articles = [article_from(project, record) for record in records]
    rows.write_articles(articles)
    rows.close()
    assert all(a.pk for a in articles) and rows.report.articles_created == 2
    stored = Article.objects.get(pk=articles[0].pk)
    assert (stored.external_id, stored.title, stored.caption, stored.outlet, stored.url, str(stored.published),
            stored.language, stored.metadata, stored.text) == (
        "a1", "T", "C", "Outlet", "https://example.org/a1", "2024-05-11", "en", {"k": [1, 2]}, TEXT)
    assert Article.objects.get(pk=articles[1].pk).published is None
    assert stored.content_hash == articles[0].content_hash


def test_a_layer_becomes_rows_that_say_what_the_record_said(project, annotator_a, rows):
    article = new_article(project, rows)
    record = parse_record({"external_id": "a1", "text": TEXT, "annotations": LAYER})
    rows.write_layers([(article, record, Owner(annotator_a, False, "submitted"))], Vocabulary(project, create=False))
    rows.close()
    layer = Annotation.objects.get(article_id=article.pk)
    assert (layer.annotator, layer.is_gold, layer.status, layer.version) == (annotator_a, False, "submitted", 1)
    assert layer.submitted_at is not None
    assert layer_as_rows(layer) == {
        "spans": [("QUOTE", 18, 40, "Morocco backs the plan", None, {"quote_type": "indirect"}),
                  ("SOURCE", 0, 7, "Bourita", "Nasser Bourita", {})],
        "relations": [(("QUOTE", 18, 40), ("SOURCE", 0, 7), "ATTRIBUTED_TO")],
        "stances": sorted([(("SOURCE", 0, 7), None, TARGETS[0], "favor", True, [("QUOTE", 18, 40)]),
                           (None, "France", TARGETS[1], "against", True, [])], key=repr),
    }
    assert Span.objects.filter(annotation=layer, client_id__isnull=False).count() == 0  # written by an import
    # A new layer's history starts with the import that made it.
    assert list(layer.events.values_list("action", "version", "after")) == [("import", 1, {"file": "batch.jsonl"})]
    assert (rows.report.layers_created, rows.report.spans, rows.report.relations, rows.report.stances,
            rows.report.entities_created) == (1, 2, 1, 2, 2)
    assert Assignment.objects.get(article_id=article.pk, annotator=annotator_a).status == "submitted"


@pytest.mark.parametrize("status,assignment", [("in_progress", "in_progress"), ("returned", "in_progress"),
                                               ("submitted", "submitted"), ("adjudicated", "submitted")])
def test_the_layers_status_says_where_its_assignment_stands(project, annotator_a, rows, status, assignment):
    article = new_article(project, rows)
    record = parse_record({"external_id": "a1", "text": TEXT, "annotations": LAYER})
    rows.write_layers([(article, record, Owner(annotator_a, False, status))], Vocabulary(project, create=False))
    rows.close()
    layer = Annotation.objects.get(article_id=article.pk)
    assert layer.status == status and (layer.submitted_at is None) == (status == "in_progress")
    stored = Assignment.objects.get(article_id=article.pk)
    assert stored.status == assignment and (stored.finished_at is None) == (assignment == "in_progress")


def test_an_existing_assignment_is_brought_up_to_date_not_doubled(project, annotator_a, rows):
    article = make_article(project, external_id="a1", text=TEXT)
    make_assignment(article, annotator_a, status="skipped", skip_reason="too long")
    record = parse_record({"external_id": "a1", "text": TEXT, "annotations": LAYER})
    rows.write_layers([(article, record, Owner(annotator_a, False, "submitted"))], Vocabulary(project, create=False))
    rows.close()
    assignment = Assignment.objects.get(article=article)
    assert (assignment.status, assignment.skip_reason) == ("submitted", "")
    assert assignment.finished_at is not None


def test_the_gold_layer_has_no_assignment(project, rows):
    article = new_article(project, rows)
    record = parse_record({"external_id": "a1", "text": TEXT, "annotations": LAYER})
    rows.write_layers([(article, record, Owner(None, True, "adjudicated"))], Vocabulary(project, create=False))
    rows.close()
    assert Annotation.objects.get(article_id=article.pk).is_gold
    assert not Assignment.objects.exists()


def test_queries_grow_with_batches_not_with_layers_or_spans(project, annotator_a):
    for name, _ in SOURCES:
        make_entity(project, name=name)  # entities are the one thing created a row at a time, once each

    def queries_for(n):
        records = [parse_record(dict(r, external_id=f"{n}-{r['external_id']}")) for r in annotated_records(n, seed=n)]
        rows = ImportRows(project=project, file=f"{n}.jsonl", report=ImportReport(file=f"{n}.jsonl"))
        articles = [article_from(project, r) for r in records]
        vocabulary = Vocabulary(project, create=False)
        with CaptureQueriesContext(connection) as queries:
            rows.write_articles(articles)
            rows.write_layers([(a, r, Owner(annotator_a, False, "submitted")) for a, r in zip(articles, records)],
                              vocabulary)
        rows.close()
        return len(queries)

    assert queries_for(5) == queries_for(60)


def test_replace_keeps_the_layer_and_records_the_change_in_its_history(project, annotator_a):
    record = {"external_id": "a1", "text": TEXT, "annotations": LAYER, "status": "in_progress"}
    import_file(io.BytesIO(to_jsonl([record])), name="first.jsonl", project_slug="demo", annotator=annotator_a)
    layer = Annotation.objects.get()
    events_before = list(layer.events.values_list("pk", flat=True))

    article = Article.objects.get()
    fewer = parse_record(dict(record, status="submitted", annotations={"spans": LAYER["spans"][:1]}))
    rows = ImportRows(project=project, file="second.jsonl", report=ImportReport(file="second.jsonl"))
    owner = Owner(annotator_a, False, "submitted")
    rows.clear_layer(article, owner)
    assert not Span.objects.filter(annotation=layer).exists()  # emptied, not deleted
    rows.write_layers([(article, fewer, owner)], Vocabulary(project, create=False))
    rows.close()
    rows.record_replaced()

    replaced = Annotation.objects.get()
    assert (replaced.pk, replaced.version, replaced.status) == (layer.pk, layer.version + 1, "submitted")
    assert rows.report.layers_replaced == 1 and rows.report.layers_created == 1
    assert layer_as_rows(replaced)["spans"] == [("SOURCE", 0, 7, "Bourita", "Nasser Bourita", {})]
    events = list(replaced.events.order_by("id"))
    assert [e.pk for e in events[:len(events_before)]] == events_before  # the earlier history stays
    added = [(e.action, e.version) for e in events[len(events_before):]]
    assert sorted(added) == sorted(
        [("span.add", 2), ("relation.delete", 2), ("stance.delete", 2), ("stance.delete", 2),
         ("span.delete", 2), ("span.delete", 2), ("status.import", 2), ("import.replace", 2)])
    assert events[-1].after == {"file": "second.jsonl"}
    assert events[-2].before == {"status": "in_progress"} and events[-2].after == {"status": "submitted"}


def test_update_saves_the_article_the_planner_rewrote(project, rows):
    article = make_article(project, external_id="a1", text=TEXT)
    article.text, article.title = "A corrected text.", "Fixed"
    rows.update_article(article)
    stored = Article.objects.get(pk=article.pk)
    assert (stored.text, stored.title, rows.report.articles_updated) == ("A corrected text.", "Fixed", 1)


# All or nothing -----------------------------------------------------------------------------


def everything() -> dict:
    """Every row an import can touch, with the columns it can change, by table."""
    return {
        model._meta.db_table: list(model.objects.order_by("pk").values_list(*fields))
        for model, fields in (
            (Project, ("slug", "name")), (Label, ("name",)), (RelationType, ("name",)), (StanceTarget, ("name",)),
            (Polarity, ("name",)), (get_user_model(), ("username",)), (Membership, ("user_id", "role")),
            (Article, ("external_id", "text", "title", "content_hash")), (Entity, ("name",)),
            (Annotation, ("annotator_id", "is_gold", "status", "version")),
            (Span, ("annotation_id", "label_id", "start", "end")), (Relation, ("from_span_id", "to_span_id")),
            (Stance, ("annotation_id", "target_id")), (Stance.evidence.through, ("stance_id", "span_id")),
            (AnnotationEvent, ("annotation_id", "action", "version")),
            (Assignment, ("article_id", "annotator_id", "status")),
        )
    }


def test_a_file_failing_after_batches_were_written_leaves_the_database_exactly_as_before(
        project, annotator_a, monkeypatch):
    """Earlier batches are already rows, an article rewritten, a layer emptied: the last line's
    problem takes all of it back, and the users, vocabulary and entities the checks created too."""
    monkeypatch.setattr(pipeline, "BATCH_ARTICLES", 2)
    import_file(io.BytesIO(to_jsonl([{"external_id": "plain", "text": "Old text."},
                                     {"external_id": "a1", "text": TEXT, "annotations": LAYER}])),
                name="first.jsonl", project_slug="demo", annotator=annotator_a)
    before = everything()

    generated = annotated_records(5, seed=11)
    for record in generated:
        record["annotator"] = "newcomer"  # created by the checks (--create-users)
    generated[0]["annotations"]["spans"][0]["label"] = "PERSON"  # added by the checks (--create-project)
    generated[0]["annotations"]["relations"] = []
    lines = [
        {"external_id": "plain", "text": "New text."},  # --update rewrites it
        {"external_id": "a1", "text": TEXT, "annotator": "anna", "annotations": {"spans": LAYER["spans"][:1]}},
        *generated,
        {"external_id": "bad", "text": "Short.", "annotator": "anna", "annotations": {
            "spans": [{"id": "s1", "start": 0, "end": 60, "label": "CLAIM", "text": "Short."}]}},
    ]
    with pytest.raises(ImportFailed) as error:
        import_file(io.BytesIO(to_jsonl(lines)), name="second.jsonl", project_slug="demo", update=True,
                    replace=True, create_users=True, create_project_if_missing=True)
    assert str(error.value) == ("second.jsonl:8: annotations.spans[0].end: "
                                "is past the end of the text (6 code points), got 60")
    assert everything() == before

    # Without its bad line, the same file changes all of these.
    import_file(io.BytesIO(to_jsonl(lines[:-1])), name="second.jsonl", project_slug="demo", update=True,
                replace=True, create_users=True, create_project_if_missing=True)
    after = everything()
    assert {table for table in before if after[table] != before[table]} == {
        "annotate_label", "auth_user", "annotate_membership", "annotate_article", "annotate_entity",
        "annotate_annotation", "annotate_span", "annotate_relation", "annotate_stance", "annotate_stance_evidence",
        "annotate_annotationevent", "annotate_assignment"}


def test_a_failing_file_is_refused_whole_with_every_problem_and_a_note_when_cut_short(project):
    lines = b"".join(b"not json %d\n" % i for i in range(150))
    with pytest.raises(ImportFailed) as error:
        import_file(io.BytesIO(lines), name="junk.jsonl", project_slug="demo")
    assert len(error.value.problems) == 100 and error.value.truncated
    assert [p.line for p in error.value.problems] == list(range(1, 101))
    assert str(error.value).endswith("\n(stopped after 100 problems)")
    assert json.dumps([str(p) for p in error.value.problems[:1]]).startswith('["junk.jsonl:1: malformed JSON')
