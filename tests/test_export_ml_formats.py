"""The formats for training (docs/export.md): Parquet, attribution frames, SemEval stance TSV, CheckThat! TSV,
CSV tables. Each is read back with the library an ML engineer reaches for, on an edge corpus and empty."""
import csv
import io
import zipfile
from urllib.parse import urlencode

import orjson
import pandas
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.export import FORMATS, ExportFilters, iter_records
from annotate.export.writers import parquet
from annotate.export.writers.parquet import SCHEMA, write_parquet
from annotate.models import Article, Membership
from annotate.services.importing import import_file
from synthetic.corpus import TARGETS, annotated_records, to_jsonl

from .factories import api_client, make_annotation, make_article, make_member, make_project, make_user

pytestmark = pytest.mark.django_db
NEW_FORMATS = ["parquet", "attributions", "stance_tsv", "stance_table", "checkworthy_tsv", "csv_tables"]
FUTURE = "2999-01-01"


def export_url(fmt: str, slug: str = "demo", **params) -> str:
    url = reverse(f"api:export-{fmt}", kwargs={"slug": slug})
    return f"{url}?{urlencode(params)}" if params else url


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def get(user, fmt: str, **params) -> bytes:
    return body(api_client(user).get(export_url(fmt, **params)))


class Text:
    """Builds an article text and its spans together, so offsets are counted, not typed."""

    def __init__(self):
        self.text, self.spans = "", []

    def add(self, piece: str, label: str | None = None, **extra) -> str | None:
        start = len(self.text)
        self.text += piece
        if label is None:
            return None
        span_id = f"s{len(self.spans) + 1}"
        self.spans.append({"id": span_id, "start": start, "end": len(self.text), "label": label, "text": piece,
                           **extra})
        return span_id


def edge_record() -> dict:
    """Emoji, Arabic with harakat, NBSP/ZWSP, U+2028/U+0085, CRLF, a tab, nested claims, a quote across a line
    break, a quote with no source, an entity-only stance without evidence."""
    t = Text()
    bellouan = t.add("Hassan Bellouan", "SOURCE", entity="Hassan Bellouan")
    t.add(" ")
    said = t.add("said", "CUE")
    t.add(": “")
    first = t.add("التعاونُ الدوليُّ ضروريٌّ 🌍", "QUOTE", attributes={"quote_type": "direct"})
    t.add("”.\u2028")
    france = t.add("France", "SOURCE")
    t.add("\u00a0")
    backs = t.add("backs the\u200bplan", "STANCE_EVIDENCE")
    t.add(".\r\n")
    start = len(t.text)
    t.add("NA", "CLAIM", attributes={"check_worthy": False})
    t.add("\tis a claim 𝕏")
    t.spans.append({"id": f"s{len(t.spans) + 1}", "start": start, "end": len(t.text), "label": "CLAIM",
                    "text": t.text[start:], "attributes": {"check_worthy": True}})
    t.add(".\u0085")
    spain = t.add("Spain", "SOURCE")
    t.add(" ")
    stressed = t.add("stressed", "CUE")
    t.add(" that it was “")
    second = t.add("a crossing\nquote", "QUOTE", attributes={"quote_type": "mixed"})
    t.add("”. Nobody said “")
    t.add("words here", "QUOTE", attributes={"quote_type": "direct"})
    t.add("”.")
    spans = sorted(t.spans, key=lambda s: (s["start"], s["end"]))
    renumber = {span["id"]: f"s{n}" for n, span in enumerate(spans, start=1)}
    for span in spans:
        span["id"] = renumber[span["id"]]
    relations = [
        {"from": renumber[first], "to": renumber[bellouan], "type": "ATTRIBUTED_TO"},
        {"from": renumber[said], "to": renumber[first], "type": "CUE_OF"},
        {"from": renumber[second], "to": renumber[spain], "type": "ATTRIBUTED_TO"},
        {"from": renumber[stressed], "to": renumber[second], "type": "CUE_OF"},
    ]
    stances = [
        {"holder": renumber[france], "target": TARGETS[0], "polarity": "favor", "explicit": True,
         "evidence": [renumber[backs]]},
        {"holder_entity": "Morocco's Foreign Ministry", "target": TARGETS[1], "polarity": "against",
         "explicit": False, "evidence": []},
        {"holder": renumber[spain], "target": TARGETS[1], "polarity": "neutral", "explicit": True,
         "evidence": [renumber[second]]},
    ]
    return {"external_id": "00042", "title": "Edge\ttitle", "source": "NA", "url": "https://example.org/42",
            "published": "2025-03-14", "language": "ar", "caption": "", "metadata": {"section": "NA"},
            "text": t.text, "annotations": {"spans": spans, "relations": relations, "stances": stances}}


