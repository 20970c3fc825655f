"""Importing interchange JSONL and scraped text: all or nothing, with errors that say where."""
import gc
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.models import Annotation, Article, Assignment, Entity, Membership, Project, Relation, Span, Stance
from annotate.services.importing import ImportFailed, import_file, pipeline
from synthetic.corpus import TARGETS, annotated_records, to_jsonl

from .factories import make_article, make_project, make_user

pytestmark = pytest.mark.django_db
RAW = Path(__file__).resolve().parent.parent / "fixtures" / "raw"


def run_import(data, name="corpus.jsonl", project_slug="demo", **options):
    if not isinstance(data, bytes):
        data = to_jsonl(data)
    return import_file(io.BytesIO(data), name=name, project_slug=project_slug, **options)


def database_state():
    return [model.objects.count() for model in (Project, Article, Annotation, Span, Relation, Stance, Entity,
                                                 Assignment, Membership)]


def stored_corpus(annotator):
    """What the database holds of `annotator`'s layers, in the interchange's terms."""
    corpus = {}
    for annotation in Annotation.objects.filter(annotator=annotator).select_related("article"):
        spans = {s.pk: s for s in annotation.spans.select_related("label", "entity")}
        key = lambda pk: (spans[pk].start, spans[pk].end, spans[pk].label.name)  # noqa: E731 - a sort key
        corpus[annotation.article.external_id] = {
            "spans": sorted((s.start, s.end, s.label.name, s.text, s.entity.name if s.entity else None,
                             json.dumps(s.attributes, sort_keys=True)) for s in spans.values()),
            "relations": sorted((key(r.from_span_id), key(r.to_span_id), r.type.name)
                                for r in annotation.relations.select_related("type")),
            "stances": sorted((
                (key(s.holder_span_id) if s.holder_span_id else None, s.holder_entity.name if s.holder_entity else None,
                 s.target.name, s.polarity.name, s.explicit, tuple(sorted(key(e.pk) for e in s.evidence.all())))
                for s in annotation.stances.select_related("target", "polarity", "holder_entity")
            ), key=repr),
        }
    return corpus


def expected_corpus(records):
    corpus = {}
    for record in records:
        layer = record["annotations"]
        spans = {s["id"]: s for s in layer["spans"]}
        key = lambda sid: (spans[sid]["start"], spans[sid]["end"], spans[sid]["label"])  # noqa: E731 - a sort key
        evidence = lambda e: [e] if isinstance(e, str) else e  # noqa: E731 - one evidence id or a list, as a list
        corpus[record["external_id"]] = {
            "spans": sorted((s["start"], s["end"], s["label"], s["text"], s.get("entity"),
                             json.dumps(s.get("attributes", {}), sort_keys=True)) for s in spans.values()),
            "relations": sorted((key(r["from"]), key(r["to"]), r["type"]) for r in layer["relations"]),
            "stances": sorted((
                (key(s["holder"]) if s.get("holder") else None, s.get("holder_entity"), s["target"], s["polarity"],
                 s.get("explicit", True), tuple(sorted(key(e) for e in evidence(s["evidence"]))))
                for s in layer["stances"]
            ), key=repr),
        }
    return corpus


def test_fifty_generated_articles_arrive_whole(db):
    annotator = make_user("importer")
    records = annotated_records(50, seed=7)
    report = run_import(records, annotator=annotator, create_project_if_missing=True)

    assert report.articles_created == 50 and report.layers_created == 50
    assert report.spans == sum(len(r["annotations"]["spans"]) for r in records) == Span.objects.count()
    assert report.relations == Relation.objects.count() > 0
    assert report.stances == Stance.objects.count() > 0
    assert stored_corpus(annotator) == expected_corpus(records)
    article = Article.objects.get(external_id="gen-00001")
    assert (article.title, article.caption, article.outlet) == (
        records[0]["title"], "Caption 1", records[0]["source"])
    assert str(article.published) == records[0]["published"]
    project = Project.objects.get(slug="demo")
    assert project.role_of(annotator) == "annotator"
    assert Assignment.objects.filter(annotator=annotator, status="submitted").count() == 50
    assert set(Entity.objects.values_list("name", flat=True)) >= {"Hassan Bellouan", "Morocco's Foreign Ministry"}


