"""brat standoff: a zip with `<name>.txt` and `<name>.ann` per article layer, plus an annotation.conf.

Mapping (https://brat.nlplab.org/standoff.html):

* span → `T` text-bound annotation with the span's label. brat fragments
  cannot cross a line break, so a span containing one is written as a
  discontinuous annotation, one fragment per line (`T1 CLAIM 0 5;7 12`);
  tabs split fragments too, since the .ann line is tab-separated.
* span attributes → `A` multi-valued attributes (`A1 quote_type T3 direct`);
  values are written as text (`true`, `false`, `3`) with whitespace, commas,
  bars and colons replaced by `_`. Lists and objects go into the note instead.
* entity link → the span's `AnnotatorNotes` (`#1 AnnotatorNotes T1 entity: Hassan Bellouan`).
* relation → `R` with `Arg1` the `from` span and `Arg2` the `to` span.
* stance → an event `Stance`, whose trigger is a `T` of type `Stance` over
  the first evidence span (the holder span when there is no evidence);
  arguments `Holder` and `Evidence`, `Evidence2`, ...; attributes `Polarity`,
  `Explicit` (true/false) and `Target`; the exact target and any holder
  entity in the event's note. A stance with no span at all (a holder entity
  and no evidence) has nothing in the text to anchor to and is left out.

File names keep only [A-Za-z0-9._-] of `<external id>.<annotator or gold>`
(other characters become `_`, leading dots are dropped), so no entry can
leave the folder it is unpacked into; a name taken twice gets the layer id.
Entries are dated by the layer's `updated_at`, so the same data gives the
same bytes.
"""
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator

import orjson

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_UNSAFE_TYPE = re.compile(r"[^A-Za-z0-9_-]")
_UNSAFE_VALUE = re.compile(r"[\s,|:]+")
_LINE = re.compile(r"[^\r\n\t]+")  # a fragment: a .ann line is tab-separated and one line long
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def safe_name(text: str, limit: int = 100) -> str:
    return _UNSAFE_NAME.sub("_", text)[:limit].lstrip(".") or "_"


def _value(value) -> str:
    text = orjson.dumps(value).decode() if isinstance(value, bool) else str(value)
    return _UNSAFE_VALUE.sub("_", text) or "_"


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
            "[entities]", *sorted(self.labels), "",
            "[relations]", *(f"{r}\tArg1:<ENTITY>, Arg2:<ENTITY>" for r in sorted(self.relations)),
            "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>", "",
            "[events]", "Stance\tHolder?:<ENTITY>, Evidence*:<ENTITY>", "",
            "[attributes]", *attributes, "",
        ])


def standoff(record: dict, vocabulary: _Vocabulary) -> str:
    """The .ann file of one record."""
    text, layer = record["text"], record["annotations"]
    lines, notes = [], []
    t_ids: dict[str, str] = {}  # span id -> T id
    fragments_of: dict[str, list[tuple[int, int]]] = {}
    count = {"T": 0, "A": 0}

    def text_bound(kind: str, fragments: list[tuple[int, int]]) -> str:
        count["T"] += 1
        t_id = f"T{count['T']}"
        offsets = ";".join(f"{a} {b}" for a, b in fragments)
        covered = " ".join(text[a:b] for a, b in fragments)  # brat joins fragments with a space
        lines.append(f"{t_id}\t{kind} {offsets}\t{covered}")
        return t_id

    def attribute(name: str, owner_id: str, owner_type: str, value) -> None:
        count["A"] += 1
        name, value = _UNSAFE_TYPE.sub("_", name) or "_", _value(value)
        vocabulary.attributes[(name, owner_type)].add(value)
        lines.append(f"A{count['A']}\t{name} {owner_id} {value}")

    for span in layer["spans"]:
        fragments = [(span["start"] + m.start(), span["start"] + m.end())
                     for m in _LINE.finditer(text[span["start"]:span["end"]])]
        if not fragments:
            continue  # only line breaks: nothing brat can show
        t_id = text_bound(span["label"], fragments)
        t_ids[span["id"]] = t_id
        fragments_of[span["id"]] = fragments
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

    for n, relation in enumerate(
        (r for r in layer["relations"] if r["from"] in t_ids and r["to"] in t_ids), start=1
    ):
        vocabulary.relations.add(relation["type"])
        lines.append(f"R{n}\t{relation['type']} Arg1:{t_ids[relation['from']]} Arg2:{t_ids[relation['to']]}")

    events = 0
    for stance in layer["stances"]:
        evidence = [span_id for span_id in stance["evidence"] if span_id in t_ids]
        holder = stance["holder"] if stance["holder"] in t_ids else None
        anchor = evidence[0] if evidence else holder
        if anchor is None:
            continue
        events += 1
        e_id = f"E{events}"
        trigger = text_bound("Stance", fragments_of[anchor])
        arguments = [f"Stance:{trigger}"]
        if holder:
            arguments.append(f"Holder:{t_ids[holder]}")
        arguments += [f"Evidence{i if i > 1 else ''}:{t_ids[span_id]}" for i, span_id in enumerate(evidence, 1)]
        lines.append(f"{e_id}\t{' '.join(arguments)}")
        attribute("Polarity", e_id, "Stance", stance["polarity"])
        attribute("Explicit", e_id, "Stance", stance["explicit"])
        attribute("Target", e_id, "Stance", stance["target"])
        note = [f"target: {stance['target']}"]
        if stance["holder_entity"]:
            note.append(f"holder_entity: {stance['holder_entity']}")
        notes.append((e_id, note))

    for n, (owner_id, note) in enumerate(notes, start=1):
        # A note is one line: line breaks inside names would start a new annotation.
        lines.append(f"#{n}\tAnnotatorNotes {owner_id}\t" + " ".join("; ".join(note).split()))
    return "".join(line + "\n" for line in lines)


class _Sink:
    """A write-only file for ZipFile: what it writes is taken out after each entry and streamed.

    Without tell() and seek(), ZipFile writes sizes after each entry's data
    (data descriptors) instead of going back, so nothing is held but the
    current entry.
    """

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _entry(name: str, date_time: tuple) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def write_brat(records: Iterable[dict]) -> Iterator[bytes]:
    sink, vocabulary, used = _Sink(), _Vocabulary(), set()
    with zipfile.ZipFile(sink, "w") as archive:
        for record in records:
            name = f"{safe_name(record['external_id'])}.{safe_name(record['annotator'] or 'gold')}"
            if name in used:
                name = f"{name}.{record['annotation_id']}"
            used.add(name)
            stamp = record["updated_at"]
            date_time = (int(stamp[:4]), int(stamp[5:7]), int(stamp[8:10]),
                         int(stamp[11:13]), int(stamp[14:16]), int(stamp[17:19]))
            archive.writestr(_entry(f"{name}.txt", date_time), record["text"].encode("utf-8"))
            archive.writestr(_entry(f"{name}.ann", date_time), standoff(record, vocabulary).encode("utf-8"))
            yield sink.take()
        archive.writestr(_entry("annotation.conf", _EPOCH), vocabulary.conf().encode("utf-8"))
    yield sink.take()
