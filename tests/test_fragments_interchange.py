"""Discontinuous spans in and out of the project: the JSONL export and import, brat, CoNLL, CSV, Parquet and the
attribution frames. Every export shows a span's fragments; `needs_review` only where a span is flagged."""
import csv
import io
import zipfile

import orjson
import pyarrow.parquet as pq
import pytest

from annotate.export import iter_records
from annotate.export.filters import ExportFilters
from annotate.export.schema import json_schema
from annotate.export.writers.attributions import attributions
from annotate.export.writers.brat import write_brat
from annotate.export.writers.conll import document
from annotate.export.writers.csv_table import write_csv
from annotate.export.writers.parquet import write_parquet
from annotate.models import Span
from annotate.services import annotating
from annotate.services.importing import ImportFailed, import_file
from synthetic.corpus import TARGETS, to_jsonl

from .factories import make_article, make_assignment, make_project, make_user

pytestmark = pytest.mark.django_db
ALL = ExportFilters(status="all")

TEXT = ("🌍 “The plan,” Bourita said, “is serious and credible.”\n"
        "وقال بوريطة: «الخطة جدية» ثم أضاف «وذات مصداقية».")


def piece(fragment: str) -> list[int]:
    start = TEXT.index(fragment)
    return [start, start + len(fragment)]


PLAN, SERIOUS, BOURITA = piece("The plan,"), piece("is serious and credible."), piece("Bourita")
ARABIC = [piece("الخطة جدية"), piece("وذات مصداقية")]


@pytest.fixture
def layer(project, annotator_a):
    layer = annotating.open_layer(assignment=make_assignment(
        make_article(project, text=TEXT, external_id="split-1"), annotator_a))

    def add(label, **where):
        return annotating.add_span(annotation=layer, expected_version=layer.version, label=label, **where)

    quote = add("QUOTE", fragments=[PLAN, SERIOUS], attributes={"quote_type": "direct"})
    source = add("SOURCE", start=BOURITA[0], end=BOURITA[1])
    add("QUOTE", fragments=ARABIC)
    cue = add("CUE", start=BOURITA[1] + 1, end=BOURITA[1] + 5)
    annotating.add_relation(annotation=layer, expected_version=layer.version, type="ATTRIBUTED_TO", from_span=quote,
                            to_span=source)
    annotating.add_relation(annotation=layer, expected_version=layer.version, type="CUE_OF", from_span=cue,
                            to_span=quote)
    Span.objects.filter(pk=cue.pk).update(needs_review=True)  # as re-anchoring flags a span
    return layer


def exported(project) -> dict:
    (record,) = iter_records(project, ALL)
    return record


def test_the_jsonl_record_shows_fragments_always_and_needs_review_only_when_flagged(project, layer):
    spans = {s["label"] + str(s["start"]): s for s in exported(project)["annotations"]["spans"]}
    quote, source = spans[f"QUOTE{PLAN[0]}"], spans[f"SOURCE{BOURITA[0]}"]
    assert quote["fragments"] == [PLAN, SERIOUS] and (quote["start"], quote["end"]) == (PLAN[0], SERIOUS[1])
    assert quote["text"] == "The plan, is serious and credible."
    assert spans[f"QUOTE{ARABIC[0][0]}"]["fragments"] == ARABIC
    assert source["fragments"] == [BOURITA] and "needs_review" not in source
    assert spans[f"CUE{BOURITA[1] + 1}"]["needs_review"] is True


def test_the_record_is_valid_against_the_published_schema(project, layer):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(json_schema()).validate(orjson.loads(orjson.dumps(exported(project))))


def test_the_jsonl_round_trip_keeps_pieces_and_flags(project, layer):
    copy, carl = make_project("copy", targets=TARGETS), make_user("carl")
    import_file(io.BytesIO(to_jsonl([exported(project)])), name="again.jsonl", project_slug="copy", annotator=carl)
    again = exported(copy)["annotations"]
    original = exported(project)["annotations"]
    assert again["spans"] == original["spans"] and again["relations"] == original["relations"]
    stored = Span.objects.filter(annotation__article__project=copy)
    assert sorted(len(s.pieces) for s in stored) == [1, 1, 2, 2]
    assert stored.filter(needs_review=True).count() == 1
    assert stored.filter(fragments__isnull=True).count() == 2  # one piece is stored as the ordinary span


