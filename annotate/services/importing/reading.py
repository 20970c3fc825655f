"""The reading stage: a file in a format we read becomes one stream of (line, record) pairs.

Whatever the file was, everything after this stage sees one shape: an interchange record as decoded
JSON (docs/format.md), with the line of the file it starts on, so that a later problem can name
that line. A part of the file that cannot be read becomes a problem in the same stream, as an
`Unreadable` message, so the checks report it in its place and reading goes on: a user fixes a file
in one pass. Line 0 stands for the file as a whole.

Formats register by file suffix in FORMATS. A reader for another tool's format is one more
`Reader` that yields interchange records: nothing after this stage needs to know about it, and
the admin's upload form accepts its suffixes (READABLE_SUFFIXES).
"""
import io
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple, Protocol

import orjson

from ...cleaning import clean_scraped_text


class Unreadable(str):
    """Why a part of the file could not be read. A type of its own: a line of JSONL may well decode
    to a plain string, which is a record of the wrong shape, not a message from this stage."""


# (line number, decoded record, or Unreadable)
Read = tuple[int, object]


class Reader(Protocol):
    def __call__(self, stream: io.BufferedIOBase, name: str, *, language: str) -> Iterator[Read]: ...


def read_interchange(stream: io.BufferedIOBase, name: str, *, language: str) -> Iterator[Read]:
    """Interchange JSONL: one record a line, read a line at a time (a file may be larger than memory).

    `language` is the records' own business here; only formats without one take it from the caller.
    """
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield number, Unreadable(f"malformed JSON: {error}")


def read_scraped_text(stream: io.BufferedIOBase, name: str, *, language: str) -> Iterator[Read]:
    """Scraped news (several articles a file): cleaning.py makes them clean articles, numbered within the file.

    External ids are `<file stem>-<n>`, so re-importing the same file recognises its articles.
    """
    raw = stream.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield 1, Unreadable(f"not UTF-8 text: {error}")
        return
    stem = Path(name).stem
    for n, article in enumerate(clean_scraped_text(text), start=1):
        yield article.first_line, {
            "external_id": f"{stem}-{n}",
            "title": article.title,
            "caption": article.caption,
            "text": article.text,
            "language": language,
            "metadata": {"source_file": Path(name).name, "source_line": article.first_line},
        }


class Format(NamedTuple):
    name: str  # as the message for an unknown file type names it
    suffixes: tuple[str, ...]  # lower case, with the dot; the first one is the one to advertise
    read: Reader


# The registry: one entry a format, looked up by the file name's suffix.
FORMATS = (
    Format("interchange", (".jsonl", ".ndjson"), read_interchange),
    Format("scraped text", (".txt",), read_scraped_text),
)
READABLE_SUFFIXES = frozenset(suffix for fmt in FORMATS for suffix in fmt.suffixes)


def format_for(name: str) -> Format | None:
    suffix = Path(name).suffix.lower()
    return next((fmt for fmt in FORMATS if suffix in fmt.suffixes), None)


def read_records(stream: io.BufferedIOBase, name: str, *, language: str = "") -> Iterator[Read]:
    """Yield (line number, decoded record or Unreadable) for each record in the file `name`.

    The format is the one registered for the name's suffix; `language` is given to formats whose
    records carry none (scraped text).
    """
    fmt = format_for(name)
    if fmt is None:
        suffix = Path(name).suffix.lower()
        known = " or ".join(f"{f.suffixes[0]} ({f.name})" for f in FORMATS)
        yield 0, Unreadable(f"unknown file type {suffix or '(none)'!r}: use {known}")
        return
    yield from fmt.read(stream, name, language=language)
