"""The interchange format: one JSON object per article, shared by import, export and fixtures.

Shape (see docs/format.md)::

    {"external_id", "title", "source", "url", "published", "language", "text",
     "caption"?, "metadata"?,
     "annotations"?: {
        "spans":     [{"id", "start", "end", "label", "text", "entity"?, "attributes"?}],
        "relations": [{"from", "to", "type"}],
        "stances":   [{"holder" | "holder_entity", "target", "polarity", "explicit"?, "evidence"}]}}

Offsets are Unicode code points into "text" (Python str indexing), end
exclusive. "source" is the outlet. Span ids are local to the record. Exports
add "annotator", "status", "annotation_id", "updated_at" and "schema_version";
import ignores them.

This module only checks what a record says about itself; whether its labels
and targets exist in a project is the importer's business.
"""
import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError

from .validation import check_span_offsets

SCHEMA_VERSION = 1


class RecordInvalid(Exception):
    """Everything wrong with one record, as (field path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


# Spans, relations and stances are NamedTuples: an import builds hundreds of
# thousands of them, and tuples are several times cheaper than dataclasses.
class SpanRecord(NamedTuple):
    id: str
    start: int
    end: int
    label: str
    text: str
    entity: str | None = None
    attributes: dict = {}


class RelationRecord(NamedTuple):
    from_id: str
    to_id: str
    type: str


class StanceRecord(NamedTuple):
    target: str
    polarity: str
    holder: str | None = None  # a span id of the same record
    holder_entity: str | None = None  # a canonical entity name
    explicit: bool = True
    evidence: tuple[str, ...] = ()


class LayerRecord(NamedTuple):
    spans: tuple[SpanRecord, ...] = ()
    relations: tuple[RelationRecord, ...] = ()
    stances: tuple[StanceRecord, ...] = ()


@dataclass(frozen=True)
class ArticleRecord:
    external_id: str
    text: str
    title: str = ""
    caption: str = ""
    outlet: str = ""
    url: str = ""
    published: dt.date | None = None
    language: str = ""
    metadata: dict = field(default_factory=dict)
    annotations: LayerRecord | None = None
    # Written by exports; an import without --annotator takes the layer's owner from here.
    annotator: str | None = None
    status: str | None = None


class _Reader:
    """Collects problems with field paths while pulling typed values out of plain JSON."""

    def __init__(self):
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def string(self, obj: dict, key: str, path: str, *, required=False, default="") -> str:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(path + key, "is required")
            return default
        if not isinstance(value, str):
            self.fail(path + key, f"must be a string, got {type(value).__name__}")
            return default
        if required and not value:
            self.fail(path + key, "must not be empty")
        return value

    def listing(self, obj: dict, key: str, path: str) -> list:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path + key, f"must be a list, got {type(value).__name__}")
            return []
        return value

    def mapping(self, obj: dict, key: str, path: str) -> dict:
        value = obj.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(path + key, f"must be an object, got {type(value).__name__}")
            return {}
        return value


def _parse_date(reader: _Reader, value, path: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            # Accept a full timestamp too; the model keeps the calendar date.
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    reader.fail(path, f"must be an ISO date (YYYY-MM-DD), got {value!r}")
    return None


def parse_record(obj) -> ArticleRecord:
    """Turn one decoded JSON value into an ArticleRecord, or raise RecordInvalid listing every problem."""
    reader = _Reader()
    if not isinstance(obj, dict):
        raise RecordInvalid([("(record)", f"must be a JSON object, got {type(obj).__name__}")])
    text = reader.string(obj, "text", "", required=True)
    record = dict(
        external_id=reader.string(obj, "external_id", "", required=True),
        text=text,
        title=reader.string(obj, "title", ""),
        caption=reader.string(obj, "caption", ""),
        outlet=reader.string(obj, "source", ""),
        url=reader.string(obj, "url", ""),
        published=_parse_date(reader, obj.get("published"), "published"),
        language=reader.string(obj, "language", ""),
        metadata=reader.mapping(obj, "metadata", ""),
        annotator=reader.string(obj, "annotator", "", default=None) or None,
        status=reader.string(obj, "status", "", default=None) or None,
    )
    if obj.get("annotations") is not None:
        layer = reader.mapping(obj, "annotations", "")
        record["annotations"] = _parse_layer(reader, layer, text)
    if reader.problems:
        raise RecordInvalid(reader.problems)
    return ArticleRecord(**record)


def _parse_layer(reader: _Reader, layer: dict, text: str) -> LayerRecord:
    # A file brings hundreds of thousands of items: each loop takes the plain case (every field
    # present in its usual type and valid) inline, and hands anything else to the item's checker
    # (_span, _relation, _stance), which decides the same thing field by field and says what is wrong.
    spans, span_ids, size = [], set(), len(text)
    for i, raw in enumerate(reader.listing(layer, "spans", "annotations.")):
        if type(raw) is dict:
            span_id, start, end, label = raw.get("id"), raw.get("start"), raw.get("end"), raw.get("label")
            snapshot, entity, attributes = raw.get("text"), raw.get("entity"), raw.get("attributes")
            if (type(span_id) is str and span_id and span_id not in span_ids
                    and type(start) is int and type(end) is int and 0 <= start < end <= size
                    and (snapshot is None or (type(snapshot) is str and text[start:end] == snapshot))
                    and type(label) is str and label
                    and (entity is None or (type(entity) is str and (entity := entity.strip())))
                    and (attributes is None or type(attributes) is dict)):
                span_ids.add(span_id)
                spans.append(SpanRecord(span_id, start, end, label, text[start:end] if snapshot is None else snapshot,
                                        entity, {} if attributes is None else attributes))
                continue
        span = _span(reader, raw, f"annotations.spans[{i}].", span_ids, text)
        if span is not None:
            spans.append(span)

    relations, seen_relations = [], set()
    for i, raw in enumerate(reader.listing(layer, "relations", "annotations.")):
        if type(raw) is dict:
            from_id, to_id, rel_type = raw.get("from"), raw.get("to"), raw.get("type")
            if (type(from_id) is str and type(to_id) is str and from_id != to_id
                    and from_id in span_ids and to_id in span_ids and type(rel_type) is str and rel_type):
                relation = RelationRecord(from_id, to_id, rel_type)
                if relation not in seen_relations:
                    seen_relations.add(relation)
                    relations.append(relation)
                    continue
        _relation(reader, raw, f"annotations.relations[{i}].", span_ids, seen_relations, relations)

    stances = []
    for i, raw in enumerate(reader.listing(layer, "stances", "annotations.")):
        if type(raw) is dict:
            holder, holder_entity, target, polarity = (raw.get("holder"), raw.get("holder_entity"),
                                                       raw.get("target"), raw.get("polarity"))
            evidence, explicit = raw.get("evidence"), raw.get("explicit", True)
            if type(evidence) is str:  # one span id, not in a list
                evidence = [evidence]
            if ((holder is None or (type(holder) is str and holder in span_ids))
                    and (holder_entity is None or type(holder_entity) is str)
                    and (holder is not None or holder_entity)
                    and (evidence is None
                         or (type(evidence) is list and all(type(e) is str and e in span_ids for e in evidence)))
                    and (explicit is None or explicit is True or explicit is False)
                    and type(target) is str and target and type(polarity) is str and polarity):
                stances.append(StanceRecord(target, polarity, holder, holder_entity or None, explicit is not False,
                                            () if evidence is None else tuple(dict.fromkeys(evidence))))
                continue
        stance = _stance(reader, raw, f"annotations.stances[{i}].", span_ids)
        if stance is not None:
            stances.append(stance)
    return LayerRecord(spans=tuple(spans), relations=tuple(relations), stances=tuple(stances))


def _span(reader: _Reader, raw, path: str, span_ids: set[str], text: str) -> SpanRecord | None:
    """One span, field by field: the span, or None with its problems reported."""
    if not isinstance(raw, dict):
        reader.fail(path[:-1], "must be an object")
        return None
    span_id = raw.get("id")
    if type(span_id) is int:
        span_id = str(span_id)
    if type(span_id) is not str or not span_id:
        reader.fail(path + "id", "is required (a string unique within the record)")
        return None
    if span_id in span_ids:
        reader.fail(path + "id", f"{span_id!r} is used by another span of this record")
        return None
    span_ids.add(span_id)
    start, end, label, snapshot = raw.get("start"), raw.get("end"), raw.get("label"), raw.get("text")
    if snapshot is not None and type(snapshot) is not str:
        reader.fail(path + "text", f"must be a string, got {type(snapshot).__name__}")
        return None
    # The common case in one expression; the checker below explains any failure.
    if not (type(start) is int and type(end) is int and 0 <= start < end <= len(text)
            and (snapshot is None or text[start:end] == snapshot)):
        try:
            check_span_offsets(text, start, end, snapshot)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                reader.fail(path + key, messages[0])
            return None
    if type(label) is not str or not label:
        reader.fail(path + "label", "is required (a label name of the project)")
        return None
    entity = raw.get("entity")
    if entity is not None and (type(entity) is not str or not entity.strip()):
        reader.fail(path + "entity", "must be a non-empty string (the canonical source's name) or null")
        entity = None
    attributes = raw.get("attributes")
    if attributes is None:
        attributes = {}
    elif type(attributes) is not dict:
        reader.fail(path + "attributes", f"must be an object, got {type(attributes).__name__}")
        return None
    return SpanRecord(span_id, start, end, label, text[start:end], entity.strip() if entity else None, attributes)


def _span_ref(reader: _Reader, value, path: str, span_ids: set[str]) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or value not in span_ids:
        reader.fail(path, f"{value!r} is not the id of a span in this record")
        return None
    return value


def _relation(reader: _Reader, raw, path: str, span_ids: set[str], seen: set[RelationRecord],
              relations: list[RelationRecord]) -> None:
    """One relation, field by field: appended to `relations`, and its problems reported."""
    if not isinstance(raw, dict):
        reader.fail(path[:-1], "must be an object")
        return
    from_id = _span_ref(reader, raw.get("from"), path + "from", span_ids)
    to_id = _span_ref(reader, raw.get("to"), path + "to", span_ids)
    rel_type = reader.string(raw, "type", path, required=True)
    if from_id is not None and from_id == to_id:
        reader.fail(path + "to", "a relation links two different spans")
    elif from_id and to_id and rel_type:
        relation = RelationRecord(from_id=from_id, to_id=to_id, type=rel_type)
        if relation in seen:
            reader.fail(path[:-1], f"repeats relation {from_id} {rel_type} {to_id}")
        seen.add(relation)
        relations.append(relation)


def _stance(reader: _Reader, raw, path: str, span_ids: set[str]) -> StanceRecord | None:
    """One stance, field by field: the stance (None if it is not an object), its problems reported."""
    if not isinstance(raw, dict):
        reader.fail(path[:-1], "must be an object")
        return None
    holder = raw.get("holder")
    holder = _span_ref(reader, holder, path + "holder", span_ids) if holder is not None else None
    holder_entity = reader.string(raw, "holder_entity", path) or None
    if raw.get("holder") is None and holder_entity is None:
        reader.fail(path + "holder", "a stance needs a holder (span id) or holder_entity (name)")
    evidence = raw.get("evidence")
    evidence = [] if evidence is None else evidence if isinstance(evidence, list) else [evidence]
    evidence_ids = tuple(
        ref for j, item in enumerate(evidence)
        if (ref := _span_ref(reader, item, f"{path}evidence[{j}]", span_ids)) is not None
    )
    explicit = raw.get("explicit", True)
    if explicit is None:
        explicit = True
    if not isinstance(explicit, bool):
        reader.fail(path + "explicit", f"must be true or false, got {explicit!r}")
    return StanceRecord(
        target=reader.string(raw, "target", path, required=True),
        polarity=reader.string(raw, "polarity", path, required=True),
        holder=holder,
        holder_entity=holder_entity,
        explicit=bool(explicit),
        evidence=tuple(dict.fromkeys(evidence_ids)),
    )
