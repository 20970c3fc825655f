"""CSV tables: a zip of articles.csv, spans.csv, relations.csv and stances.csv, one dataframe each.

Every table has `annotation_id` (the layer) as its key; the tables join on it
(and spans, relations and stances on `annotation_id` + the local span ids).

* articles.csv: one row per exported layer (an article two people annotated
  is two rows): annotation_id, external_id, title, source, url, published,
  language, caption, metadata (JSON), text, annotator, status, updated_at.
* spans.csv: annotation_id, external_id, annotator, span_id, start, end,
  fragments (JSON, [[start, end], ...]), label, text, entity, attributes (JSON).
* relations.csv: annotation_id, external_id, annotator, from_span_id,
  to_span_id, type.
* stances.csv: annotation_id, external_id, annotator, stance_id (1, 2, ...
  in the layer), holder_span_id, holder_entity, target, polarity, explicit
  (true/false), evidence_span_ids (space-separated local ids).
* article_labels.csv: annotation_id, external_id, annotator, gold, question,
  value (a multiple choice's choices joined by ";"): writers/article_labels.py.

UTF-8, RFC 4180 quoting (csv module's defaults: CRLF row ends, fields with
commas, quotes or line breaks quoted), a header row even when empty. A
missing value (no entity, the gold layer's annotator) is an empty cell.
Cells that spreadsheets would run as formulas get a leading `'`, as in the
one-table CSV (writers/csv_table.py).

Streaming a zip means one entry after another, but the records give the four
tables' rows interleaved. articles.csv goes straight into the zip; the other
three are written to temporary files (on disk, so server memory stays flat)
and copied in once the last record is read.
"""
import csv
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator

import orjson

from . import span_pieces
from .article_labels import COLUMNS, answer_rows, csv_row
from .csv_table import fragments_cell, neutralise
from .zipstream import Sink, entry

TABLES = {
    "articles.csv": ("annotation_id", "external_id", "title", "source", "url", "published", "language", "caption",
                     "metadata", "text", "annotator", "status", "updated_at"),
    "spans.csv": ("annotation_id", "external_id", "annotator", "span_id", "start", "end", "fragments", "label", "text",
                  "entity", "attributes"),
    "relations.csv": ("annotation_id", "external_id", "annotator", "from_span_id", "to_span_id", "type"),
    "stances.csv": ("annotation_id", "external_id", "annotator", "stance_id", "holder_span_id", "holder_entity",
                    "target", "polarity", "explicit", "evidence_span_ids"),
    # The article-level answers (writers/article_labels.py): a multiple choice as its choices joined by ";".
    "article_labels.csv": COLUMNS,
}
_COPY_BLOCK = 1 << 20


class _Table:
    """One table's CSV rows, encoded as they are written, into a file or a zip entry."""

    def __init__(self, name: str, file):
        self.name, self.file = name, file
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)
        self.writer.writerow(TABLES[name])

    def row(self, values: Iterable) -> None:
        self.writer.writerow([neutralise(value) for value in values])

    def drain(self) -> None:
        self.file.write(self.buffer.getvalue().encode("utf-8"))
        self.buffer.seek(0)
        self.buffer.truncate()


def _rows(record: dict, tables: dict[str, _Table]) -> None:
    layer, metadata = record["annotations"], orjson.dumps(record["metadata"]).decode()
    key = (record["annotation_id"], record["external_id"], record["annotator"])
    tables["articles.csv"].row((
        record["annotation_id"], record["external_id"], record["title"], record["source"], record["url"],
        record["published"], record["language"], record["caption"], metadata, record["text"], record["annotator"],
        record["status"], record["updated_at"],
    ))
    spans = tables["spans.csv"]
    for span in layer["spans"]:
        spans.row((*key, span["id"], span["start"], span["end"], fragments_cell(span_pieces(span)), span["label"],
                   span["text"], span["entity"], orjson.dumps(span["attributes"]).decode()))
    relations = tables["relations.csv"]
    for relation in layer["relations"]:
        relations.row((*key, relation["from"], relation["to"], relation["type"]))
    stances = tables["stances.csv"]
    for n, stance in enumerate(layer["stances"], start=1):
        stances.row((*key, n, stance["holder"], stance["holder_entity"], stance["target"], stance["polarity"],
                     "true" if stance["explicit"] else "false", " ".join(stance["evidence"])))
    answers = tables["article_labels.csv"]
    for row in answer_rows(record):
        answers.writer.writerow(csv_row(row))


def write_csv_tables(records: Iterable[dict]) -> Iterator[bytes]:
    sink = Sink()
    later = [name for name in TABLES if name != "articles.csv"]
    # Unnamed temporary files: gone when closed, or when the process dies mid-stream.
    files = {name: tempfile.TemporaryFile(prefix="csv-tables-") for name in later}
    try:
        with zipfile.ZipFile(sink, "w") as archive:
            # Its size is unknown until the end, so ZIP64 from the start: the texts of a large corpus pass 4 GB.
            with archive.open(entry("articles.csv"), "w", force_zip64=True) as articles:
                tables = {"articles.csv": _Table("articles.csv", articles),
                          **{name: _Table(name, files[name]) for name in later}}
                for record in records:
                    _rows(record, tables)
                    for table in tables.values():
                        table.drain()
                    yield sink.take()
                tables["articles.csv"].drain()  # the header of an empty export
                for name in later:
                    tables[name].drain()
            yield sink.take()
            for name in later:
                file = files[name]
                size = file.tell()
                file.seek(0)
                with archive.open(entry(name, size=size), "w") as member:
                    while block := file.read(_COPY_BLOCK):
                        member.write(block)
                        yield sink.take()
                yield sink.take()
        yield sink.take()
    finally:
        for file in files.values():
            file.close()
