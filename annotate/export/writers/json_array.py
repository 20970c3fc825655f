"""One JSON array of interchange records, written element by element so it streams like the lines do.

Line separators inside strings are escaped as in JSON Lines (see jsonl.py), so
each element stays on its own line for tools that read the array line by line.
"""
from collections.abc import Iterable, Iterator

import orjson

from .jsonl import escape_line_separators


def write_json_array(records: Iterable[dict]) -> Iterator[bytes]:
    separator = b"\n"
    yield b"["
    for record in records:
        yield separator + escape_line_separators(orjson.dumps(record))
        separator = b",\n"
    yield b"\n]\n"
