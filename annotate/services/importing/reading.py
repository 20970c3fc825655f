"""The reading stage: a file in a format we read becomes one stream of (line, record) pairs.

Whatever the file was, everything after this stage sees one shape: an interchange record as decoded
JSON (docs/format.md), with the line of the file it starts on, so that a later problem can name
that line. A part of the file that cannot be read becomes a problem in the same stream, as an
`Unreadable` message, so the checks report it in its place and reading goes on: a user fixes a file
in one pass. Line 0 stands for the file as a whole.

Formats register by file suffix in FORMATS. A reader for another tool's format is one more
`Reader` that yields interchange records: nothing after this stage needs to know about it, and
the admin's upload form accepts its suffixes (READABLE_SUFFIXES). Other tools' readers live in
formats/, one module a tool; a format is picked by name (`--format`) or else by the file's suffix.

A label map (their label -> ours, formats.load_label_map) renames span labels and relation types
as records leave this stage, whatever the format; names it does not list pass unchanged, so the
vocabulary check reports those the project lacks, with their line.
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
    key: str = ""  # as --format names it; "" for formats only read by suffix


def _other_tools() -> tuple[Format, ...]:
    from .formats.brat import read_brat
    from .formats.doccano import read_doccano
    from .formats.labelstudio import read_labelstudio
    from .formats.webanno import read_webanno

    return (
        Format("Label Studio JSON", (".json",), read_labelstudio, "labelstudio"),
        Format("brat standoff zip", (".zip",), read_brat, "brat"),
        Format("WebAnno TSV 3", (".tsv",), read_webanno, "webanno"),
        # .jsonl stays our interchange: doccano's JSONL is read when asked for by name.
        Format("doccano JSONL", (), read_doccano, "doccano"),
    )


# The registry: one entry a format, looked up by the file name's suffix (or by key, when named).
FORMATS = (
    Format("interchange", (".jsonl", ".ndjson"), read_interchange, "interchange"),
    Format("scraped text", (".txt",), read_scraped_text, "text"),
    *_other_tools(),
)
READABLE_SUFFIXES = frozenset(suffix for fmt in FORMATS for suffix in fmt.suffixes)
FORMAT_KEYS = tuple(fmt.key for fmt in FORMATS if fmt.key)


def format_for(name: str) -> Format | None:
    suffix = Path(name).suffix.lower()
    return next((fmt for fmt in FORMATS if suffix in fmt.suffixes), None)


def format_named(key: str) -> Format | None:
    return next((fmt for fmt in FORMATS if fmt.key == key), None)


def _renamed(records: Iterator[Read], label_map: dict[str, str]) -> Iterator[Read]:
    for line, record in records:
        layer = record.get("annotations") if isinstance(record, dict) else None
        if isinstance(layer, dict):
            for key, items in (("label", layer.get("spans")), ("type", layer.get("relations"))):
                for item in items if isinstance(items, list) else ():
                    if isinstance(item, dict) and isinstance(item.get(key), str) and item[key] in label_map:
                        item[key] = label_map[item[key]]
        yield line, record


def read_records(stream: io.BufferedIOBase, name: str, *, language: str = "", format: str | None = None,
                 label_map: dict[str, str] | None = None) -> Iterator[Read]:
    """Yield (line number, decoded record or Unreadable) for each record in the file `name`.

    The format is `format` (a key of FORMAT_KEYS) when given, else the one registered for the name's
    suffix; `language` is given to formats whose records carry none (scraped text, other tools').
    `label_map` renames span labels and relation types.
    """
    if format:
        fmt = format_named(format)
        if fmt is None:
            yield 0, Unreadable(f"unknown format {format!r}: use {', '.join(FORMAT_KEYS)}")
            return
    else:
        fmt = format_for(name)
    if fmt is None:
        suffix = Path(name).suffix.lower()
        known = " or ".join(f"{f.suffixes[0]} ({f.name})" for f in FORMATS if f.suffixes)
        yield 0, Unreadable(f"unknown file type {suffix or '(none)'!r}: use {known}, or name a format "
                            f"({', '.join(FORMAT_KEYS)})")
        return
    records = fmt.read(stream, name, language=language)
    yield from _renamed(records, label_map) if label_map else records
