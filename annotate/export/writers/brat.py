"""brat standoff: a zip with `<name>.txt` and `<name>.ann` per article layer, plus an annotation.conf.

Mapping (https://brat.nlplab.org/standoff.html):

* span → `T` text-bound annotation with the span's label. A discontinuous
  span (a quote split by its attribution) is a discontinuous annotation, one
  fragment per piece (`T1 QUOTE 10 20;35 60`). brat fragments cannot cross a
  line break, so a piece containing one is written as several fragments, one
  per line (`T1 CLAIM 0 5;7 12`); tabs split fragments too, since the .ann
  line is tab-separated. (The brat import reads fragments apart by more than
  line breaks and tabs as a discontinuous span's pieces.)
* span attributes → `A` multi-valued attributes (`A1 quote_type T3 direct`);
  values are written as text (`true`, `false`, `3`) with whitespace, commas,
  bars and colons replaced by `_`. Lists and objects go into the note instead.
* entity link → the span's `AnnotatorNotes` (`#1 AnnotatorNotes T1 entity: Hassan Bellouan`).
* relation → `R` with `Arg1` the `from` span and `Arg2` the `to` span.
* stance → a `T` of type `Stance` (its anchor: where brat draws it) with
  relations from it: `Holder` to the holder span, `Evidence` to each evidence
  span; attributes `Polarity`, `Explicit` (true/false) and `Target` on it; the
  exact target name and any holder entity in its note. The anchor covers the
  first evidence span, else the holder span, else (a holder entity and no
  evidence) the text's first line, so every stance is written. Relations
  rather than an event: bratly refuses an event without arguments (a stance
  with a holder entity and no evidence has none), and pybrat keeps a
  relation's type but not an event argument's role.

pybrat refuses two text-bound annotations with the same fragments ("identical
span for different entities"), and an anchor always shares its span's extent,
as may two spans of different labels. An annotation whose fragments are taken
already gets the same characters as other fragments: its first fragment is
split in two, before a space where it has one (`0 5;5 23` for `0 23`), so the
union of the fragments is still exactly the span; brat shows it as one.

The text column (after the second tab) is the covered text, fragments joined
by a space as brat does, with the line separators other than CR and LF
(VT, FF, U+001C-U+001E, U+0085, U+2028, U+2029) replaced by a space each:
a reader that splits on Unicode line breaks would otherwise cut the line. The
offsets still index the .txt, which is the text as it is (read it with
`newline=""`: universal newlines turn CRLF into LF and shift the offsets).

File names keep only [A-Za-z0-9._-] of `<external id>.<annotator or gold>`
(other characters become `_`, leading dots are dropped), so no entry can
leave the folder it is unpacked into; a name taken twice gets the layer id.
Entries are dated by the layer's `updated_at`, so the same data gives the
same bytes.
"""
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator

import orjson

from . import span_pieces
from .zipstream import Sink, entry

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_UNSAFE_TYPE = re.compile(r"[^A-Za-z0-9_-]")
_UNSAFE_VALUE = re.compile(r"[\s,|:]+")
_LINE = re.compile(r"[^\r\n\t]+")  # a fragment: a .ann line is tab-separated and one line long
# str.splitlines() breaks other than CR and LF (never inside a fragment): a space each in the text column.
_OTHER_LINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACE = re.compile(r"\s")
STANCE = "Stance"  # the stance's T type; project labels are upper case ([A-Z][A-Z0-9_]*), so no clash
STANCE_RELATIONS = ("Holder", "Evidence")  # likewise for relation types


def safe_name(text: str, limit: int = 100) -> str:
    return _UNSAFE_NAME.sub("_", text)[:limit].lstrip(".") or "_"


def _value(value) -> str:
    text = orjson.dumps(value).decode() if isinstance(value, bool) else str(value)
    return _UNSAFE_VALUE.sub("_", text) or "_"


def _fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in _LINE.finditer(text[start:end])]


def _split_points(text: str, a: int, b: int) -> Iterator[int]:
    """Where to split text[a:b] in two, best first: before a space, then not before a mark, then anywhere.

    A generator: nearly always the first point is the one taken.
    """
    def joins(k: int) -> bool:  # a combining mark or a joiner belongs with the character before it
        return unicodedata.category(text[k])[0] == "M" or text[k] in "\u200c\u200d"

    yield from (m.start() for m in _SPACE.finditer(text, a + 1, b))
    yield from (k for k in range(a + 1, b) if not text[k].isspace() and not joins(k))
    yield from (k for k in range(a + 1, b) if joins(k))


def _unused(text: str, candidates: list[list[tuple[int, int]]], used: set[tuple]) -> list[tuple[int, int]]:
    """The first candidate whose fragments no annotation has yet, else one with a fragment split in two.

    pybrat refuses two text-bound annotations with identical fragments; a split
    fragment covers the same characters. Only a one-character annotation whose
    every candidate is taken cannot be made different: it is written as it is.
    """
    for fragments in candidates:
        if tuple(fragments) not in used:
            return fragments
    for fragments in candidates:
        for j, (a, b) in enumerate(fragments):
            for k in _split_points(text, a, b):
                variant = [*fragments[:j], (a, k), (k, b), *fragments[j + 1:]]
                if tuple(variant) not in used:
                    return variant
    return candidates[0]


