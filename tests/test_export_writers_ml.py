"""The JSONL, JSON, CoNLL and brat exports of the edge corpus, read back with the readers ML engineers use:
str.splitlines and json, seqeval (strict IOB2), conllu, datasets' conll reader, pybrat and bratly."""
import io
import json
import re
import warnings
import zipfile
from urllib.parse import urlencode

import orjson
import pytest
from django.urls import reverse

from annotate.export import iter_records
from annotate.export.writers.brat import _Vocabulary, standoff
from annotate.export.writers.conll import MAX_SENTENCE_TOKENS, sentences, tokenize, write_conll
from annotate.models import Membership

from .edge_corpus import EMOJI_AR, LONG, SEPARATORS, make_edge_project
from .factories import api_client, make_member, make_user

pytestmark = pytest.mark.django_db

LABELS = ["CLAIM", "SOURCE", "QUOTE", "CUE", "STANCE_EVIDENCE"]  # the project's order
COLUMNS = ["tokens", "start", "end", *LABELS]


@pytest.fixture
def edge():
    return make_edge_project()


@pytest.fixture
def client(edge):
    return api_client(make_member(edge, make_user("edge-rita"), role=Membership.Role.REVIEWER))


def export(client, fmt: str, **params) -> tuple[bytes, int]:
    url = reverse(f"api:export-{fmt}", kwargs={"slug": "edge"})
    response = client.get(f"{url}?{urlencode(params)}" if params else url)
    assert response.status_code == 200
    return b"".join(response.streaming_content), int(response["X-Export-Count"])


# JSONL and JSON: no line terminator inside a record -------------------------------------------------------------

def test_jsonl_has_exactly_one_line_per_record(edge, client):
    body, count = export(client, "jsonl")
    lines = body.decode("utf-8").splitlines()  # splits on U+2028, U+2029, U+0085 too
    assert len(lines) == count == 4
    assert [json.loads(line) for line in lines] == list(iter_records(edge))
    assert b"\\u2028" in body and b"\\u0085" in body and b"\\u2029" in body
    assert "\u2028".encode() not in body and "\u0085".encode() not in body and "\u2029".encode() not in body
    separators = next(json.loads(line) for line in lines if json.loads(line)["external_id"] == "edge-separators")
    assert separators["text"] == SEPARATORS  # the escapes read back as the characters


def test_json_array_keeps_one_record_per_line_too(edge, client):
    body, count = export(client, "json")
    lines = body.decode("utf-8").splitlines()
    assert len(lines) == count + 2  # "[", the records, "]"
    assert json.loads(body) == list(iter_records(edge))
    assert [orjson.loads(line.rstrip(",")) for line in lines[1:-1]] == list(iter_records(edge))


# CoNLL ---------------------------------------------------------------------------------------------------------

def read_conll(body: str) -> tuple[list[str], list[dict]]:
    """(columns, sentences): each sentence {"doc": comments of its document, "rows": [[token, start, end, tags...]]}."""
    lines = body.split("\n")
    assert lines[0].startswith("# global.columns = ")
    columns = lines[0].split(" = ", 1)[1].split()
    result, doc, rows = [], {}, []
    for line in lines[1:]:
        if line.startswith("# "):
            key, value = line[2:].split(" = ", 1)
            if key == "doc_id":
                doc = {}
            doc[key] = value
        elif line.startswith("-DOCSTART-"):
            assert line.split("\t") == ["-DOCSTART-", "_", "_", *("O" for _ in columns[3:])]
        elif line:
            rows.append(line.split("\t"))
            assert len(rows[-1]) == len(columns)
        elif rows:
            result.append({"doc": dict(doc), "rows": rows})
            rows = []
    assert not rows  # every sentence ends with a blank line
    return columns, result


def entities(sentences_: list[dict], column: int) -> set[tuple[int, int]]:
    """(start, end) in code points of every B-/I- run in one column, with seqeval's strict IOB2 reading."""
    from seqeval.scheme import IOB2, Entities

    tags = [[row[column] for row in sentence["rows"]] for sentence in sentences_]
    found = Entities(tags, IOB2).entities
    return {(int(sentences_[e.sent_id]["rows"][e.start][1]), int(sentences_[e.sent_id]["rows"][e.end - 1][2]))
            for sentence in found for e in sentence}


