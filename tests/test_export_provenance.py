"""Provenance in the export: items accepted from a suggestion say which recommender, version and score they
came from; hand-made items keep their exact shape (no key); export -> import keeps it; the schema says so."""
import io

import orjson
import pytest

from annotate.export import ExportFilters, features_dict, iter_records, json_schema
from annotate.models import Annotation, Span, SuggestedRelation, SuggestedStance
from annotate.services import annotating
from annotate.services.importing import ImportFailed, import_file
from annotate.suggestions import deciding
from synthetic.corpus import TARGETS

from .factories import make_article, make_assignment, make_project

pytestmark = pytest.mark.django_db

TEXT = "Minister Amina Saleh said the border will reopen. Critics disagree."
ALL = ExportFilters(status="all")


def to_jsonl(records) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


@pytest.fixture
def layer(project, annotator_a):
    """anna's layer: a span, relation and stance accepted from ner's suggestions, and a span she made."""
    article = make_article(project, text=TEXT, external_id="a1")
    source, quote = TEXT.index("Amina Saleh"), TEXT.index("the border will reopen")
    import_file(io.BytesIO(to_jsonl([{"external_id": "a1", "text": TEXT, "predictions": {
        "model": "ner", "version": "7", "spans": [
            {"id": "1", "start": source, "end": source + 11, "label": "SOURCE", "score": 0.9},
            {"id": "2", "start": quote, "end": quote + 22, "label": "QUOTE", "score": 0.8}],
        "relations": [{"from": "2", "to": "1", "type": "ATTRIBUTED_TO", "score": 0.75}],
        "stances": [{"holder": "1", "target": TARGETS[0], "polarity": "favor", "evidence": ["2"],
                     "score": 0.6}]}}])), name="p.jsonl", project_slug=project.slug)
    layer = annotating.open_layer(assignment=make_assignment(article, annotator_a))
    relation = SuggestedRelation.objects.get(article=article)
    stance = SuggestedStance.objects.get(article=article)
    chosen = deciding.choose(layer, user=annotator_a, relations=[relation.pk], stances=[stance.pk])
    deciding.accept(annotation=layer, expected_version=layer.version, chosen=chosen, actor=annotator_a)
    layer.refresh_from_db()
    critics = TEXT.index("Critics")
    annotating.add_span(annotation=layer, expected_version=layer.version, label="SOURCE", start=critics,
                        end=critics + 7, actor=annotator_a)
    return layer


def exported_layer(project) -> dict:
    (record,) = [r for r in iter_records(project, ALL) if r["annotator"] == "anna"]
    return record


def test_accepted_items_export_their_provenance_and_hand_made_ones_no_key(project, layer):
    record = exported_layer(project)
    spans = {s["text"]: s for s in record["annotations"]["spans"]}
    assert spans["Amina Saleh"]["provenance"] == [{"recommender": "ner", "version": "7", "score": 0.9}]
    assert spans["the border will reopen"]["provenance"] == [{"recommender": "ner", "version": "7", "score": 0.8}]
    assert "provenance" not in spans["Critics"]  # exactly the shape hand-made items always had
    assert set(spans["Critics"]) == {"id", "start", "end", "fragments", "label", "text", "entity", "attributes"}
    (relation,) = record["annotations"]["relations"]
    assert relation["provenance"] == [{"recommender": "ner", "version": "7", "score": 0.75}]
    (stance,) = record["annotations"]["stances"]
    assert stance["provenance"] == [{"recommender": "ner", "version": "7", "score": 0.6}]


def test_export_then_import_keeps_provenance(project, layer, annotator_a):
    record = exported_layer(project)
    make_project("copy", targets=TARGETS)
    import_file(io.BytesIO(to_jsonl([record])), name="backup.jsonl", project_slug="copy")
    copied = Annotation.objects.get(article__project__slug="copy")
    assert copied.annotator == annotator_a
    again = exported_layer(copied.article.project)
    for kind in ("spans", "relations", "stances"):
        assert again["annotations"][kind] == record["annotations"][kind]
    assert Span.objects.get(annotation=copied, text="Critics").provenance == []


def test_gold_provenance_is_usernames_and_exports_too(project, annotator_a):
    record = {"external_id": "g1", "text": TEXT, "annotator": None, "status": "adjudicated", "annotations": {
        "spans": [{"id": "s1", "start": 9, "end": 20, "label": "SOURCE", "provenance": ["anna", "ben"]}]}}
    import_file(io.BytesIO(to_jsonl([record])), name="gold.jsonl", project_slug=project.slug)
    (exported,) = list(iter_records(project, ExportFilters(status="gold")))
    assert exported["annotations"]["spans"][0]["provenance"] == ["anna", "ben"]


def test_an_unreadable_provenance_is_a_problem_not_ignored(project, annotator_a):
    record = {"external_id": "x", "text": TEXT, "annotations": {
        "spans": [{"id": "s1", "start": 9, "end": 20, "label": "SOURCE", "provenance": "ner"}],
        "relations": [], "stances": []}}
    with pytest.raises(ImportFailed) as failed:
        import_file(io.BytesIO(to_jsonl([record])), name="bad.jsonl", project_slug=project.slug,
                    annotator=annotator_a)
    assert "bad.jsonl:1: annotations.spans[0].provenance: must be a list" in str(failed.value)


def test_the_schema_validates_records_with_and_without_provenance(project, layer):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema())
    record = orjson.loads(orjson.dumps(exported_layer(project)))
    validator.validate(record)  # accepted items with provenance, a hand-made one without
    spans = json_schema()["properties"]["annotations"]["properties"]["spans"]["items"]
    assert "provenance" in spans["properties"] and "provenance" not in spans["required"]
    record["annotations"]["spans"][0]["provenance"] = "ner"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(record)


def test_the_features_read_provenance_as_json():
    datasets = pytest.importorskip("datasets")
    features = datasets.Features.from_dict(features_dict())
    annotations = features["annotations"]
    for kind in ("spans", "relations", "stances"):
        assert annotations[kind].feature["provenance"] == datasets.Json()
