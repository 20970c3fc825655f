"""Importing `predictions`: a model's proposed spans, relations and stances become suggestions (never a
layer), checked like annotations, all or nothing, replaced per model and article on re-import."""
import io

import orjson
import pytest

from annotate.export import ExportFilters, iter_records
from annotate.models import (
    Annotation,
    Article,
    Entity,
    Label,
    Span,
    SuggestedRelation,
    SuggestedSpan,
    SuggestedStance,
)
from annotate.services.importing import ImportFailed, import_file
from synthetic.corpus import TARGETS

pytestmark = pytest.mark.django_db

TEXT = "Minister Amina Saleh said the border will reopen. Critics disagree."


def run_import(records, name="preds.jsonl", **options):
    data = b"".join(orjson.dumps(record) + b"\n" for record in records)
    return import_file(io.BytesIO(data), name=name, project_slug="demo", **options)


def at(word: str, text: str = TEXT) -> tuple[int, int]:
    start = text.index(word)
    return start, start + len(word)


def predicted_record(external_id="a1", *, text=TEXT, model="ner-v", **predictions) -> dict:
    source, quote = at("Amina Saleh", text), at("the border will reopen", text)
    body = {
        "model": model,
        "version": "2024.1",
        "score": 0.8,
        "spans": [
            {"id": "p1", "start": source[0], "end": source[1], "label": "SOURCE", "entity": "Amina Saleh",
             "score": 0.93},
            {"id": "p2", "start": quote[0], "end": quote[1], "label": "QUOTE"},
        ],
        "relations": [{"from": "p2", "to": "p1", "type": "ATTRIBUTED_TO", "score": 0.7}],
        "stances": [{"holder": "p1", "target": TARGETS[1], "polarity": "favor", "evidence": ["p2"],
                     "explicit": False, "score": 0.55}],
    }
    body.update(predictions)
    if model is None:
        del body["model"]
    return {"external_id": external_id, "title": "Border", "text": text, "predictions": body}


def suggestion_state():
    return [model.objects.count() for model in (Article, Annotation, Span, Entity, SuggestedSpan, SuggestedRelation,
                                                 SuggestedStance, SuggestedStance.evidence.through)]


def test_predictions_become_suggestions_with_their_scores_and_model(project):
    report = run_import([predicted_record()])  # no annotator: predictions are nobody's layer

    spans = {s.label.name: s for s in SuggestedSpan.objects.select_related("label", "entity")}
    assert set(spans) == {"SOURCE", "QUOTE"}
    source, quote = spans["SOURCE"], spans["QUOTE"]
    assert (source.recommender, source.version, source.score) == ("ner-v", "2024.1", 0.93)
    assert quote.score == 0.8  # the object's score when the item has none
    assert source.text == "Amina Saleh" and source.entity.name == "Amina Saleh"
    assert Entity.objects.filter(project=project, name="Amina Saleh").count() == 1  # created, as annotations do
    relation = SuggestedRelation.objects.get()
    assert (relation.from_span_id, relation.to_span_id, relation.type.name, relation.score) == (
        quote.pk, source.pk, "ATTRIBUTED_TO", 0.7)
    stance = SuggestedStance.objects.get()
    assert stance.holder_span_id == source.pk and stance.target.name == TARGETS[1]
    assert (stance.polarity.name, stance.explicit, stance.score) == ("favor", False, 0.55)
    assert list(stance.evidence.values_list("pk", flat=True)) == [quote.pk]
    assert not Annotation.objects.exists() and not Span.objects.exists()
    assert (report.articles_created, report.suggested_spans, report.suggested_relations,
            report.suggested_stances) == (1, 2, 1, 1)


