"""The article-level answers as their own table: one row per layer x answered question.

Columns: annotation_id, external_id, annotator (empty / null for the gold layer), gold (whether the row is the
gold layer's), question (its NAME), value.

* CSV (`article_labels_csv`, and article_labels.csv inside `csv_tables`): `value` is the answer as text; a
  multiple-choice answer is its choices joined by ";" in the question's order (choices cannot hold a ";",
  models/article_labels.py, so the join splits back).
* Parquet (`article_labels_parquet`): `value` is a string for a single-choice or free-text answer and null
  for a multiple-choice one, whose choices are the list<string> `values` (null for the other kinds): two
  typed columns rather than one that would have to be JSON text.

Streamed like the other writers: CSV a record at a time, Parquet a row group per `ROW_GROUP_LAYERS` layers.
"""
import csv
import io
from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .csv_table import neutralise
from .parquet import ROW_GROUP_LAYERS, _Sink

COLUMNS = ("annotation_id", "external_id", "annotator", "gold", "question", "value")
SEPARATOR = ";"

SCHEMA = pa.schema([
    ("annotation_id", pa.int64()),
    ("external_id", pa.string()),
    ("annotator", pa.string()),  # null for the gold layer
    ("gold", pa.bool_()),
    ("question", pa.string()),
    ("value", pa.string()),  # single choice, free text; null for multiple choice
    ("values", pa.list_(pa.string())),  # multiple choice; null for the other kinds
], metadata={"producer": "annotate export (docs/export.md, article labels)"})


def answer_rows(record: dict) -> Iterator[tuple]:
    """(annotation_id, external_id, annotator, gold, question, value) per answer of the record's layer."""
    gold = record["annotator"] is None
    for question, value in record.get("article_labels", {}).items():
        yield record["annotation_id"], record["external_id"], record["annotator"], gold, question, value


def csv_value(value) -> str:
    return SEPARATOR.join(value) if isinstance(value, list) else value


def csv_row(row: tuple) -> list:
    annotation_id, external_id, annotator, gold, question, value = row
    return [neutralise(cell) for cell in (annotation_id, external_id, annotator, "true" if gold else "false",
                                          question, csv_value(value))]


def write_article_labels_csv(records: Iterable[dict]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for record in records:
        for row in answer_rows(record):
            writer.writerow(csv_row(row))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")  # the header of an empty export


def _table(rows: list[tuple]) -> pa.Table:
    columns = {name: [] for name in SCHEMA.names}
    for annotation_id, external_id, annotator, gold, question, value in rows:
        for name, cell in (("annotation_id", annotation_id), ("external_id", external_id), ("annotator", annotator),
                           ("gold", gold), ("question", question)):
            columns[name].append(cell)
        columns["value"].append(None if isinstance(value, list) else value)
        columns["values"].append(value if isinstance(value, list) else None)
    return pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) for f in SCHEMA], schema=SCHEMA)


def write_article_labels_parquet(records: Iterable[dict], *, row_group_layers: int | None = None
                                 ) -> Iterator[bytes]:
    size = row_group_layers or ROW_GROUP_LAYERS
    sink = _Sink()
    writer = pq.ParquetWriter(sink, SCHEMA, compression="zstd")
    try:
        rows, layers = [], 0
        for record in records:
            rows.extend(answer_rows(record))
            layers += 1
            if layers >= size:
                if rows:
                    writer.write_table(_table(rows))
                rows, layers = [], 0
                yield sink.take()
        if rows:
            writer.write_table(_table(rows))
    finally:
        writer.close()
    yield sink.take()