@pytest.mark.parametrize("fragments,problem", [
    ([PLAN, [PLAN[1] - 2, SERIOUS[1]]], "annotations.spans[0].fragments[1]: starts at"),
    ([PLAN, [PLAN[1], SERIOUS[1]]], "annotations.spans[0].fragments[1]: touches fragments[0]"),
    ([PLAN, [SERIOUS[0], len(TEXT) + 1]], "annotations.spans[0].fragments[1]: end is past the end of the text"),
    ([PLAN, [SERIOUS[0]]], "annotations.spans[0].fragments[1]: must be a [start, end] pair"),
    ("0-9", "annotations.spans[0].fragments: must be a non-empty list"),
])
def test_bad_fragments_in_a_file_are_problems_with_line_and_field(project, annotator_a, fragments, problem):
    record = {"external_id": "x", "text": TEXT, "annotations": {"spans": [
        {"id": "s1", "start": PLAN[0], "end": SERIOUS[1], "fragments": fragments, "label": "QUOTE"}]}}
    with pytest.raises(ImportFailed) as failed:
        import_file(io.BytesIO(to_jsonl([{"external_id": "ok", "text": "fine"}, record])), name="bad.jsonl",
                    project_slug="demo", annotator=annotator_a)
    assert f"bad.jsonl:2: {problem}" in str(failed.value)
    assert not Span.objects.exists()


def test_a_snapshot_of_a_split_span_is_its_pieces_joined_and_a_flag_must_be_a_bool(project, annotator_a):
    def spans(**extra):
        return {"external_id": "x", "text": TEXT, "annotations": {"spans": [
            {"id": "s1", "start": PLAN[0], "end": SERIOUS[1], "fragments": [PLAN, SERIOUS], "label": "QUOTE",
             **extra}]}}
    with pytest.raises(ImportFailed) as failed:
        import_file(io.BytesIO(to_jsonl([spans(text="The plan,is serious")])), name="f.jsonl", project_slug="demo",
                    annotator=annotator_a)
    assert "f.jsonl:1: annotations.spans[0].text: does not match" in str(failed.value)
    with pytest.raises(ImportFailed) as failed:
        import_file(io.BytesIO(to_jsonl([spans(needs_review="yes")])), name="f.jsonl", project_slug="demo",
                    annotator=annotator_a)
    assert "f.jsonl:1: annotations.spans[0].needs_review: must be true or false" in str(failed.value)
    import_file(io.BytesIO(to_jsonl([spans(text="The plan, is serious and credible.")])), name="f.jsonl",
                project_slug="demo", annotator=annotator_a)
    assert Span.objects.get().pieces == [tuple(PLAN), tuple(SERIOUS)]


def test_predictions_are_one_piece(project, annotator_a):
    record = {"external_id": "x", "text": TEXT, "predictions": {"model": "m", "spans": [
        {"id": "s1", "fragments": [PLAN, SERIOUS], "label": "QUOTE"}]}}
    with pytest.raises(ImportFailed) as failed:
        import_file(io.BytesIO(to_jsonl([record])), name="p.jsonl", project_slug="demo")
    assert "p.jsonl:1: predictions.spans[0].fragments: a prediction is one piece" in str(failed.value)


# brat ------------------------------------------------------------------------------------------------------------


def ann_lines(project) -> list[str]:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(write_brat(iter_records(project, ALL)))))
    (name,) = [n for n in archive.namelist() if n.endswith(".ann")]
    return archive.read(name).decode().splitlines()


def test_brat_writes_a_split_quote_as_one_discontinuous_annotation(project, layer):
    lines = ann_lines(project)
    assert f"T1\tQUOTE {PLAN[0]} {PLAN[1]};{SERIOUS[0]} {SERIOUS[1]}\tThe plan, is serious and credible." in lines
    arabic = ";".join(f"{a} {b}" for a, b in ARABIC)
    assert f"QUOTE {arabic}\tالخطة جدية وذات مصداقية" in "\n".join(lines)