def test_import_writes_in_bulk(db):
    """Queries grow with batches, never with rows: no INSERT per span, no SELECT per article."""
    annotator = make_user("importer")
    make_project("bulk", targets=TARGETS)
    records = annotated_records(120, seed=3)
    rows = sum(len(r["annotations"][k]) for r in records for k in ("spans", "relations", "stances")) + len(records)
    with CaptureQueriesContext(connection) as queries:
        run_import(records, project_slug="bulk", annotator=annotator)
    # Entities are created once each (a handful); everything else is batched.
    assert len(queries) < 40 + rows / 100, "\n".join(q["sql"][:120] for q in queries)


def test_an_import_leaves_the_garbage_collector_as_it_found_it(db):
    """It runs less often during an import (a third of its Python time otherwise), as before once it is done."""
    before = gc.get_threshold()
    assert before != pipeline.IMPORT_GC_THRESHOLDS
    run_import(annotated_records(3, seed=5), annotator=make_user("importer"), create_project_if_missing=True)
    assert gc.get_threshold() == before
    with pytest.raises(ImportFailed):
        run_import(b"{not json\n", project_slug="demo")
    assert gc.get_threshold() == before


def test_malformed_json_names_the_line_and_writes_nothing(project, annotator_a):
    good = to_jsonl(annotated_records(3))
    lines = good.splitlines(keepends=True)
    broken = lines[0] + b'{"external_id": "x", "text": \n' + lines[1]
    before = database_state()
    with pytest.raises(ImportFailed) as error:
        run_import(broken, annotator=annotator_a)
    assert [(p.line, p.field) for p in error.value.problems] == [(2, "")]
    assert str(error.value).startswith("corpus.jsonl:2: malformed JSON")
    assert database_state() == before


def test_unknown_vocabulary_is_listed_whole(project, annotator_a):
    records = annotated_records(3)
    records[0]["annotations"]["spans"][0]["label"] = "PERSON"
    records[2]["annotations"]["spans"][1]["label"] = "ORG"
    records[1]["annotations"]["relations"][0]["type"] = "SAID_BY"
    records[1]["annotations"]["stances"] = [{"holder_entity": "France", "target": "Mars colonisation",
                                             "polarity": "favor", "evidence": []}]
    before = database_state()
    with pytest.raises(ImportFailed) as error:
        run_import(records, annotator=annotator_a)
    problems = {p.field: p for p in error.value.problems}
    assert "'ORG' (line 3)" in problems["labels"].message and "'PERSON' (line 1)" in problems["labels"].message
    assert "'SAID_BY' (line 2)" in problems["relation types"].message
    assert "'Mars colonisation' (line 2)" in problems["targets"].message
    assert database_state() == before


def test_create_project_adopts_the_files_vocabulary(db):
    records = annotated_records(2)
    records[0]["annotations"]["spans"][0]["label"] = "PERSON"
    records[0]["annotations"]["relations"] = []  # PERSON is no SOURCE for ATTRIBUTED_TO
    records[0]["annotations"]["stances"] = []
    report = run_import(records, project_slug="fresh", annotator=make_user(), create_project_if_missing=True)
    project = Project.objects.get(slug="fresh")
    assert project.labels.filter(name="PERSON").exists()
    assert report.vocabulary_created["labels"] == ["PERSON"]
    assert set(project.stance_targets.values_list("name", flat=True)) >= {
        s["target"] for r in records for s in r["annotations"]["stances"]}


@pytest.mark.parametrize(
    "change,field",
    [
        (lambda span, text: span.update(end=len(text) + 5), "annotations.spans[0].end"),
        (lambda span, text: span.update(start=-2), "annotations.spans[0].start"),
        (lambda span, text: span.update(text=span["text"] + "x"), "annotations.spans[0].text"),
        (lambda span, text: span.update(start=str(span["start"])), "annotations.spans[0].start"),
    ],
    ids=["end past text", "negative start", "snapshot mismatch", "string offset"],
)
def test_bad_offsets_are_refused_with_their_field(project, annotator_a, change, field):
    records = annotated_records(2)
    change(records[1]["annotations"]["spans"][0], records[1]["text"])
    before = database_state()
    with pytest.raises(ImportFailed) as error:
        run_import(records, annotator=annotator_a)
    assert [(p.line, p.field) for p in error.value.problems] == [(2, field)]
    assert database_state() == before


