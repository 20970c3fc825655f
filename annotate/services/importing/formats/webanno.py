"""WebAnno / INCEpTION TSV 3 (`#FORMAT=WebAnno TSV 3.x`): one document a file, one layer.

The external id is the file's stem. The text is rebuilt from the `#Text=` lines, each sentence at its
first token's offset: text between sentences is not in the format, so a gap becomes line breaks
(spaces before the first sentence). Problems name the file's line.

* Span layers (`#T_SP=layer|feature|…`): each annotation is a span, multi-token ones joined by their
  disambiguation id (`PER[1]` on several rows), stacked ones split on `|`. Its label is the feature
  named `value` or `label`, else the layer's first feature; an annotation whose label is empty
  (`*`), or a layer without features, gets the layer's short name (`webanno.custom.Quote` → `Quote`).
  The other features become the span's attributes; slot features (`ROLE_…`) are dropped.
* Relation layers (`#T_RL=layer|feature|…|BT_base`): each relation goes from the annotation at the
  address in the BT column (the governor; `1-3[2_5]` names both ends' ids) to the base layer's
  annotation on the row it is written on; its type is chosen as a span's label is.
* Chain layers (`#T_CH`, coreference) are dropped.

Offsets: TSV 3 counts UTF-16 code units (INCEpTION is Java: an emoji counts two); they are converted
to code points. Escaped reserved characters (`\\|`, `\\_`, `\\->`, `\\t`, …) are unescaped.
"""
import io
import re
from collections.abc import Iterator
from pathlib import Path

from ..reading import Read, Unreadable
from . import decode, utf16_to_code_points

_ESCAPE = re.compile(r"\\(->|[\\\[\]|_;*]|t|n|r)")
_UNESCAPE = {"t": "\t", "n": "\n", "r": "\r"}
_STACK = re.compile(r"(?<!\\)\|")
_VALUE = re.compile(r"^(?P<value>.*?)(?:\[(?P<id>\d+)\])?$", re.S)
_ADDRESS = re.compile(r"^(?P<token>\d+-\d+(?:\.\d+)?)(?:\[(?P<source>\d+)_(?P<target>\d+)\])?$")
_ROW = re.compile(r"^\d+-\d+(\.\d+)?$")
LABEL_FEATURES = ("value", "label")


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _UNESCAPE.get(m.group(1), m.group(1)), text)


class _Layer:
    def __init__(self, kind: str, spec: str):
        name, *features = spec.split("|")
        self.kind, self.name, self.short = kind, name, name.rsplit(".", 1)[-1]
        self.base = features.pop()[3:] if kind == "RL" and features and features[-1].startswith("BT_") else None
        self.features = features
        self.columns = max(1, len(features)) + (1 if kind == "RL" else 0)
        if kind == "CH":
            self.columns = 2
        label = next((f for f in features if f in LABEL_FEATURES), None)
        plain = [i for i, f in enumerate(features) if not f.startswith("ROLE_") and "." not in f]
        self.label_column = features.index(label) if label else (plain[0] if plain else None)
        self.attribute_columns = [i for i in plain if i != self.label_column]

    def label(self, raw: str) -> str:
        return self.short if raw in ("*", "") else raw


class _Bad(Exception):
    pass


def read_webanno(stream: io.BufferedIOBase, name: str, *, language: str) -> Iterator[Read]:
    try:
        lines = decode(stream.read()).split("\n")
    except UnicodeDecodeError as error:
        yield 1, Unreadable(f"not UTF-8 text: {error}")
        return
    if not lines[0].startswith("#FORMAT=WebAnno TSV 3"):
        yield 1, Unreadable("not WebAnno TSV 3: the first line must be `#FORMAT=WebAnno TSV 3.x`, "
                            f"got {lines[0][:40]!r}")
        return
    layers: list[_Layer] = []
    sentences: list[tuple[int, list[str]]] = []  # (line, #Text lines)
    rows: list[tuple[int, list[str]]] = []  # (line, cells), with the sentence they belong to
    sentence_of_row: list[int] = []
    problems: list[Read] = []
    after_text = False  # a sentence of several lines has several #Text lines in a row
    for number, line in enumerate(lines[1:], start=2):
        line = line.rstrip("\r")
        if line.startswith("#Text="):
            if not after_text:
                sentences.append((number, []))
            sentences[-1][1].append(_unescape(line[6:]))
            after_text = True
            continue
        after_text = False
        if line.startswith(("#T_SP=", "#T_CH=", "#T_RL=")):
            layers.append(_Layer(line[3:5], line[6:]))
        elif line.startswith("#") or not line.strip():
            continue
        else:
            cells = line.split("\t")
            expected = 3 + sum(layer.columns for layer in layers)
            if len(cells) == expected + 1 and cells[-1] == "":
                cells.pop()  # a trailing tab
            if len(cells) != expected or not _ROW.match(cells[0]) or not sentences:
                problems.append((number, Unreadable(
                    f"a token row has {expected} tab-separated columns (address, offsets, token, then the "
                    f"header's layers), got {len(cells)}" if sentences else "a token row before any #Text line")))
                continue
            rows.append((number, cells))
            sentence_of_row.append(len(sentences) - 1)
    if problems:
        yield from problems
        return
    try:
        text, first_line, units = _text(sentences, rows, sentence_of_row)
        layer = _annotations(text, units, layers, rows)
    except _Bad as bad:
        line, message = bad.args
        yield line, Unreadable(message)
        return
    record = {"external_id": Path(name).stem, "text": text, "language": language}
    if layer["spans"]:
        record["annotations"] = layer
    yield first_line, record


