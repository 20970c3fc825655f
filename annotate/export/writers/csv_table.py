"""CSV: one row per span, with its article and layer alongside, for spreadsheets and pandas.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage
return, which some strip first) as a formula: an annotated text such as
"=HYPERLINK(...)" would then execute when the file is opened. Such cells
get a leading single quote (OWASP's advice), which spreadsheets show as text.
"""
import csv
import io
from collections.abc import Iterable, Iterator

import orjson

from . import span_pieces

COLUMNS = (
    "external_id", "title", "source", "published", "language", "annotator", "status", "annotation_id",
    "updated_at", "span_id", "start", "end", "fragments", "label", "text", "entity", "attributes",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell value that no spreadsheet runs as a formula; numbers and empty cells pass as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def fragments_cell(fragments: list[list[int]]) -> str:
    """A span's pieces in one cell as JSON, like attributes: "[[10,20],[35,60]]" ("[[10,20]]": one piece)."""
    return orjson.dumps(fragments).decode()


def write_csv(records: Iterable[dict]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def drain() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    writer.writerow(COLUMNS)
    yield drain()  # the header, even for an empty export
    for record in records:
        layer = tuple(neutralise(record[key]) for key in COLUMNS[:9])
        for span in record["annotations"]["spans"]:
            attributes = orjson.dumps(span["attributes"]).decode()
            writer.writerow(layer + tuple(neutralise(value) for value in (
                span["id"], span["start"], span["end"], fragments_cell(span_pieces(span)), span["label"],
                span["text"], span["entity"], attributes)))
        yield drain()
