"""One JSON array of interchange records, written element by element so it streams like the lines do."""
from collections.abc import Iterable, Iterator

import orjson


def write_json_array(records: Iterable[dict]) -> Iterator[bytes]:
    separator = b"\n"
    yield b"["
    for record in records:
        yield separator + orjson.dumps(record)
        separator = b",\n"
    yield b"\n]\n"
