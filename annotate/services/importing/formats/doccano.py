"""doccano's JSONL export, read when asked for (`--format doccano`: a .jsonl is our interchange otherwise).

One example a line, in either of doccano's sequence-labelling shapes:

* `{"text": …, "label": [[start, end, "LABEL"], …]}`: spans, ids `s1`, `s2`, … in order;
* `{"text": …, "entities": [{"id", "start_offset", "end_offset", "label"}],
  "relations": [{"id", "from_id", "to_id", "type"}]}`: spans with the entities' ids, and relations.

`id` is the external id (else `<file stem>-<line>`); other keys of the line (doccano's metadata
columns) go to the article's metadata, and a text-classification `label` (a list of strings) goes
there as `labels`. A line with no span and no relation is an article without a layer; a layer needs
--annotator, since doccano writes one file per user and names none in it.

Offsets: doccano counts UTF-16 code units, as JavaScript does (doccano issue #2290), so an emoji
counts two; they are converted to code points. An offset inside a surrogate pair is a problem. The
"count grapheme clusters as one character" option of doccano projects is not supported.
"""
import io
from collections.abc import Iterator
from pathlib import Path

import orjson

from ..reading import Read, Unreadable
from . import utf16_to_code_points

KNOWN = ("id", "text", "label", "labels", "entities", "relations", "Comments", "comments")


class _Bad(Exception):
    pass


def read_doccano(stream: io.BufferedIOBase, name: str, *, language: str) -> Iterator[Read]:
    stem = Path(name).stem
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            example = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield number, Unreadable(f"malformed JSON: {error}")
            continue
        try:
            yield number, _record(example, f"{stem}-{number}", language)
        except _Bad as problem:
            yield number, Unreadable(str(problem))


def _record(example, fallback_id: str, language: str) -> dict:
    if not isinstance(example, dict) or not isinstance(example.get("text"), str):
        raise _Bad("text: a doccano line is an object with a `text` string")
    text = example["text"]
    record = {"external_id": str(example.get("id", fallback_id)), "text": text, "language": language,
              "metadata": {key: value for key, value in example.items() if key not in KNOWN}}
    table = utf16_to_code_points(text)

    def offset(value, where: str) -> int:
        if type(value) is not int or not 0 <= value < len(table):
            raise _Bad(f"{where}: must be an offset into the text (0 to {len(table) - 1} UTF-16 units), got {value!r}")
        if table[value] is None:
            raise _Bad(f"{where}: {value} falls inside a character (between the halves of a UTF-16 surrogate pair)")
        return table[value]

    spans, relations = [], []
    labels = example.get("label", example.get("labels"))
    if isinstance(labels, list) and labels and all(isinstance(label, str) for label in labels):
        record["metadata"]["labels"] = labels  # text classification
    elif labels:
        if not isinstance(labels, list):
            raise _Bad(f"label: must be a list of [start, end, label], got {type(labels).__name__}")
        for i, item in enumerate(labels):
            if not (isinstance(item, list) and len(item) == 3 and isinstance(item[2], str)):
                raise _Bad(f"label[{i}]: must be [start, end, \"LABEL\"], got {item!r}")
            start, end = offset(item[0], f"label[{i}][0]"), offset(item[1], f"label[{i}][1]")
            spans.append({"id": f"s{i + 1}", "start": start, "end": end, "label": item[2], "text": text[start:end]})
    for i, entity in enumerate(example.get("entities") or []):
        where = f"entities[{i}]"
        if not isinstance(entity, dict) or not isinstance(entity.get("label"), str):
            raise _Bad(f"{where}: must be an object with id, start_offset, end_offset and label")
        start = offset(entity.get("start_offset"), f"{where}.start_offset")
        end = offset(entity.get("end_offset"), f"{where}.end_offset")
        spans.append({"id": str(entity.get("id", f"e{i + 1}")), "start": start, "end": end,
                      "label": entity["label"], "text": text[start:end]})
    for i, relation in enumerate(example.get("relations") or []):
        if not isinstance(relation, dict):
            raise _Bad(f"relations[{i}]: must be an object with from_id, to_id and type")
        relations.append({"from": str(relation.get("from_id")), "to": str(relation.get("to_id")),
                          "type": relation.get("type")})
    if spans or relations:
        record["annotations"] = {"spans": spans, "relations": relations, "stances": []}
    return record