def import_layers(records, annotator, slug="demo"):
    return import_file(io.BytesIO(to_jsonl(records)), name="corpus.jsonl", project_slug=slug, annotator=annotator)


@pytest.fixture
def engineer(project):
    return make_member(project, make_user("erin"), role=Membership.Role.ENGINEER)


@pytest.fixture
def edge(project, annotator_a, annotator_b):
    """anna's layer on the edge article; ben's empty layer on the same article, submitted."""
    record = edge_record()
    import_layers([record], annotator_a)
    make_annotation(Article.objects.get(external_id="00042"), annotator_b, status="submitted")
    return record


@pytest.fixture
def corpus(project, annotator_a, annotator_b):
    """Synthetic layers: anna's four, ben's first two (6 submitted layers)."""
    originals = annotated_records(4, seed=5)
    import_layers(originals, annotator_a)
    import_layers(originals[:2], annotator_b)
    return originals


def jsonl_records(user, **params) -> list[dict]:
    return [orjson.loads(line) for line in get(user, "jsonl", **params).splitlines()]


# Every new format: served like the others --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_each_format_streams_with_count_etag_head_and_filters(engineer, corpus, fmt):
    client = api_client(engineer)
    response = client.get(export_url(fmt))
    assert response.status_code == 200 and response.streaming
    assert response["X-Export-Count"] == "6"
    assert response["Content-Type"] == FORMATS[fmt].content_type
    assert response["Content-Disposition"].endswith(f'.{FORMATS[fmt].extension}"')
    etag = response["ETag"]
    assert etag.endswith(f'-{fmt}"')
    assert client.get(export_url(fmt), HTTP_IF_NONE_MATCH=etag).status_code == 304
    head = client.head(export_url(fmt))
    assert head.status_code == 200 and head["ETag"] == etag and b"".join(head.streaming_content) == b""
    only_ben = client.get(export_url(fmt, annotator="ben"))
    assert only_ben["X-Export-Count"] == "2" and only_ben["ETag"] != etag
    assert client.get(export_url(fmt, status="draft")).status_code == 400
    assert client.get(export_url(fmt, trailer="1")).json() == {
        "trailer": [f"{fmt} has no completion record (only jsonl and json do); check X-Export-Count instead"]}


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_annotators_may_not_export_and_outsiders_see_nothing(annotator_a, outsider, corpus, fmt):
    assert api_client().get(export_url(fmt)).status_code == 401
    assert api_client(annotator_a).get(export_url(fmt)).status_code == 403
    assert api_client(outsider).get(export_url(fmt)).status_code == 404


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_queries_do_not_grow_with_layers(db, fmt):
    counts = {}
    for n in (3, 30):
        project = make_project(f"size-{n}", targets=TARGETS)
        import_layers(annotated_records(n, seed=n), make_user(f"annotator-{n}"), slug=project.slug)
        manager = make_member(project, make_user(f"manager-{n}"), role=Membership.Role.MANAGER)
        client = api_client(manager)  # its token made before counting
        with CaptureQueriesContext(connection) as queries:
            body(client.get(export_url(fmt, slug=project.slug)))
        counts[n] = [q["sql"] for q in queries.captured_queries]
    # The JSONL export's 15 (test_export.py), plus, for attributions, the one lookup of the batch's article ids.
    expected = 16 if fmt == "attributions" else 15
    assert len(counts[3]) == len(counts[30]) == expected, "\n".join(counts[30])


def test_the_command_writes_the_apis_bytes(engineer, corpus, tmp_path):
    from django.core.management import call_command

    for fmt in ("parquet", "stance_tsv"):
        out = tmp_path / f"demo.{fmt}"
        call_command("export_annotations", project="demo", format=fmt, output=str(out))
        assert out.read_bytes() == get(engineer, fmt)