def test_a_score_defaults_to_one_and_items_may_name_their_own_recommender(project):
    source = at("Amina Saleh")
    run_import([{"external_id": "a1", "text": TEXT, "predictions": {"spans": [
        {"id": "x", "start": source[0], "end": source[1], "label": "SOURCE", "recommender": "rules",
         "version": "3"}]}}])
    span = SuggestedSpan.objects.get()
    assert (span.recommender, span.version, span.score) == ("rules", "3", 1.0)


def test_predictions_for_an_article_already_stored_are_added_to_it(project):
    run_import([{"external_id": "a1", "text": TEXT}])
    report = run_import([predicted_record()])
    assert Article.objects.count() == 1 and not report.skipped
    assert SuggestedSpan.objects.filter(article__external_id="a1").count() == 2


@pytest.mark.parametrize("change, field, words", [
    (lambda r: r["predictions"]["spans"][1].update(end=999), "predictions.spans[1].end", "past the end"),
    (lambda r: r["predictions"]["spans"][0].update(text="Someone"), "predictions.spans[0].text", ""),
    (lambda r: r["predictions"]["spans"][0].update(label="PERSON"), "predictions.spans[0].label",
     "'PERSON' is not a label of project 'demo'"),
    (lambda r: r["predictions"]["relations"][0].update(type="CUE_OF"), "predictions.relations[0].from",
     "CUE_OF needs a CUE span"),
    (lambda r: r["predictions"]["stances"][0].update(polarity="pro"), "predictions.stances[0].polarity",
     "not a polarity"),
    (lambda r: r["predictions"]["spans"][0].update(score=1.5), "predictions.spans[0].score", "from 0 to 1"),
    (lambda r: r["predictions"].pop("model"), "predictions.spans[0].recommender", "no model"),
    (lambda r: r["predictions"]["spans"][0].update(provenance=["anna"]), "predictions.spans[0].provenance",
     "no provenance"),
    (lambda r: r["predictions"]["relations"][0].update(to="p9"), "predictions.relations[0].to", "not the id"),
])
def test_a_bad_prediction_names_file_line_and_field_and_nothing_is_stored(project, change, field, words):
    run_import([predicted_record("a0", model="older")])
    before = suggestion_state()
    bad = predicted_record("a2")
    change(bad)
    with pytest.raises(ImportFailed) as failed:
        run_import([predicted_record("a1"), bad])
    problems = [str(p) for p in failed.value.problems]
    assert any(p.startswith(f"preds.jsonl:2: {field}: ") and words in p for p in problems), problems
    assert suggestion_state() == before


def test_a_bad_prediction_leaves_the_files_annotations_out_too(project, annotator_a):
    layer_record = {"external_id": "b1", "text": TEXT, "annotations": {"spans": [
        {"id": "s1", "start": 9, "end": 20, "label": "SOURCE"}]}}
    bad = predicted_record("a1")
    bad["predictions"]["spans"][0]["start"] = -1
    before = suggestion_state()
    with pytest.raises(ImportFailed):
        run_import([layer_record, bad], annotator=annotator_a)
    assert suggestion_state() == before


def test_reimporting_a_model_replaces_its_suggestions_and_leaves_other_models_alone(project):
    run_import([predicted_record(model="ner-v")])
    run_import([predicted_record(model="rules")])
    smaller = predicted_record(model="ner-v", relations=[], stances=[])
    smaller["predictions"]["spans"] = smaller["predictions"]["spans"][:1]
    run_import([smaller])
    assert SuggestedSpan.objects.filter(recommender="ner-v").count() == 1
    assert not SuggestedRelation.objects.filter(recommender="ner-v").exists()
    assert SuggestedSpan.objects.filter(recommender="rules").count() == 2
    run_import([smaller])
    assert SuggestedSpan.objects.filter(recommender="ner-v").count() == 1  # never doubled
    # A model with no items empties its suggestions for the article.
    run_import([{"external_id": "a1", "text": TEXT, "predictions": {"model": "ner-v"}}])
    assert not SuggestedSpan.objects.filter(recommender="ner-v").exists()


