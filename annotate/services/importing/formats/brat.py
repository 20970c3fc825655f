"""brat standoff: a zip of `<name>.txt` and `<name>.ann` pairs (the command zips a directory for it).

Each pair is one article with one layer; its external id is the pair's path in the archive without
the suffix. A `.txt` without its `.ann` is an article without a layer; `annotation.conf` and other
files are ignored. Problems name the member and its line (`corpus.zip:docs/a.ann:7: …`).

* `T` → a span with the T's type as label and its id as the span's id. A discontinuous annotation
  (`10 20;35 60`) becomes a discontinuous span with those fragments. Fragments that touch, overlap
  or lie apart by line breaks and tabs only are joined into one piece first: our export writes a
  piece across a line break that way (brat fragments cannot cross one), so a span written as
  `0 5;6 12` around a line break comes back as the one piece 0-12.
* `A`/`M` → the span's attributes (`true`/`false` and integers as such; a binary attribute is `true`).
* `N` (normalisation) → the span's entity, the name after its last tab.
* `#… AnnotatorNotes` → `entity: …` and `key: <JSON>` parts, as our export writes them; other notes
  are dropped.
* `R` → a relation from Arg1 to Arg2.
* A `T` of type `Stance` with `Holder` and `Evidence` relations and `Polarity`/`Explicit`/`Target`
  attributes (our export's stance, annotate/export/writers/brat.py) → a stance; the note's `target:`
  and `holder_entity:` give the exact names.
* `E… Attribution:T Source:T Cue:T Content:T` (PolNeAR, and our attribution export): the Source,
  Cue and Content arguments become SOURCE, CUE and QUOTE spans, with QUOTE ATTRIBUTED_TO SOURCE and
  CUE CUE_OF QUOTE; the event's `Type` attribute becomes the QUOTE's `quote_type`. A trigger typed
  `Attribution` that is no argument is dropped. Other events become relations from the trigger
  to each argument, typed by the role (digits dropped: `Theme2` → `Theme`).
* Equivalences (`*`) are dropped.

Offsets are code points (brat is Python), into the .txt as it is (no newline translation).
"""
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath

import orjson

from ....validation import fragment_text
from ..reading import Read, Unreadable
from . import Where, decode

STANCE = "Stance"
ATTRIBUTION_ROLES = {"source": "SOURCE", "cue": "CUE", "content": "QUOTE"}
_OFFSETS = re.compile(r"^\d+ \d+(;\d+ \d+)*$")
_NOTE_PART = re.compile(r"(?:^|; )(\w+): ")


class _Bad(Exception):
    pass


def read_brat(stream: io.BufferedIOBase, name: str, *, language: str) -> Iterator[Read]:
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as error:
        yield 0, Unreadable(f"not a zip of brat .txt/.ann pairs: {error}")
        return
    with archive:
        members = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        stems = sorted({str(PurePosixPath(m).with_suffix("")) for m in members
                        if PurePosixPath(m).suffix in (".txt", ".ann") and not PurePosixPath(m).name.startswith(".")})
        if not stems:
            yield 0, Unreadable("no brat .txt/.ann pairs in the archive")
        for stem in stems:
            txt, ann = f"{stem}.txt", f"{stem}.ann"
            if txt not in members:
                yield Where(ann, 1), Unreadable(f"no {PurePosixPath(txt).name} beside it: its text")
                continue
            try:
                text = decode(archive.read(txt))
            except UnicodeDecodeError as error:
                yield Where(txt, 1), Unreadable(f"not UTF-8 text: {error}")
                continue
            record = {"external_id": stem, "text": text, "language": language}
            if ann not in members:
                yield Where(txt, 1), record
                continue
            try:
                lines = decode(archive.read(ann)).split("\n")
            except UnicodeDecodeError as error:
                yield Where(ann, 1), Unreadable(f"not UTF-8 text: {error}")
                continue
            layer, problems = _layer(text, lines, ann)
            if problems:
                yield from problems
                continue
            record["annotations"] = layer
            yield Where(ann, 1), record


def _value(raw: str | None):
    if raw is None:
        return True
    if raw in ("true", "false"):
        return raw == "true"
    if re.fullmatch(r"-?\d{1,15}", raw):
        return int(raw)
    return raw