# Parquet -----------------------------------------------------------------------------------------------------------

def test_parquet_holds_the_jsonl_records_with_the_fixed_schema(engineer, edge, corpus, tmp_path):
    data = get(engineer, "parquet")
    table = pq.read_table(io.BytesIO(data))
    assert table.schema.equals(SCHEMA, check_metadata=False)
    expected = jsonl_records(engineer)
    rows = table.to_pylist()
    assert [r["annotation_id"] for r in rows] == [r["annotation_id"] for r in expected]
    for row, record in zip(rows, expected, strict=True):
        for key in ("external_id", "title", "source", "url", "language", "caption", "text", "annotator", "status",
                    "schema_version"):
            assert row[key] == record[key], key
        assert row["published"].isoformat() == record["published"]
        assert row["updated_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ") == record["updated_at"]
        assert orjson.loads(row["metadata"]) == record["metadata"]
        layer = record["annotations"]
        assert [{**s, "attributes": orjson.loads(s["attributes"])} for s in row["spans"]] == layer["spans"]
        assert row["relations"] == layer["relations"]
        assert row["stances"] == layer["stances"]
    edge_row = next(r for r in rows if r["external_id"] == "00042" and r["annotator"] == "anna")
    assert edge_row["text"] == edge["text"] and "\u2028" in edge_row["text"] and "\r\n" in edge_row["text"]

    frame = pandas.read_parquet(io.BytesIO(data))
    assert len(frame) == 8 and frame["external_id"].iloc[0] == "00042"
    assert str(frame["updated_at"].dtype) == "datetime64[us, UTC]"

    datasets = pytest.importorskip("datasets")
    path = tmp_path / "demo.parquet"
    path.write_bytes(data)
    loaded = datasets.load_dataset("parquet", data_files=str(path), cache_dir=str(tmp_path / "cache"))["train"]
    assert loaded.num_rows == 8
    assert loaded[0]["spans"][0]["entity"] == "Hassan Bellouan"
    assert loaded["external_id"] == [r["external_id"] for r in expected]


def test_parquet_types_do_not_depend_on_the_data(engineer, edge, corpus, tmp_path):
    """Entity links only in one export, nothing at all in another: every file has the same schema, and
    datasets reads them together (the JSONL's "Couldn't cast array of type string to null")."""
    datasets = pytest.importorskip("datasets")
    files = {
        "no-entities": get(engineer, "parquet", annotator="ben"),  # the synthetic corpus links no span
        "entities": get(engineer, "parquet", article="00042"),
        "empty": get(engineer, "parquet", updated_since=FUTURE),
    }
    for name, data in files.items():
        assert pq.read_schema(io.BytesIO(data)).equals(SCHEMA, check_metadata=False), name
        (tmp_path / f"{name}.parquet").write_bytes(data)
    assert pq.read_table(io.BytesIO(files["empty"])).num_rows == 0
    assert pq.ParquetFile(io.BytesIO(files["empty"])).metadata.num_row_groups == 0
    empty = pandas.read_parquet(io.BytesIO(files["empty"]))
    assert len(empty) == 0 and list(empty.columns) == SCHEMA.names

    together = datasets.load_dataset("parquet", data_files=[str(tmp_path / f"{name}.parquet") for name in files],
                                     cache_dir=str(tmp_path / "cache"))["train"]
    assert together.num_rows == 3 + 2  # ben's two synthetic layers and his empty one; anna's and ben's on 00042
    # datasets' loader refuses a file with no rows at all ('Instruction "train" corresponds to no data'), whatever
    # its schema; the documented way for a pull that may be empty keeps the features (docs/export.md, Parquet).
    alone = datasets.Dataset(pq.read_table(tmp_path / "empty.parquet"))
    assert alone.num_rows == 0 and alone.features == together.features