class _Vocabulary:
    """What the .ann files used, for an annotation.conf that lets brat open them as they are."""

    def __init__(self):
        self.labels: set[str] = set()
        self.relations: set[str] = set()
        self.attributes: dict[tuple[str, str], set[str]] = defaultdict(set)  # (name, owner) -> values

    def conf(self) -> str:
        attributes = [f"{name}\tArg:{owner}, Value:{'|'.join(sorted(values))}"
                      for (name, owner), values in sorted(self.attributes.items())]
        return "\n".join([
            "[entities]", *sorted(self.labels), STANCE, "",
            "[relations]", *(f"{r}\tArg1:<ENTITY>, Arg2:<ENTITY>" for r in sorted(self.relations)),
            *(f"{r}\tArg1:{STANCE}, Arg2:<ENTITY>" for r in STANCE_RELATIONS),
            "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>", "",
            "[events]", "",
            "[attributes]", *attributes, "",
        ])


def standoff(record: dict, vocabulary: _Vocabulary) -> str:
    """The .ann file of one record."""
    text, layer = record["text"], record["annotations"]
    lines, notes = [], []
    t_ids: dict[str, str] = {}  # span id -> T id
    fragments_of: dict[str, list[tuple[int, int]]] = {}
    used: set[tuple] = set()
    count = {"T": 0, "A": 0, "R": 0}

    def text_bound(kind: str, candidates: list[list[tuple[int, int]]]) -> tuple[str, list[tuple[int, int]]]:
        fragments = _unused(text, candidates, used)
        used.add(tuple(fragments))
        count["T"] += 1
        t_id = f"T{count['T']}"
        offsets = ";".join(f"{a} {b}" for a, b in fragments)
        covered = " ".join(text[a:b] for a, b in fragments)  # brat joins fragments with a space
        lines.append(f"{t_id}\t{kind} {offsets}\t{_OTHER_LINE_BREAKS.sub(' ', covered)}")
        return t_id, fragments

    def attribute(name: str, owner_id: str, owner_type: str, value) -> None:
        count["A"] += 1
        name, value = _UNSAFE_TYPE.sub("_", name) or "_", _value(value)
        vocabulary.attributes[(name, owner_type)].add(value)
        lines.append(f"A{count['A']}\t{name} {owner_id} {value}")

    def relation(kind: str, from_id: str, to_id: str) -> None:
        count["R"] += 1
        lines.append(f"R{count['R']}\t{kind} Arg1:{from_id} Arg2:{to_id}")

    for span in layer["spans"]:
        fragments = [piece for start, end in span_pieces(span) for piece in _fragments(text, start, end)]
        if not fragments:
            continue  # only line breaks: nothing brat can show
        t_id, _ = text_bound(span["label"], [fragments])
        t_ids[span["id"]] = t_id
        fragments_of[span["id"]] = fragments  # as the span is, for stance anchors (not a split variant)
        vocabulary.labels.add(span["label"])
        note = [f"entity: {span['entity']}"] if span["entity"] else []
        for key, value in span["attributes"].items():
            if value is None:
                continue
            if isinstance(value, (list, dict)):
                note.append(f"{key}: {orjson.dumps(value).decode()}")
            else:
                attribute(key, t_id, "<ENTITY>", value)
        if note:
            notes.append((t_id, note))

    for r in layer["relations"]:
        if r["from"] in t_ids and r["to"] in t_ids:
            vocabulary.relations.add(r["type"])
            relation(r["type"], t_ids[r["from"]], t_ids[r["to"]])

    for stance in layer["stances"]:
        evidence = [span_id for span_id in stance["evidence"] if span_id in t_ids]
        holder = stance["holder"] if stance["holder"] in t_ids else None
        anchors = [fragments_of[span_id] for span_id in [*evidence, *([holder] if holder else [])]]
        if not anchors:  # a holder entity and no evidence: the text's first line
            first_line = _LINE.search(text)
            if first_line is None:
                continue  # a text of line breaks and tabs only: nothing anywhere to anchor to
            anchors = [[first_line.span()]]
        s_id, _ = text_bound(STANCE, anchors)
        if holder:
            relation("Holder", s_id, t_ids[holder])
        for span_id in evidence:
            relation("Evidence", s_id, t_ids[span_id])
        attribute("Polarity", s_id, STANCE, stance["polarity"])
        attribute("Explicit", s_id, STANCE, stance["explicit"])
        attribute("Target", s_id, STANCE, stance["target"])
        note = [f"target: {stance['target']}"]
        if stance["holder_entity"]:
            note.append(f"holder_entity: {stance['holder_entity']}")
        notes.append((s_id, note))

    for n, (owner_id, note) in enumerate(notes, start=1):
        # A note is one line: line breaks inside names (U+2028 too) would start a new annotation.
        lines.append(f"#{n}\tAnnotatorNotes {owner_id}\t" + " ".join("; ".join(note).split()))
    return "".join(line + "\n" for line in lines)


def write_brat(records: Iterable[dict]) -> Iterator[bytes]:
    sink, vocabulary, used = Sink(), _Vocabulary(), set()
    with zipfile.ZipFile(sink, "w") as archive:
        for record in records:
            name = f"{safe_name(record['external_id'])}.{safe_name(record['annotator'] or 'gold')}"
            if name in used:
                name = f"{name}.{record['annotation_id']}"
            used.add(name)
            stamp = record["updated_at"]
            date_time = (int(stamp[:4]), int(stamp[5:7]), int(stamp[8:10]),
                         int(stamp[11:13]), int(stamp[14:16]), int(stamp[17:19]))
            archive.writestr(entry(f"{name}.txt", date_time), record["text"].encode("utf-8"))
            archive.writestr(entry(f"{name}.ann", date_time), standoff(record, vocabulary).encode("utf-8"))
            yield sink.take()
        archive.writestr(entry("annotation.conf"), vocabulary.conf().encode("utf-8"))
    yield sink.take()
