"""Parquet: one row per article layer, spans, relations and stances as list<struct> columns.

The schema is fixed (`SCHEMA`), whatever the data: a column that is null in
every row of an export (no entity link anywhere, an empty export) still has
its type, so pandas, pyarrow and `datasets` read every export, and several
exports concatenated, with one schema. Free-form JSON (article `metadata`,
span `attributes`) cannot have a fixed Arrow type, so it is a JSON string.

Streamed: records are gathered `ROW_GROUP_LAYERS` at a time, each group
converted to Arrow and written as one row group, and the bytes Parquet wrote
so far handed out before the next group is read. Server memory holds one
group (and the footer's per-group metadata, a few hundred bytes a group), so
it stays flat in corpus size. An empty export is a valid file with the
schema and no row group.
"""
import datetime as dt
from collections.abc import Iterable, Iterator

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from . import span_pieces

# Layers per row group, the record iterator's batch size: about 17k spans at the benchmark corpus's density.
# 1,000 made the worker's peak grow by 170 MB (the group's records as Python objects, then as Arrow) against
# JSONL's 35; readers lose nothing measurable with the smaller groups. Read at call time so tests can shrink it.
ROW_GROUP_LAYERS = 250

SPAN = pa.struct([
    ("id", pa.string()), ("start", pa.int32()), ("end", pa.int32()),
    ("fragments", pa.list_(pa.list_(pa.int32()))),  # [[start, end], ...]: one piece for an ordinary span
    ("label", pa.string()),
    ("text", pa.string()), ("entity", pa.string()), ("attributes", pa.string()),
])
RELATION = pa.struct([("from", pa.string()), ("to", pa.string()), ("type", pa.string())])
STANCE = pa.struct([
    ("holder", pa.string()), ("holder_entity", pa.string()), ("target", pa.string()), ("polarity", pa.string()),
    ("explicit", pa.bool_()), ("evidence", pa.list_(pa.string())),
])
SCHEMA = pa.schema([
    ("annotation_id", pa.int64()),
    ("external_id", pa.string()),
    ("title", pa.string()),
    ("source", pa.string()),
    ("url", pa.string()),
    ("published", pa.date32()),
    ("language", pa.string()),
    ("caption", pa.string()),
    ("metadata", pa.string()),  # JSON text of the article's metadata object ("{}" when empty)
    ("text", pa.string()),
    ("annotator", pa.string()),  # null for the gold layer
    ("status", pa.string()),
    ("updated_at", pa.timestamp("us", tz="UTC")),
    ("schema_version", pa.int32()),
    ("spans", pa.list_(SPAN)),
    ("relations", pa.list_(RELATION)),
    ("stances", pa.list_(STANCE)),
], metadata={"producer": "annotate export (docs/export.md, Parquet)"})

_UPDATED_AT = "%Y-%m-%dT%H:%M:%S.%fZ"


class _Sink:
    """A write-only file for ParquetWriter: what it wrote is taken out after each row group and streamed.

    Parquet only appends (the footer, with every group's offset, comes last),
    so tell() is all the writer needs besides write().
    """

    closed = False

    def __init__(self):
        self.parts: list[bytes] = []
        self.position = 0

    def write(self, data) -> int:
        data = bytes(data)
        self.parts.append(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _columns(records: list[dict]) -> dict[str, list]:
    dumps = orjson.dumps
    columns: dict[str, list] = {name: [] for name in SCHEMA.names}
    for record in records:
        layer = record["annotations"]
        columns["annotation_id"].append(record["annotation_id"])
        for key in ("external_id", "title", "source", "url", "language", "caption", "text", "annotator", "status",
                    "schema_version"):
            columns[key].append(record[key])
        published = record["published"]
        columns["published"].append(dt.date.fromisoformat(published) if published else None)
        columns["metadata"].append(dumps(record["metadata"]).decode())
        updated_at = record["updated_at"]
        columns["updated_at"].append(
            dt.datetime.strptime(updated_at, _UPDATED_AT).replace(tzinfo=dt.UTC) if updated_at else None)
        columns["spans"].append(layer["spans"])
        columns["relations"].append(layer["relations"])
        columns["stances"].append(layer["stances"])
    return columns


def _spans(layers: list[list[dict]]) -> pa.Array:
    """The spans column built field by field: flat lists convert to Arrow several times faster than a list of
    lists of dicts, and `attributes` becomes JSON text on the way."""
    dumps = orjson.dumps
    offsets, fields = [0], {name: [] for name in SPAN.names}
    ids, starts, ends, fragments, labels, texts, entities, attributes = fields.values()
    for spans in layers:
        for span in spans:
            ids.append(span["id"])
            starts.append(span["start"])
            ends.append(span["end"])
            fragments.append(span_pieces(span))
            labels.append(span["label"])
            texts.append(span["text"])
            entities.append(span["entity"])
            attributes.append(dumps(span["attributes"]).decode())
        offsets.append(len(ids))
    values = pa.StructArray.from_arrays([pa.array(fields[f.name], type=f.type) for f in SPAN], fields=list(SPAN))
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values, type=pa.list_(SPAN))


def _table(records: list[dict]) -> pa.Table:
    columns = _columns(records)
    return pa.Table.from_arrays([_spans(columns[field.name]) if field.name == "spans" else
                                 pa.array(columns[field.name], type=field.type) for field in SCHEMA], schema=SCHEMA)


def write_parquet(records: Iterable[dict], *, row_group_layers: int | None = None) -> Iterator[bytes]:
    size = row_group_layers or ROW_GROUP_LAYERS
    sink = _Sink()
    # zstd: about as fast as snappy to write here and a third smaller; every reader named in the docs has it.
    writer = pq.ParquetWriter(sink, SCHEMA, compression="zstd", write_statistics=["annotation_id", "external_id",
                                                                                   "annotator", "status",
                                                                                   "updated_at"])
    try:
        group: list[dict] = []
        for record in records:
            group.append(record)
            if len(group) >= size:
                writer.write_table(_table(group), row_group_size=size)
                group = []
                yield sink.take()
        if group:
            writer.write_table(_table(group), row_group_size=size)
    finally:
        writer.close()  # the footer; on an early exit (client gone) it just ends the file nobody reads
    yield sink.take()