def test_parquet_streams_in_bounded_row_groups(project, corpus, monkeypatch):
    monkeypatch.setattr(parquet, "ROW_GROUP_LAYERS", 4)
    pieces = list(write_parquet(iter_records(project, ExportFilters())))
    # A piece per full group before the footer: the bytes leave as the records come.
    assert len(pieces) == 2 and all(pieces)
    metadata = pq.ParquetFile(io.BytesIO(b"".join(pieces))).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [4, 2]

    def records_then_check():
        for n, record in enumerate(iter_records(project, ExportFilters()), start=1):
            if n == 5:
                assert len(seen) == 1, "the first group is written before the fifth record is read"
            yield record

    seen = []
    for piece in write_parquet(records_then_check()):
        seen.append(piece)


# Attribution frames ------------------------------------------------------------------------------------------------

def frames(user, **params) -> list[dict]:
    data = get(user, "attributions", **params)
    assert "\u2028".encode() not in data and "\u0085".encode() not in data
    return [orjson.loads(line) for line in data.decode().splitlines()]


def test_attributions_are_frames_of_quote_source_and_cue(project, engineer, edge):
    text, article = edge["text"], Article.objects.get(external_id="00042").pk

    def extent(piece: str) -> dict:
        start = text.index(piece)
        return {"start": start, "end": start + len(piece), "fragments": [[start, start + len(piece)]], "text": piece}

    layer_id = jsonl_records(engineer, annotator="anna")[0]["annotation_id"]
    common = {"article": article, "external_id": "00042", "annotator": "anna", "annotation_id": layer_id}
    assert frames(engineer) == [
        {**common, "source": {**extent("Hassan Bellouan"), "entity": "Hassan Bellouan"}, "cue": extent("said"),
         "content": extent("التعاونُ الدوليُّ ضروريٌّ 🌍"), "type": "direct"},
        {**common, "source": {**extent("Spain"), "entity": None}, "cue": extent("stressed"),
         "content": extent("a crossing\nquote"), "type": "mixed"},
    ]  # "words here" has no source: not a frame


def test_attributions_of_the_synthetic_corpus_match_its_relations(engineer, corpus):
    got = frames(engineer, annotator="anna")
    expected = []
    for record in corpus:
        spans = {s["id"]: s for s in record["annotations"]["spans"]}
        cue_of = {r["to"]: spans[r["from"]] for r in record["annotations"]["relations"] if r["type"] == "CUE_OF"}
        for relation in record["annotations"]["relations"]:
            if relation["type"] == "ATTRIBUTED_TO":
                quote, source = spans[relation["from"]], spans[relation["to"]]
                expected.append((record["external_id"], source["text"], source.get("entity"),
                                 cue_of[quote["id"]]["text"], quote["text"], quote["attributes"]["quote_type"]))
    assert [(f["external_id"], f["source"]["text"], f["source"]["entity"], f["cue"]["text"], f["content"]["text"],
             f["type"]) for f in got] == expected
    frame = pandas.read_json(io.BytesIO(get(engineer, "attributions")), lines=True)
    assert len(frame) == len(got) + sum(1 for f in frames(engineer, annotator="ben"))
    assert get(engineer, "attributions", updated_since=FUTURE) == b""