def test_conll_has_a_column_per_label_and_loses_no_nested_span(edge, client):
    body, count = export(client, "conll")
    columns, read = read_conll(body.decode("utf-8"))
    assert columns == ["FORM", "START", "END", *LABELS]
    assert body.decode("utf-8").count("\n-DOCSTART-\t") == count == 4

    emoji = [s for s in read if s["doc"]["doc_id"] == "edge-emoji-ar" and s["doc"]["annotator"] == "edge-anna"]
    assert emoji[0]["doc"] == {"doc_id": "edge-emoji-ar", "annotator": "edge-anna", "status": "submitted",
                               "annotation_id": str(edge.articles.get(external_id="edge-emoji-ar")
                                                    .annotations.get(annotator__username="edge-anna").pk),
                               "sent_id": emoji[0]["doc"]["sent_id"]}
    record = next(r for r in iter_records(edge)
                  if r["external_id"] == "edge-emoji-ar" and r["annotator"] == "edge-anna")
    for label in LABELS:  # every span, nested or crossing, is its own run in its label's column
        expected = {(s["start"], s["end"]) for s in record["annotations"]["spans"] if s["label"] == label}
        assert entities(emoji, 3 + LABELS.index(label)) == expected, label
    quote, claim = entities(emoji, 3 + LABELS.index("QUOTE")), entities(emoji, 3 + LABELS.index("CLAIM"))
    assert quote == {(14, 48)} and claim == {(12, 49)}  # the QUOTE inside the CLAIM survives

    # The STANCE_EVIDENCE crosses the line break: the sentence is not split inside it, so it is one run.
    evidence = EMOJI_AR.index("التعاونَ"), EMOJI_AR.index("agrees") + len("agrees")
    assert entities(emoji, 3 + LABELS.index("STANCE_EVIDENCE")) == {evidence}
    assert "\n" in EMOJI_AR[evidence[0]:evidence[1]]

    # ben's empty layer: all O, split at the line break.
    ben = [s for s in read if s["doc"]["annotator"] == "edge-ben"]
    assert len(ben) == 2 and all(tag == "O" for s in ben for row in s["rows"] for tag in row[3:])


def test_conll_is_strict_iob2_in_every_column(edge, client):
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    _, read = read_conll(export(client, "conll")[0].decode("utf-8"))
    for column in range(3, 3 + len(LABELS)):
        tags = [[row[column] for row in s["rows"]] for s in read]
        for sentence in tags:  # never an I- without the B- (or I-) of its label right before it
            for previous, tag in zip(["O", *sentence], sentence):
                assert not tag.startswith("I-") or previous in ("B-" + tag[2:], tag), sentence
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # seqeval warns on tags it cannot read
            classification_report(tags, tags, mode="strict", scheme=IOB2, zero_division=0)


def test_conll_sentences_stay_short_and_no_span_is_dropped_silently(edge, client):
    _, read = read_conll(export(client, "conll")[0].decode("utf-8"))
    long = [s for s in read if s["doc"]["doc_id"] == "edge-long"]
    assert [len(s["rows"]) for s in long] == [100, 200, 150]  # cut before the long CLAIM, then inside it
    assert max(len(s["rows"]) for s in read) <= MAX_SENTENCE_TOKENS
    claim = 3 + LABELS.index("CLAIM")
    assert long[1]["rows"][0][claim] == "B-CLAIM" and long[2]["rows"][0][claim] == "B-CLAIM"  # B- again after a cut
    # The second CLAIM crosses the first in the same column: left out whole, and said so.
    start = LONG.index("w340 ")
    assert long[0]["doc"]["left_out"] == f"s2:CLAIM:{start}-{LONG.index('w360') + 4}"

    separators = [s for s in read if s["doc"]["doc_id"] == "edge-separators"]
    # U+2028, U+0085 and CRLF are inside spans there (no cut), U+2029 is not (a cut); no token holds a separator.
    assert [row[0] for row in separators[-1]["rows"]] == ["end", "."]
    assert all(not re.search(r"\s|\u200b", row[0]) for s in read for row in s["rows"])
    assert [row[0] for row in separators[0]["rows"][:2]] == ["Le", "ministre"]