def test_dangling_references_and_bad_ends(project, annotator_a):
    records = annotated_records(1)
    layer = records[0]["annotations"]
    layer["relations"].append({"from": "s1", "to": "s999", "type": "CUE_OF"})
    layer["relations"].append({"from": "s1", "to": "s1", "type": "CUE_OF"})
    second = annotated_records(2)[1]
    first_relation = second["annotations"]["relations"][0]  # quote -> source; reversed it is wrong
    second["annotations"]["relations"] = [{"from": first_relation["to"], "to": first_relation["from"],
                                           "type": "ATTRIBUTED_TO"}]
    records.append(second)
    with pytest.raises(ImportFailed) as error:
        run_import(records, annotator=annotator_a)
    messages = [str(p) for p in error.value.problems]
    assert any(":1: annotations.relations[" in m and "'s999' is not the id of a span" in m for m in messages)
    assert any(":1: annotations.relations[" in m and "two different spans" in m for m in messages)
    assert any(":2: annotations.relations[0].from: ATTRIBUTED_TO needs a QUOTE span" in m for m in messages)
    assert Article.objects.count() == 0


def test_duplicate_external_id_in_one_file(project, annotator_a):
    records = annotated_records(3)
    records[2]["external_id"] = records[0]["external_id"]
    with pytest.raises(ImportFailed) as error:
        run_import(records, annotator=annotator_a)
    assert str(error.value) == (f"corpus.jsonl:3: external_id: '{records[0]['external_id']}' with anna's layer "
                                "already appears on line 1 of this file")
    assert Article.objects.count() == 0


def test_one_article_may_bring_several_layers_in_one_file(project, annotator_a, annotator_b):
    """As exports write it: one line per article and layer, the same text on each."""
    record = annotated_records(1)[0]
    lines = [dict(record, annotator="anna"), dict(record, annotator="ben"),
             dict(record, annotator=None, status="adjudicated")]
    report = run_import(lines)
    assert report.articles_created == 1 and report.layers_created == 3
    assert Annotation.objects.filter(article__external_id=record["external_id"]).count() == 3

    clash = [dict(record, external_id="x", annotator="anna"), dict(record, external_id="x", annotator="ben",
                                                                     text=record["text"] + " More.")]
    with pytest.raises(ImportFailed) as error:
        run_import(clash)
    assert str(error.value) == "corpus.jsonl:2: text: differs from the text of 'x' on line 1"


def test_annotations_need_an_annotator(project):
    with pytest.raises(ImportFailed) as error:
        run_import(annotated_records(1))
    assert error.value.problems[0].field == "annotations"


def test_reimport_skips_known_articles_and_update_is_refused_when_annotated(project, annotator_a):
    plain = [{"external_id": "a1", "text": "First text."}, {"external_id": "a2", "text": "Second text."}]
    assert run_import(plain).articles_created == 2
    report = run_import(plain)
    assert report.articles_created == 0 and [s[1] for s in report.skipped] == ["a1", "a2"]

    changed = [{"external_id": "a1", "text": "First text, corrected.", "title": "Fixed"}]
    assert run_import(changed, update=True).articles_updated == 1
    assert Article.objects.get(external_id="a1").text == "First text, corrected."

    Annotation.objects.create(article=Article.objects.get(external_id="a2"), annotator=annotator_a)
    with pytest.raises(ImportFailed) as error:
        run_import([{"external_id": "a2", "text": "Rewritten."}], update=True)
    assert "updating it is refused" in str(error.value)
    assert Article.objects.get(external_id="a2").text == "Second text."


def test_a_second_annotators_layer_joins_the_same_article(project, annotator_a, annotator_b):
    records = annotated_records(2)
    run_import(records, annotator=annotator_a)
    run_import(records, annotator=annotator_b)
    assert Article.objects.count() == 2
    assert Annotation.objects.filter(annotator=annotator_b).count() == 2
    assert stored_corpus(annotator_b) == expected_corpus(records)

    with pytest.raises(ImportFailed) as error:
        run_import(records, annotator=annotator_b)
    assert "already has a layer" in str(error.value) and "--replace" in str(error.value)

    fewer = annotated_records(2)
    for r in fewer:
        r["annotations"] = {"spans": r["annotations"]["spans"][:1], "relations": [], "stances": []}
    report = run_import(fewer, annotator=annotator_b, replace=True)
    assert report.layers_replaced == 2
    assert Span.objects.filter(annotation__annotator=annotator_b).count() == 2
    assert stored_corpus(annotator_a) == expected_corpus(records)  # the other layer is untouched