def test_one_model_twice_for_one_article_in_a_file_is_refused(project):
    with pytest.raises(ImportFailed) as failed:
        run_import([predicted_record(), predicted_record()])
    assert "preds.jsonl:2: external_id: 'a1' with predictions of ner-v already appears on line 1" in str(failed.value)


def test_offsets_are_code_points_in_arabic_and_emoji_text(project):
    text = "قال 🇲🇦 الوزير عمر هلال إن الحدود ستفتح 🙂 غدا"
    name, quote = at("عمر هلال", text), at("الحدود ستفتح 🙂", text)
    run_import([{"external_id": "ar", "text": text, "language": "ar", "predictions": {"model": "ar-ner", "spans": [
        {"id": "1", "start": name[0], "end": name[1], "label": "SOURCE", "text": "عمر هلال", "score": 0.9},
        {"id": "2", "start": quote[0], "end": quote[1], "label": "QUOTE", "text": "الحدود ستفتح 🙂"}],
        "relations": [{"from": "2", "to": "1", "type": "ATTRIBUTED_TO"}]}}])
    spans = {s.text: (s.start, s.end) for s in SuggestedSpan.objects.all()}
    assert spans == {"عمر هلال": name, "الحدود ستفتح 🙂": quote}
    assert text[slice(*spans["الحدود ستفتح 🙂"])] == "الحدود ستفتح 🙂"
    with pytest.raises(ImportFailed) as failed:  # a UTF-16 count (the emoji as two) misses the snapshot
        run_import([{"external_id": "ar2", "text": text, "predictions": {"model": "ar-ner", "spans": [
            {"id": "1", "start": quote[0] + 2, "end": quote[1] + 4, "label": "QUOTE", "text": "الحدود ستفتح 🙂"}]}}])
    assert "preds.jsonl:1: predictions.spans[0]" in str(failed.value)


def test_predictions_never_appear_in_the_layer_export(project, annotator_a):
    record = predicted_record()
    record["annotations"] = {"spans": [{"id": "s1", "start": 9, "end": 20, "label": "SOURCE"}]}
    run_import([record], annotator=annotator_a)
    exported = list(iter_records(project, ExportFilters(status="all")))
    assert len(exported) == 1 and "predictions" not in exported[0]
    assert [s["label"] for s in exported[0]["annotations"]["spans"]] == ["SOURCE"]
    assert SuggestedSpan.objects.count() == 2 and Label.objects.filter(project=project, name="SOURCE").exists()


def test_with_create_project_a_predictions_label_is_created_like_an_annotations_one(db):
    report = run_import([predicted_record(spans=[{"id": "p1", "start": 0, "end": 8, "label": "TITLE"}],
                                          relations=[], stances=[])], create_project_if_missing=True)
    assert "TITLE" in report.vocabulary_created["labels"]
    assert SuggestedSpan.objects.get().label.name == "TITLE"


def test_the_command_exports_suggestions_as_import_reads_them(project):
    from django.core.management import call_command

    run_import([predicted_record(), predicted_record("a2", model="rules")])
    out = io.StringIO()
    call_command("export_annotations", "--project", "demo", "--status", "suggestions", "--recommender", "rules",
                 "--min-score", "0.5", stdout=out)
    (record,) = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert record["external_id"] == "a2"
    assert {s["recommender"] for s in record["predictions"]["spans"]} == {"rules"}


def test_update_with_a_new_text_takes_the_old_suggestions_away(project):
    run_import([predicted_record(model="rules")])
    new_text = "Amina Saleh said, on Monday, that the border will reopen."
    run_import([predicted_record(text=new_text)], update=True)
    assert Article.objects.get(external_id="a1").text == new_text
    assert set(SuggestedSpan.objects.values_list("recommender", flat=True)) == {"ner-v"}
    assert all(new_text[s.start:s.end] == s.text for s in SuggestedSpan.objects.all())