def test_the_brat_events_recipe_in_the_docs_runs(engineer, edge):
    """docs/export.md gives a recipe for brat `E… Attribution:T Source:T Cue:T Content:T` lines: run it."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "export.md").read_text(encoding="utf-8")
    recipe = doc.split("<!-- recipe: attribution events -->\n```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(compile(recipe, "docs/export.md", "exec"), namespace)  # our own documentation
    ann = namespace["brat_attributions"](frames(engineer))
    lines = ann["00042.anna"].splitlines()
    assert lines[:4] == ["T1\tSource 0 15\tHassan Bellouan", "T2\tCue 16 20\tsaid",
                         f"T3\tContent {edge['text'].index('التعاون')} {edge['text'].index('🌍') + 1}\t"
                         "التعاونُ الدوليُّ ضروريٌّ 🌍",
                         "E1\tAttribution:T2 Source:T1 Cue:T2 Content:T3"]
    assert sum(line.startswith("E") for line in lines) == 2
    assert all("\n" not in line and "\u2028" not in line for line in lines)


# SemEval-2016 stance TSV -------------------------------------------------------------------------------------------

def read_tsv(data: bytes) -> pandas.DataFrame:
    return pandas.read_csv(io.BytesIO(data), sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)


def test_stance_tsv_is_semeval_with_evidence_sentences(engineer, edge):
    data = get(engineer, "stance_tsv")
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == "ID\tTarget\tTweet\tStance" and lines[-1] == ""
    assert all(line.count("\t") == 3 for line in lines[:-1])
    assert len(data.decode().splitlines()) == len(lines) - 1  # no U+2028/U+0085/CR inside a row
    frame = read_tsv(data)
    layer_id = jsonl_records(engineer, annotator="anna")[0]["annotation_id"]
    # The entity-only stance without evidence has no text: left out.
    assert frame.to_dict("records") == [
        {"ID": f"{layer_id}-1", "Target": TARGETS[0], "Tweet": "France\u00a0backs the\u200bplan.",
         "Stance": "FAVOR"},
        {"ID": f"{layer_id}-3", "Target": TARGETS[1],
         "Tweet": "Spain stressed that it was “a crossing quote”.", "Stance": "NONE"},
    ]
    assert get(engineer, "stance_tsv", updated_since=FUTURE) == b"ID\tTarget\tTweet\tStance\n"


def test_stance_tsv_maps_polarities(engineer, corpus):
    frame = read_tsv(get(engineer, "stance_tsv"))
    stances = [s for r in jsonl_records(engineer) for s in r["annotations"]["stances"]]
    assert len(frame) == len(stances) > 0
    assert list(frame["Stance"]) == [{"favor": "FAVOR", "against": "AGAINST", "neutral": "NONE"}[s["polarity"]]
                                     for s in stances]
    assert set(frame["Target"]) <= set(TARGETS)


def test_stance_table_has_holders_targets_polarities_and_evidence_sentences(engineer, edge):
    frame = read_tsv(get(engineer, "stance_table", annotator="anna"))
    layer_id = jsonl_records(engineer, annotator="anna")[0]["annotation_id"]
    assert list(frame.columns) == ["id", "external_id", "annotator", "holder", "holder_entity", "target",
                                   "polarity", "label", "explicit", "evidence", "sentence"]
    rows = frame.to_dict("records")
    assert [row["id"] for row in rows] == [f"{layer_id}-1", f"{layer_id}-2", f"{layer_id}-3"]
    france, ministry, spain = rows
    assert (france["holder"], france["target"], france["label"], france["explicit"]) == \
        ("France", TARGETS[0], "FAVOR", "1")
    assert france["evidence"] == "backs the\u200bplan" and france["sentence"] == "France\u00a0backs the\u200bplan."
    # The entity-only stance without evidence: kept, with its source and no text (stance_tsv leaves it out).
    assert (ministry["holder"], ministry["holder_entity"], ministry["polarity"], ministry["sentence"]) == \
        ("", "Morocco's Foreign Ministry", "against", "")
    assert spain["evidence"] == "a crossing quote" and spain["external_id"] == "00042"
    ids = set(read_tsv(get(engineer, "stance_tsv", annotator="anna"))["ID"])
    assert ids == {france["id"], spain["id"]}  # the same stance, the same id in both layouts


# CheckThat! TSV ----------------------------------------------------------------------------------------------------

def test_checkworthy_tsv_labels_sentences_from_claim_attributes(engineer, edge):
    frame = read_tsv(get(engineer, "checkworthy_tsv"))
    layer_id = jsonl_records(engineer, annotator="anna")[0]["annotation_id"]
    # The two nested CLAIMs share the third sentence: one row, check-worthy because one of them is.
    assert frame.to_dict("records") == [
        {"topic_id": "00042", "sentence_id": f"{layer_id}-3", "sentence": "NA is a claim 𝕏.", "label": "1"}]


def test_checkworthy_tsv_of_the_synthetic_corpus(engineer, corpus):
    frame = read_tsv(get(engineer, "checkworthy_tsv", annotator="anna"))
    claims = [(r["external_id"], s["text"], s["attributes"]["check_worthy"])
              for r in corpus for s in r["annotations"]["spans"] if s["label"] == "CLAIM"]
    assert len(frame) == len(claims) > 0
    for (external_id, text, worthy), row in zip(claims, frame.to_dict("records"), strict=True):
        assert row["topic_id"] == external_id and text in row["sentence"] and row["label"] == str(int(worthy))
    assert get(engineer, "checkworthy_tsv", updated_since=FUTURE) == b"topic_id\tsentence_id\tsentence\tlabel\n"


# CSV tables --------------------------------------------------------------------------------------------------------

def tables(data: bytes, **options) -> dict[str, pandas.DataFrame]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["articles.csv", "spans.csv", "relations.csv", "stances.csv",
                                      "article_labels.csv"]
        return {name.removesuffix(".csv"): pandas.read_csv(archive.open(name), **options)
                for name in archive.namelist()}


def test_csv_tables_load_into_dataframes_with_strings_kept(engineer, edge, corpus):
    data = get(engineer, "csv_tables")
    read = tables(data, dtype=str, keep_default_na=False)
    records = jsonl_records(engineer)
    assert list(read["articles"]["external_id"]) == [r["external_id"] for r in records]
    assert read["articles"]["external_id"][0] == "00042" and read["articles"]["source"][0] == "NA"
    assert read["articles"]["text"][0] == edge["text"]  # CRLF, U+2028, U+0085, tab: quoted, kept
    assert read["articles"]["annotator"].tolist()[:2] == ["anna", "ben"]
    spans = read["spans"]
    assert len(spans) == sum(len(r["annotations"]["spans"]) for r in records)
    assert "NA" in set(spans["text"])
    first = records[0]["annotations"]["spans"][0]
    assert spans.iloc[0][["span_id", "start", "end", "label", "text", "entity"]].tolist() == [
        first["id"], str(first["start"]), str(first["end"]), first["label"], first["text"], first["entity"]]
    assert orjson.loads(spans["attributes"][2]) == records[0]["annotations"]["spans"][2]["attributes"]
    assert len(read["relations"]) == sum(len(r["annotations"]["relations"]) for r in records)
    stances = read["stances"]
    assert len(stances) == sum(len(r["annotations"]["stances"]) for r in records)
    assert stances.iloc[1][["stance_id", "holder_span_id", "holder_entity", "explicit", "evidence_span_ids"]
                           ].tolist() == ["2", "", "Morocco's Foreign Ministry", "false", ""]
    # Without the options, the documented breakage: what the dtypes are for.
    plain = tables(get(engineer, "csv_tables", article="00042"))
    assert plain["articles"]["external_id"][0] == 42 and pandas.isna(plain["articles"]["source"][0])
    assert plain["spans"]["text"].isna().any()


def test_csv_tables_empty_export_has_the_headers(engineer, corpus):
    read = tables(get(engineer, "csv_tables", updated_since=FUTURE), dtype=str, keep_default_na=False)
    assert {name: len(frame) for name, frame in read.items()} == {
        "articles": 0, "spans": 0, "relations": 0, "stances": 0, "article_labels": 0}
    assert list(read["stances"].columns)[-1] == "evidence_span_ids"


def test_csv_tables_neutralise_formulas(project, engineer):
    article = make_article(project, external_id="=cmd", text="+France agrees.")
    make_annotation(article, make_user("zed"), status="submitted")
    read = tables(get(engineer, "csv_tables"), dtype=str, keep_default_na=False)
    assert read["articles"]["external_id"][0] == "'=cmd" and read["articles"]["text"][0] == "'+France agrees."


def test_every_format_reads_an_unannotated_backup_record():
    """export_annotations --with-unannotated adds records without a layer (annotation_id null)."""
    record = {"external_id": "x", "title": "", "source": "", "url": "", "published": None, "language": "en",
              "caption": "", "metadata": {}, "text": "Text.", "annotations": {"spans": [], "relations": [],
                                                                               "stances": []},
              "annotator": None, "status": None, "annotation_id": None, "updated_at": None, "schema_version": 1}
    written = {name: b"".join(FORMATS[name].write([record])) for name in NEW_FORMATS}
    assert written["attributions"] == b"" and written["stance_tsv"] == b"ID\tTarget\tTweet\tStance\n"
    assert pq.read_table(io.BytesIO(b"".join(write_parquet([record])))).num_rows == 1
    assert pa.types.is_int64(SCHEMA.field("annotation_id").type)
