"""JSON Lines: one interchange record per line, the format `import_articles` reads back.

orjson writes U+2028, U+2029 and U+0085 raw (JSON allows them in strings),
but Python's `str.splitlines()`, JavaScript before ES2019 and other line
readers take them for line breaks and would cut a record in two. They are
written as the escapes `\\u2028`, `\\u2029` and `\\u0085` instead: the same
JSON value, and the only line terminator left in the file is the `\\n`
after each record (orjson already escapes the C0 controls, `\\v`, `\\f` and
`\\x1c`-`\\x1e` included).
"""
from collections.abc import Iterable, Iterator

import orjson

# Their UTF-8 bytes. UTF-8 is self-synchronising, so these sequences occur only
# as these characters, and orjson puts non-ASCII only inside strings.
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"), (b"\xc2\x85", b"\\u0085"))


def escape_line_separators(data: bytes) -> bytes:
    """orjson output with U+2028, U+2029 and U+0085 escaped, so no reader splits a record on them."""
    if b"\xe2\x80" in data or b"\xc2\x85" in data:  # a quick scan first: almost no record has them
        for raw, escaped in _LINE_SEPARATORS:
            data = data.replace(raw, escaped)
    return data


def write_jsonl(records: Iterable[dict]) -> Iterator[bytes]:
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for record in records:
        yield escape_line_separators(dumps(record, option=newline))