def test_annotations_against_a_different_text_are_refused(project, annotator_a):
    make_article(project, external_id="gen-00001", text="Another text altogether.")
    with pytest.raises(ImportFailed) as error:
        run_import(annotated_records(1), annotator=annotator_a)
    assert error.value.problems[0].field == "text"


def test_missing_project_without_create(db):
    with pytest.raises(ImportFailed) as error:
        run_import([{"external_id": "a", "text": "t"}], project_slug="nowhere")
    assert "--create-project" in str(error.value)
    assert not Project.objects.exists()


def test_unknown_file_type(project):
    with pytest.raises(ImportFailed) as error:
        run_import(b"a,b\n", name="table.csv")
    assert ".csv" in str(error.value)


def test_scraped_seed_files_become_clean_articles(project):
    for path in sorted(RAW.glob("*.txt")):
        run_import(path.read_bytes(), name=path.name, language="en")
    articles = list(Article.objects.order_by("external_id"))
    assert [a.external_id for a in articles] == [
        "000_c3245687530002ae-1", "000_c3245687530002ae-2", "003_22f62e28c0ab0abe-1"]
    first = articles[0]
    assert first.title == "Global Coalition to Defeat ISIS to Hold 1st Ministerial Meeting in Marrakech"
    assert first.caption.endswith("Training in Africa. (AFP)")
    assert first.caption not in first.text and first.title not in first.text
    assert "\n\nTT\n\n" not in first.text
    assert first.metadata == {"source_file": "000_c3245687530002ae.txt", "source_line": 1}
    assert articles[2].caption == ""


def test_command_imports_and_reports(tmp_path, project, annotator_a, capsys):
    path = tmp_path / "batch.jsonl"
    path.write_bytes(to_jsonl(annotated_records(4)))
    call_command("import_articles", str(path), project="demo", annotator="anna")
    out = capsys.readouterr().out
    assert "4 article(s) created" in out and "4 annotation layer(s)" in out
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(to_jsonl({k: v for k, v in r.items() if k != "annotations"} for r in annotated_records(4)))
    call_command("import_articles", str(plain), project="demo")
    out = capsys.readouterr().out
    assert "0 article(s) created, 0 updated, 4 skipped" in out and "already imported" in out


def test_command_fails_loudly_with_every_problem(tmp_path, project, annotator_a, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"external_id": "a", "text": "t"}\nnot json\n{"text": "no id"}\n', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_articles", str(path), project="demo")
    err = capsys.readouterr().err
    assert f"{path}:2: malformed JSON" in err
    assert f"{path}:3: external_id: is required" in err
    assert not Article.objects.exists()


def test_records_can_name_their_own_annotator_and_the_gold_layer(project, annotator_a):
    records = annotated_records(3)
    records[0]["annotator"] = "anna"
    records[1]["annotator"], records[1]["status"] = "newcomer", "in_progress"
    records[2]["annotator"], records[2]["status"] = None, "adjudicated"
    with pytest.raises(ImportFailed) as error:
        run_import(records)
    assert str(error.value) == (
        "corpus.jsonl:2: annotator: no user 'newcomer' (create missing users with --create-users)"
    )
    assert not Article.objects.exists()

    run_import(records, create_users=True)
    layers = {(a.article.external_id, a.annotator.username if a.annotator else None, a.is_gold, a.status)
              for a in Annotation.objects.select_related("article", "annotator")}
    assert layers == {("gen-00001", "anna", False, "submitted"), ("gen-00002", "newcomer", False, "in_progress"),
                      ("gen-00003", None, True, "adjudicated")}
    newcomer = Membership.objects.get(user__username="newcomer", project=project)
    assert newcomer.role == "annotator" and not newcomer.user.has_usable_password()
    assert Assignment.objects.get(annotator__username="newcomer").status == "in_progress"
    assert stored_corpus(annotator_a) == expected_corpus(records[:1])


def test_a_bad_layer_status_is_refused(project, annotator_a):
    records = annotated_records(1)
    records[0]["status"] = "finished"
    with pytest.raises(ImportFailed) as error:
        run_import(records, annotator=annotator_a)
    assert error.value.problems[0].field == "status"