def test_brat_reads_split_spans_back_and_joins_a_piece_cut_at_a_line_break(project, annotator_a, layer):
    # A piece across the line break is written as two brat fragments, one per line: it comes back as one piece.
    across = [TEXT.index("credible"), TEXT.index("بوريطة") + 6]
    annotating.add_span(annotation=layer, expected_version=layer.version, label="CLAIM", start=across[0],
                        end=across[1])
    assert any(line.split("\t")[1].count(";") == 1 and line.split("\t")[1].startswith("CLAIM")
               for line in ann_lines(project))
    make_project("copy", targets=TARGETS)
    archive = b"".join(write_brat(iter_records(project, ALL)))
    import_file(io.BytesIO(archive), name="corpus.zip", project_slug="copy", annotator=make_user("carl"))
    stored = {(s.label.name, s.start): s for s in Span.objects.filter(annotation__article__project__slug="copy")}
    assert stored[("QUOTE", PLAN[0])].pieces == [tuple(PLAN), tuple(SERIOUS)]
    assert stored[("QUOTE", ARABIC[0][0])].pieces == [tuple(p) for p in ARABIC]
    assert stored[("CLAIM", across[0])].pieces == [tuple(across)]
    assert stored[("QUOTE", PLAN[0])].text == "The plan, is serious and credible."


# CoNLL, CSV, Parquet, attribution frames -------------------------------------------------------------------------


def test_conll_tags_the_pieces_and_leaves_the_gap_o(project, layer):
    record = exported(project)
    lines = document(record, ["QUOTE", "SOURCE"]).splitlines()
    tokens = [line.split("\t") for line in lines if line and not line.startswith("#")]
    first = next(i for i, (token, *_) in enumerate(tokens) if token == "The")
    assert [(token, tag) for token, _, _, tag, _ in tokens[first:first + 9]] == [
        ("The", "B-QUOTE"), ("plan", "I-QUOTE"), (",", "I-QUOTE"), ("”", "O"), ("Bourita", "O"), ("said", "O"),
        (",", "O"), ("“", "O"), ("is", "I-QUOTE")]  # the gap is O; the second piece continues the span
    discontinuous = next(line for line in lines if line.startswith("# discontinuous = "))
    assert f"s1:QUOTE:{PLAN[0]}-{PLAN[1]};{SERIOUS[0]}-{SERIOUS[1]}" in discontinuous


def test_conll_continues_with_b_when_another_span_of_the_label_sits_in_the_gap():
    text = "aa bb cc dd"
    record = {"external_id": "x", "annotator": "a", "status": "submitted", "annotation_id": 1, "text": text,
              "annotations": {"spans": [
                  {"id": "s1", "start": 0, "end": 11, "fragments": [[0, 2], [9, 11]], "label": "QUOTE"},
                  {"id": "s2", "start": 3, "end": 5, "label": "QUOTE"}]}}
    lines = [line.split("\t") for line in document(record, ["QUOTE"]).splitlines() if line and line[0] != "#"]
    assert [tag for token, *_, tag in lines[1:]] == ["B-QUOTE", "B-QUOTE", "O", "B-QUOTE"]


def test_csv_and_parquet_carry_the_fragments(project, layer):
    rows = list(csv.DictReader(io.StringIO(b"".join(write_csv(iter_records(project, ALL))).decode())))
    quote = next(row for row in rows if row["start"] == str(PLAN[0]) and row["label"] == "QUOTE")
    assert orjson.loads(quote["fragments"]) == [PLAN, SERIOUS]
    table = pq.read_table(io.BytesIO(b"".join(write_parquet(iter_records(project, ALL)))))
    spans = table.column("spans").to_pylist()[0]
    assert [s["fragments"] for s in spans if s["label"] == "QUOTE"] == [[PLAN, SERIOUS], ARABIC]


def test_an_attribution_frame_has_the_content_in_pieces(project, layer):
    (frame,) = attributions(exported(project), article=None)
    assert frame["content"]["fragments"] == [PLAN, SERIOUS]
    assert frame["content"]["text"] == "The plan, is serious and credible."
    assert frame["source"]["fragments"] == [BOURITA]
