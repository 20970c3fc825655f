"""Readers for other annotation tools' exports: each turns a file into interchange records (docs/format.md).

One module a tool (labelstudio, doccano, brat, webanno), each a `Reader` of reading.py: it yields
(line, record or Unreadable) and nothing after the reading stage knows which tool the file came from.
What they share is here: where a problem is, the UTF-16 offsets some tools write, the line each
element of a JSON array starts on, and a label map's file.
"""
import csv
import io
import re
from pathlib import Path

import orjson


class Where(int):
    """A line of one member of an archive (a brat .ann in a zip): an int for everything that compares or
    stores lines, printed as `member:line` so that `file:line: field: message` names the member too."""

    member: str

    def __new__(cls, member: str, line: int):
        where = super().__new__(cls, line)
        where.member = member
        return where

    def __reduce__(self):  # dataclasses.asdict deep-copies problems
        return (Where, (self.member, int(self)))

    def __str__(self) -> str:
        return f"{self.member}:{int(self)}"

    def __format__(self, spec: str) -> str:
        return str(self)


def utf16_to_code_points(text: str) -> list[int | None]:
    """For each UTF-16 offset into `text` (0 to its UTF-16 length), the code point offset; None for an
    offset between the two halves of a surrogate pair (Java and JavaScript count those as two)."""
    table: list[int | None] = []
    for index, char in enumerate(text):
        table.append(index)
        if ord(char) > 0xFFFF:
            table.append(None)
    table.append(len(text))
    return table


def decode(raw: bytes) -> str:
    """UTF-8 text, a byte order mark dropped; raises UnicodeDecodeError."""
    return raw.decode("utf-8-sig")


_JSON_TOKENS = re.compile(rb'"(?:[^"\\\n]|\\.)*"|[\[\]{}\n]|[^\s\[\]{},:"]+')


def json_array_lines(raw: bytes) -> list[int]:
    """The line each element of a top-level JSON array starts on (1-based), in order.

    A scan of the tokens only (the file is decoded by orjson): strings are skipped whole, so brackets
    inside them do not count.
    """
    lines, depth, line = [], 0, 1
    for match in _JSON_TOKENS.finditer(raw):
        token = match.group()
        if token == b"\n":
            line += 1
            continue
        if depth == 1 and token not in (b"]", b"}"):
            lines.append(line)
        if token in (b"[", b"{"):
            depth += 1
        elif token in (b"]", b"}"):
            depth -= 1
    return lines


def load_label_map(data: bytes, name: str) -> dict[str, str]:
    """A label map: a JSON object {"their label": "our label"}, or a TSV of two columns (their, ours).

    In TSV, blank lines and lines starting with `#` are skipped. Raises ValueError naming file and line.
    """
    try:
        text = decode(data)
    except UnicodeDecodeError as error:
        raise ValueError(f"{name}: not UTF-8 text: {error}") from None
    if Path(name).suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            mapping = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise ValueError(f"{name}: malformed JSON: {error}") from None
        if not isinstance(mapping, dict):
            raise ValueError(f"{name}: a label map is a JSON object of their label -> our label")
        for key, value in mapping.items():
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name}: {key!r}: our label must be a non-empty string, got {value!r}")
        return mapping
    mapping = {}
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter="\t"), start=1):
        if not row or not "".join(row).strip() or row[0].startswith("#"):
            continue
        if len(row) != 2 or not row[1].strip():
            raise ValueError(f"{name}:{number}: a label map line is `their label<TAB>our label`, got {row!r}")
        their, ours = row[0].strip(), row[1].strip()
        if their in mapping and mapping[their] != ours:
            raise ValueError(f"{name}:{number}: {their!r} is mapped twice ({mapping[their]!r} and {ours!r})")
        mapping[their] = ours
    return mapping