def _note(text: str) -> dict[str, str]:
    """`entity: X; key: value` as our export writes a note, as a dict; other notes give {}."""
    parts = list(_NOTE_PART.finditer(text))
    if not parts or parts[0].start() != 0:
        return {}
    return {m.group(1): text[m.end():(parts[i + 1].start() if i + 1 < len(parts) else len(text))]
            for i, m in enumerate(parts)}


_LINE_GAP = re.compile(r"[\r\n\t]*")  # what may lie between two brat fragments of one piece


def _pieces(text: str, fragments: list[tuple[int, int]]) -> list[list[int]]:
    """brat fragments as a span's pieces: in order, those that touch, overlap or lie apart by line breaks and
    tabs only joined (our export cuts a piece at each line break and tab; a gap of anything else is the gap
    of a discontinuous span)."""
    pieces: list[list[int]] = []
    for start, end in sorted(fragments):
        if pieces and (start <= pieces[-1][1] or _LINE_GAP.fullmatch(text, pieces[-1][1], start)):
            pieces[-1][1] = max(pieces[-1][1], end)
        else:
            pieces.append([start, end])
    return pieces


def _layer(text: str, lines: list[str], member: str) -> tuple[dict, list[Read]]:
    problems: list[Read] = []
    spans: dict[str, dict] = {}  # T id -> span
    attributes: list[tuple[int, str, str, object]] = []  # (line, owner, name, value)
    relations: list[tuple[int, str, str, str]] = []  # (line, type, arg1, arg2)
    events: list[tuple[int, str, list[tuple[str, str]], str]] = []  # (line, type, [(role, T)], E id)
    notes: dict[str, dict[str, str]] = {}
    entities: dict[str, str] = {}

    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        where = Where(member, number)
        try:
            fields = line.split("\t")
            ident, body = fields[0], fields[1] if len(fields) > 1 else ""
            kind = ident[:1]
            if kind == "T":
                label, _, offsets = body.partition(" ")
                if not _OFFSETS.match(offsets):
                    raise _Bad(f"{ident}: offsets must be `start end` pairs separated by `;`, got {offsets!r}")
                numbers = [int(n) for pair in offsets.split(";") for n in pair.split(" ")]
                start, end = min(numbers[0::2]), max(numbers[1::2])
                if not 0 <= start < end <= len(text):
                    raise _Bad(f"{ident}: {start}-{end} is outside the text ({len(text)} code points)")
                pieces = _pieces(text, list(zip(numbers[0::2], numbers[1::2], strict=True)))
                spans[ident] = {"id": ident, "start": start, "end": end, "label": label,
                                "text": fragment_text(text, pieces), "attributes": {}, "line": number}
                if len(pieces) > 1:
                    spans[ident]["fragments"] = pieces
            elif kind in ("A", "M"):
                parts = body.split(" ")
                if len(parts) not in (2, 3):
                    raise _Bad(f"{ident}: an attribute is `NAME OWNER [VALUE]`, got {body!r}")
                attributes.append((number, parts[1], parts[0], _value(parts[2] if len(parts) == 3 else None)))
            elif kind == "R":
                parts = body.split(" ")
                if len(parts) != 3 or not parts[1].startswith("Arg1:") or not parts[2].startswith("Arg2:"):
                    raise _Bad(f"{ident}: a relation is `TYPE Arg1:T Arg2:T`, got {body!r}")
                relations.append((number, parts[0], parts[1][5:], parts[2][5:]))
            elif kind == "E":
                parts = body.split()
                trigger_type, _, trigger = parts[0].partition(":") if parts else ("", "", "")
                if not trigger or any(":" not in part for part in parts):
                    raise _Bad(f"{ident}: an event is `TYPE:T ROLE:T …`, got {body!r}")
                arguments = [(p.partition(":")[0], p.partition(":")[2]) for p in parts[1:]]
                events.append((number, trigger_type, [("", trigger), *arguments], ident))
            elif kind == "N":
                parts = body.split(" ")
                if len(parts) < 2:
                    raise _Bad(f"{ident}: a normalisation is `Reference T db:id<TAB>name`, got {body!r}")
                if len(fields) > 2 and fields[-1].strip():
                    entities[parts[1]] = fields[-1].strip()
            elif kind == "#":
                parts = body.split(" ")
                if parts[0] == "AnnotatorNotes" and len(parts) > 1 and len(fields) > 2:
                    notes[parts[1]] = _note(fields[2])
            elif kind == "*":
                continue
            else:
                raise _Bad(f"{ident or line[:20]!r}: not a brat annotation (T, A, M, R, E, N, # or *)")
        except _Bad as problem:
            problems.append((where, Unreadable(str(problem))))

    def span(t_id: str, number: int, role: str) -> dict | None:
        if t_id not in spans:
            problems.append((Where(member, number), Unreadable(f"{role}: {t_id} is no text-bound annotation (T)")))
            return None
        return spans[t_id]

    stances = {t_id: {"holder": None, "holder_entity": None, "target": None, "polarity": None, "explicit": True,
                      "evidence": []} for t_id, s in spans.items() if s["label"] == STANCE}
    for t_id, values in notes.items():
        if t_id in spans:
            note = values
            if t_id in stances:
                stances[t_id]["target"] = note.get("target") or stances[t_id]["target"]
                stances[t_id]["holder_entity"] = note.get("holder_entity")
                continue
            if note.get("entity"):
                spans[t_id]["entity"] = note["entity"]
            for key, raw in note.items():
                if key != "entity":
                    try:
                        spans[t_id]["attributes"][key] = orjson.loads(raw)
                    except orjson.JSONDecodeError:
                        spans[t_id]["attributes"][key] = raw
    for t_id, name in entities.items():
        if t_id in spans:
            spans[t_id]["entity"] = name

    event_attributes: dict[str, list[tuple[str, object]]] = {}
    for number, owner, name, value in attributes:
        if owner.startswith("E"):
            event_attributes.setdefault(owner, []).append((name, value))
        elif owner in stances:
            key = {"Polarity": "polarity", "Explicit": "explicit", "Target": "target"}.get(name)
            if key and not (key == "target" and stances[owner]["target"]):
                stances[owner][key] = value
        elif (target := span(owner, number, "attribute")) is not None:
            target["attributes"][name] = value

    out_relations = []
    for number, kind, arg1, arg2 in relations:
        if arg1 in stances and kind in ("Holder", "Evidence"):
            if span(arg2, number, "Arg2") is None:
                continue
            if kind == "Holder":
                stances[arg1]["holder"] = arg2
            else:
                stances[arg1]["evidence"].append(arg2)
            continue
        if span(arg1, number, "Arg1") is not None and span(arg2, number, "Arg2") is not None:
            out_relations.append({"from": arg1, "to": arg2, "type": kind})

    dropped_triggers = set()
    arguments_anywhere = {t for _, _, args, _ in events for role, t in args[1:]}
    for number, kind, args, e_id in events:
        if any(span(t, number, role or "trigger") is None for role, t in args):
            continue
        trigger = args[0][1]
        if kind.lower() == "attribution":
            by_role: dict[str, str] = {}
            for role, t_id in args[1:]:
                ours = ATTRIBUTION_ROLES.get(role.rstrip("0123456789").lower())
                if ours:
                    spans[t_id]["label"] = ours
                    by_role.setdefault(ours, t_id)
            quote, source, cue = by_role.get("QUOTE"), by_role.get("SOURCE"), by_role.get("CUE")
            if quote and source:
                out_relations.append({"from": quote, "to": source, "type": "ATTRIBUTED_TO"})
            if quote and cue:
                out_relations.append({"from": cue, "to": quote, "type": "CUE_OF"})
            for name, value in event_attributes.get(e_id, []):
                if quote and name.lower() == "type":
                    spans[quote]["attributes"]["quote_type"] = value
            if spans[trigger]["label"].lower() == "attribution" and trigger not in arguments_anywhere:
                dropped_triggers.add(trigger)
        else:
            for role, t_id in args[1:]:
                out_relations.append({"from": trigger, "to": t_id, "type": role.rstrip("0123456789")})

    unique = {(r["from"], r["to"], r["type"]): r for r in out_relations}  # events may repeat a pair
    out_relations = list(unique.values())
    out_stances = []
    for t_id, stance in stances.items():
        missing = [key for key in ("target", "polarity") if stance[key] is None]
        if missing:
            problems.append((Where(member, spans[t_id]["line"]),
                             Unreadable(f"{t_id}: a Stance needs {' and '.join(missing)} (attributes or note)")))
            continue
        stance["target"] = str(stance["target"])
        stance["polarity"] = str(stance["polarity"])
        out_stances.append(stance)
    out_spans = [{k: v for k, v in s.items() if k != "line"} for t_id, s in spans.items()
                 if t_id not in stances and t_id not in dropped_triggers]
    return {"spans": out_spans, "relations": out_relations, "stances": out_stances}, problems