def test_conll_tokens_keep_harakat_and_emoji_whole():
    tokens = [token for _, _, token in tokenize("قالَ الوزيرُ 👍🏽 🇫🇷 👨\u200d👩\u200d👧 a\u200bb")]
    assert tokens == ["قالَ", "الوزيرُ", "👍🏽", "🇫🇷", "👨\u200d👩\u200d👧", "a", "b"]


def test_sentences_split_at_sentence_ends_and_line_breaks_but_not_inside_spans():
    text = 'He said "No." Then left.\nNew line? Yes'
    tokens = tokenize(text)
    words = lambda bounds: [" ".join(t for _, _, t in tokens[a:b]) for a, b in bounds]  # noqa: E731
    assert words(sentences(text, tokens, [])) == ['He said " No . "', "Then left .", "New line ?", "Yes"]
    across = {"start": text.index("Then"), "end": text.index("line")}
    assert words(sentences(text, tokens, [across])) == ['He said " No . "', "Then left . New line ?", "Yes"]


def test_datasets_and_conllu_read_the_conll_file(edge, client, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    conllu = pytest.importorskip("conllu")
    body = export(client, "conll")[0].decode("utf-8")
    _, read = read_conll(body)
    path = tmp_path / "edge.conll"
    path.write_text(body, encoding="utf-8")

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    corpus = datasets.load_dataset("conll", data_files=str(path), column_names=COLUMNS, comment_prefix="# ",
                                   cache_dir=str(tmp_path / "cache"))["train"]
    assert corpus.num_rows == len(read)
    assert corpus["tokens"] == [[row[0] for row in s["rows"]] for s in read]
    assert corpus["QUOTE"] == [[row[3 + LABELS.index("QUOTE")] for row in s["rows"]] for s in read]

    parsed = conllu.parse(body)  # field names from "# global.columns", lowercased
    documents = [s for s in parsed if s[0]["form"] == "-DOCSTART-"]
    assert [d.metadata["doc_id"] for d in documents] == ["edge-emoji-ar", "edge-emoji-ar", "edge-separators",
                                                           "edge-long"]
    sentences_ = [s for s in parsed if s[0]["form"] != "-DOCSTART-"]
    assert [[token["form"] for token in s] for s in sentences_] == [[row[0] for row in s["rows"]] for s in read]
    assert [[token["claim"] for token in s] for s in sentences_] == [[row[3] for row in s["rows"]] for s in read]


def test_conll_columns_can_be_given_and_an_empty_export_is_empty(edge):
    assert b"".join(write_conll([])) == b""
    record = next(iter_records(edge))
    body = b"".join(write_conll([record], labels=["QUOTE"])).decode("utf-8")
    assert body.startswith("# global.columns = FORM START END QUOTE\n")
    assert "# left_out = " in body  # the spans of the other labels have no column: listed, not lost


# brat ----------------------------------------------------------------------------------------------------------

def unpack(client, tmp_path) -> dict[str, tuple[str, str]]:
    archive = zipfile.ZipFile(io.BytesIO(export(client, "brat")[0]))
    archive.extractall(tmp_path / "brat")
    names = {name.rsplit(".", 1)[0] for name in archive.namelist() if name.endswith(".ann")}
    return {name: (archive.read(f"{name}.txt").decode("utf-8"), archive.read(f"{name}.ann").decode("utf-8"))
            for name in names}


def bratly_read(ann: str) -> dict:
    """Every line through bratly's constructors, referenced annotations first (bratly has no file reader)."""
    from bratly import AttributeAnnotation, EntityAnnotation, NoteAnnotation, RelationAnnotation

    lines = ann.split("\n")
    assert lines[-1] == "" and len(ann.splitlines()) == len(lines) - 1  # no line breaks but the \n at each end
    entities = {e.id: e for e in (EntityAnnotation.from_line(line) for line in lines if line.startswith("T"))}
    relations = [RelationAnnotation.from_line(line, entities) for line in lines if line.startswith("R")]
    attributes = [AttributeAnnotation.from_line(line, entities) for line in lines if line.startswith("A")]
    notes = [NoteAnnotation.from_line(line, entities) for line in lines if line.startswith("#")]
    assert len(entities) + len(relations) + len(attributes) + len(notes) == len(lines) - 1
    return {"entities": entities, "relations": relations, "attributes": attributes, "notes": notes}


def test_every_ann_parses_with_pybrat_and_bratly(edge, client, tmp_path):
    from pybrat.parser import BratParser

    files = unpack(client, tmp_path)
    examples = {e.id: e for e in BratParser(error="raise").parse(str(tmp_path / "brat"))}
    assert set(examples) == set(files)
    for name, (text, ann) in files.items():
        read = bratly_read(ann)
        assert len(examples[name].entities) == len(read["entities"])
        assert len(examples[name].relations) == len(read["relations"])
        fragments = [tuple((f.start, f.end) for f in e.fragments) for e in read["entities"].values()]
        assert len(set(fragments)) == len(fragments)  # no two T with the same fragments
        for entity in read["entities"].values():  # offsets index the .txt as it is; the column is one line
            covered = " ".join(text[f.start:f.end] for f in entity.fragments)
            assert entity.content == re.sub("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", " ", covered)


def test_brat_spans_keep_their_extent(edge, client, tmp_path):
    files = unpack(client, tmp_path)
    for record in iter_records(edge):
        name = f"{record['external_id']}.{record['annotator']}"
        entities = bratly_read(files[name][1])["entities"]
        spans = [e for e in entities.values() if e.label != "Stance"]
        assert sorted((e.label, e.fragments[0].start, e.fragments[-1].end) for e in spans) == sorted(
            (s["label"], s["start"], s["end"]) for s in record["annotations"]["spans"])
    _, ann = files["edge-separators.edge-anna"]
    assert "QUOTE 41 57;59 65\there. third line Fourth" in ann  # U+0085 a space, CRLF between fragments
    assert re.search(r"STANCE_EVIDENCE 41 \d+;\d+ 57;59 65\t", ann)  # same extent as the QUOTE: split once more


def test_every_stance_is_in_brat(edge, client, tmp_path):
    text, ann = unpack(client, tmp_path)["edge-emoji-ar.edge-anna"]
    read = bratly_read(ann)
    entities = read["entities"]
    stances = [e for e in entities.values() if e.label == "Stance"]
    assert len(stances) == 3
    lines = ann.splitlines()
    stance_ids = [e.id for e in stances]
    holder, by_entity, entity_only = stance_ids
    assert f"Holder Arg1:{holder} Arg2:T1" in ann and f"Evidence Arg1:{holder} Arg2:T4" in ann
    assert f"Evidence Arg1:{by_entity} Arg2:T5" in ann and f"Holder Arg1:{by_entity}" not in ann
    assert not any(f"Arg1:{entity_only}" in line for line in lines)  # no span to point at ...
    assert entities[entity_only].fragments[0].start == 0  # ... so it is anchored on the first line
    assert any(line.endswith("holder_entity: Morocco") and f"AnnotatorNotes {entity_only}\t" in line for line in lines)
    assert f"Polarity {entity_only} against" in ann and f"Explicit {by_entity} false" in ann
    assert text.startswith(entities[entity_only].content)


def test_standoff_escapes_line_separators_in_the_text_column_only():
    text = "Line\u2028sep\u0085next\u2029para\x0bvt\rcr\nlf"
    record = {"text": text, "annotations": {"spans": [
        {"id": "s1", "start": 0, "end": len(text), "label": "CLAIM", "entity": "A\u2028B", "attributes": {}}],
        "relations": [], "stances": []}}
    ann = standoff(record, _Vocabulary())
    assert ann.splitlines() == ann.split("\n")[:-1]
    assert ann.splitlines()[0] == "T1\tCLAIM 0 21;22 24;25 27\tLine sep next para vt cr lf"
    assert ann.splitlines()[1] == "#1\tAnnotatorNotes T1\tentity: A B"