def _offsets(number: int, cell: str) -> tuple[int, int]:
    begin, _, end = cell.partition("-")
    if not (begin.isdigit() and end.isdigit() and int(begin) <= int(end)):
        raise _Bad(number, f"offsets: must be `begin-end`, got {cell!r}")
    return int(begin), int(end)


def _text(sentences, rows, sentence_of_row) -> tuple[str, int, list]:
    """The document text (from #Text, each sentence at its first token's UTF-16 offset)."""
    first_token = {}
    for (number, cells), sentence in zip(rows, sentence_of_row, strict=True):
        first_token.setdefault(sentence, (number, _offsets(number, cells[1])[0]))
    pieces, length = [], 0  # length in UTF-16 units
    for index, (_line, texts) in enumerate(sentences):
        if index not in first_token:
            continue
        number, begin = first_token[index]
        if begin < length:
            raise _Bad(number, f"offsets: sentence starts at {begin}, before the end of the previous one ({length})")
        gap = begin - length
        pieces.append(("\n" if pieces else " ") * gap)
        sentence = "\n".join(texts)
        pieces.append(sentence)
        length = begin + len(sentence.encode("utf-16-le")) // 2
    text = "".join(pieces)
    return text, sentences[0][0] if sentences else 1, utf16_to_code_points(text)


def _end(at_token: dict, layer: _Layer, number: int, token: str, ident: str | None, role: str) -> str:
    """The span id of one end of a relation: the base layer's annotation at `token` (with id `ident`)."""
    found = at_token.get((layer.base, token), [])
    if ident and ident != "0":
        found = [s for s in found if s.endswith(f"[{ident}]")]
    if not found:
        raise _Bad(number, f"{layer.short}: no {str(layer.base).rsplit('.', 1)[-1]} annotation at {token} "
                           f"for the relation's {role}")
    return found[0]


def _annotations(text: str, units: list, layers: list[_Layer], rows) -> dict:
    def code_points(number: int, cell: str) -> tuple[int, int]:
        begin, end = _offsets(number, cell)
        if end >= len(units) or units[begin] is None or units[end] is None:
            raise _Bad(number, f"offsets: {cell} is not a character boundary of the text (UTF-16 units)")
        return units[begin], units[end]

    spans: dict[str, dict] = {}
    at_token: dict[tuple[str, str], list[str]] = {}  # (layer, token address) -> span ids in stack order
    relation_cells = []
    for number, cells in rows:
        address, (start, end) = cells[0], code_points(number, cells[1])
        column = 3
        for layer in layers:
            values = cells[column:column + layer.columns]
            column += layer.columns
            if layer.kind == "SP":
                label_cell = values[layer.label_column] if layer.label_column is not None else values[0]
                if label_cell == "_":
                    continue
                for k, raw in enumerate(_STACK.split(label_cell)):
                    match = _VALUE.match(raw)
                    span_id = (f"{layer.short}[{match['id']}]" if match["id"] else f"{layer.short}@{address}#{k}")
                    span = spans.get(span_id)
                    if span is None:
                        label = (layer.label(_unescape(match["value"])) if layer.label_column is not None
                                 else layer.short)
                        attributes = {}
                        for i in layer.attribute_columns:
                            stacked = _STACK.split(values[i])
                            if k < len(stacked):
                                value = _VALUE.match(stacked[k])["value"]
                                if value not in ("*", "_", ""):
                                    attributes[layer.features[i]] = _unescape(value)
                        span = spans[span_id] = {"id": span_id, "start": start, "end": end, "label": label,
                                                 "attributes": attributes, "line": number}
                    span["start"], span["end"] = min(span["start"], start), max(span["end"], end)
                    at_token.setdefault((layer.name, address), []).append(span_id)
            elif layer.kind == "RL" and values[-1] != "_":
                relation_cells.append((number, address, layer, values))

    relations = []
    for number, address, layer, values in relation_cells:
        types = _STACK.split(values[layer.label_column]) if layer.label_column is not None else []
        for k, raw in enumerate(_STACK.split(values[-1])):
            match = _ADDRESS.match(raw)
            if match is None:
                raise _Bad(number, f"{layer.short}: a relation's source is `sentence-token[source_target]`, "
                                   f"got {raw!r}")
            source = _end(at_token, layer, number, match["token"], match["source"], "source")
            target = _end(at_token, layer, number, address, match["target"], "target")
            kind = layer.label(_unescape(_VALUE.match(types[k])["value"])) if k < len(types) else layer.short
            relation = {"from": source, "to": target, "type": kind}
            if relation not in relations:  # a multi-token target may carry it on each row
                relations.append(relation)
    out = []
    for span in spans.values():
        span.pop("line")
        span["text"] = text[span["start"]:span["end"]]
        out.append(span)
    return {"spans": out, "relations": relations, "stances": []}
