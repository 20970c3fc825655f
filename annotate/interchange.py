"""The interchange format: one JSON object per article, shared by import, export and fixtures.

Shape (see docs/format.md)::

    {"external_id", "title", "source", "url", "published", "language", "text",
     "caption"?, "metadata"?,
     "annotations"?: {
        "spans":     [{"id", "start", "end", "fragments"?, "label", "text", "entity"?, "attributes"?,
                       "needs_review"?}],
        "relations": [{"from", "to", "type"}],
        "stances":   [{"holder" | "holder_entity", "target", "polarity", "explicit"?, "evidence"}]}}

"predictions"? has the shape of "annotations" plus "model", "version" and
"score" (its items may carry their own "score", "recommender", "version"): what
a recommender proposed, imported as suggestions (docs/format.md, "Predictions").
Items of either may carry "provenance" (a list).

"article_labels"? is the layer's answers to the project's article questions,
{"QUESTION_NAME": a string, or a list of strings for a multiple choice}: its
shape is checked here, its questions and values against the project by the
import (services/importing/checks.py).

Offsets are Unicode code points into "text" (Python str indexing), end
exclusive. A discontinuous span has "fragments" [[start, end], ...] (start/end
its outer bounds, its text the pieces' texts joined by one space); without
them a span is one piece. "needs_review": true marks a span re-anchoring
flagged. "source" is the outlet. Span ids are local to the record. Exports
add "annotator", "status", "annotation_id", "updated_at" and "schema_version";
import ignores them.

This module only checks what a record says about itself; whether its labels
and targets exist in a project is the importer's business.
"""
import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError

from .validation import check_span_shape, fragment_text, stored_fragments

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
    # Where the item came from: usernames (a gold item), or {"recommender", "version", "score"} objects
    # (accepted from a suggestion). A list in the file and in the database; () when none.
    provenance: list | tuple = ()
    # A discontinuous span's pieces, ((start, end), ...); None for the ordinary one-piece span.
    fragments: tuple | None = None
    needs_review: bool = False


class RelationRecord(NamedTuple):
    from_id: str
    to_id: str
    type: str
    provenance: list | tuple = ()


class StanceRecord(NamedTuple):
    target: str
    polarity: str
    holder: str | None = None  # a span id of the same record
    holder_entity: str | None = None  # a canonical entity name
    explicit: bool = True
    evidence: tuple[str, ...] = ()
    provenance: list | tuple = ()


class LayerRecord(NamedTuple):
    spans: tuple[SpanRecord, ...] = ()
    relations: tuple[RelationRecord, ...] = ()
    stances: tuple[StanceRecord, ...] = ()


class Origin(NamedTuple):
    """Who proposed one predicted item and how sure it was."""
    recommender: str
    version: str
    score: float


class PredictionsRecord(NamedTuple):
    """A record's `predictions`: items shaped as a layer's, each with its Origin (the same index in
    `spans_from`, `relations_from`, `stances_from` as the item in `layer`). They become suggestions."""
    layer: LayerRecord
    spans_from: tuple[Origin, ...]
    relations_from: tuple[Origin, ...]
    stances_from: tuple[Origin, ...]
    # Every recommender the record speaks for: its suggestions for the article are replaced by these
    # items, so `model` with no items empties that model's suggestions for the article.
    models: tuple[str, ...]


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
    predictions: PredictionsRecord | None = None
    # Written by exports; an import without --annotator takes the layer's owner from here.
    annotator: str | None = None
    status: str | None = None
    # The layer's answers to the project's article questions, {QUESTION_NAME: str | [str, ...]}: their shape
    # is checked here, their questions and choices against the project by the import (checks.py).
    article_labels: dict | None = None


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
    if obj.get("predictions") is not None:
        record["predictions"] = _parse_predictions(reader, reader.mapping(obj, "predictions", ""), text)
    if obj.get("article_labels") is not None:
        record["article_labels"] = _parse_article_labels(reader, reader.mapping(obj, "article_labels", ""))
    if reader.problems:
        raise RecordInvalid(reader.problems)
    return ArticleRecord(**record)


def _parse_article_labels(reader: _Reader, answers: dict) -> dict:
    """{QUESTION_NAME: a string or a list of strings}; a null answer is no answer and is left out."""
    parsed = {}
    for name, value in answers.items():
        if value is None:
            continue
        if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            parsed[name] = value
        else:
            reader.fail(f"article_labels.{name}", f"must be a string or a list of strings, got {_short_repr(value)}")
    return parsed


def _parse_layer(reader: _Reader, layer: dict, text: str, where: str = "annotations") -> LayerRecord:
    # A file brings hundreds of thousands of items: each loop takes the plain case (every field
    # present in its usual type and valid) inline, and hands anything else to the item's checker
    # (_span, _relation, _stance), which decides the same thing field by field and says what is wrong.
    spans, span_ids, size = [], set(), len(text)
    for i, raw in enumerate(reader.listing(layer, "spans", f"{where}.")):
        if type(raw) is dict:
            span_id, start, end, label = raw.get("id"), raw.get("start"), raw.get("end"), raw.get("label")
            snapshot, entity, attributes = raw.get("text"), raw.get("entity"), raw.get("attributes")
            provenance, fragments = raw.get("provenance"), raw.get("fragments")
            if (type(span_id) is str and span_id and span_id not in span_ids
                    and (fragments is None or fragments == [[start, end]]) and not raw.get("needs_review")
                    and type(start) is int and type(end) is int and 0 <= start < end <= size
                    and (snapshot is None or (type(snapshot) is str and text[start:end] == snapshot))
                    and type(label) is str and label
                    and (entity is None or (type(entity) is str and (entity := entity.strip())))
                    and (attributes is None or type(attributes) is dict)
                    and (provenance is None or _plain_provenance(provenance))):
                span_ids.add(span_id)
                spans.append(SpanRecord(span_id, start, end, label, text[start:end] if snapshot is None else snapshot,
                                        entity, {} if attributes is None else attributes, provenance or ()))
                continue
        span = _span(reader, raw, f"{where}.spans[{i}].", span_ids, text)
        if span is not None:
            spans.append(span)

    # Relations are told apart by (from, to, type): provenance is no part of what a relation is.
    relations, seen_relations = [], set()
    for i, raw in enumerate(reader.listing(layer, "relations", f"{where}.")):
        if type(raw) is dict:
            from_id, to_id, rel_type = raw.get("from"), raw.get("to"), raw.get("type")
            provenance = raw.get("provenance")
            if (type(from_id) is str and type(to_id) is str and from_id != to_id
                    and from_id in span_ids and to_id in span_ids and type(rel_type) is str and rel_type
                    and (provenance is None or _plain_provenance(provenance))):
                key = (from_id, to_id, rel_type)
                if key not in seen_relations:
                    seen_relations.add(key)
                    relations.append(RelationRecord(from_id, to_id, rel_type, provenance or ()))
                    continue
        _relation(reader, raw, f"{where}.relations[{i}].", span_ids, seen_relations, relations)

    stances = []
    for i, raw in enumerate(reader.listing(layer, "stances", f"{where}.")):
        if type(raw) is dict:
            holder, holder_entity, target, polarity = (raw.get("holder"), raw.get("holder_entity"),
                                                       raw.get("target"), raw.get("polarity"))
            evidence, explicit = raw.get("evidence"), raw.get("explicit", True)
            provenance = raw.get("provenance")
            if type(evidence) is str:  # one span id, not in a list
                evidence = [evidence]
            if ((holder is None or (type(holder) is str and holder in span_ids))
                    and (holder_entity is None or type(holder_entity) is str)
                    and (holder is not None or holder_entity)
                    and (evidence is None
                         or (type(evidence) is list and all(type(e) is str and e in span_ids for e in evidence)))
                    and (explicit is None or explicit is True or explicit is False)
                    and type(target) is str and target and type(polarity) is str and polarity
                    and (provenance is None or _plain_provenance(provenance))):
                stances.append(StanceRecord(target, polarity, holder, holder_entity or None, explicit is not False,
                                            () if evidence is None else tuple(dict.fromkeys(evidence)),
                                            provenance or ()))
                continue
        stance = _stance(reader, raw, f"{where}.stances[{i}].", span_ids)
        if stance is not None:
            stances.append(stance)
    return LayerRecord(spans=tuple(spans), relations=tuple(relations), stances=tuple(stances))


def _score(reader: _Reader, obj: dict, path: str, default: float) -> float:
    value = obj.get("score")
    if value is None:
        return default
    if type(value) not in (int, float) or not 0.0 <= value <= 1.0:
        reader.fail(path + "score", f"must be a number from 0 to 1, got {_short_repr(value)}")
        return default
    return float(value)


# As the suggestion rows hold them (annotate/models/suggestion.py).
RECOMMENDER_MAX, VERSION_MAX = 100, 50


def _name(reader: _Reader, obj: dict, key: str, path: str, default: str | None, limit: int) -> str | None:
    value = obj.get(key)
    if value is None:
        return default
    if type(value) is not str or not value.strip() or len(value) > limit:
        reader.fail(path + key, f"must be a non-empty string of at most {limit} characters, got {_short_repr(value)}")
        return default
    return value.strip()


def _parse_predictions(reader: _Reader, obj: dict, text: str) -> PredictionsRecord:
    """`predictions`: a layer's shape, each item from the object's `model` (or its own `recommender`),
    with a score (the item's, else the object's, else 1.0)."""
    before = len(reader.problems)
    model = _name(reader, obj, "model", "predictions.", None, RECOMMENDER_MAX)
    version = _name(reader, obj, "version", "predictions.", "", VERSION_MAX)
    score = _score(reader, obj, "predictions.", 1.0)
    layer = _parse_layer(reader, obj, text, "predictions")
    if model is None and not any(obj.get(kind) for kind in ("spans", "relations", "stances")):
        reader.fail("predictions.model", "is required (the recommender the suggestions are stored under)")
    origins = {}
    for kind in ("spans", "relations", "stances"):
        raws = obj.get(kind)
        origins[kind] = found = []
        for i, raw in enumerate(raws if type(raws) is list else []):
            if type(raw) is not dict:
                continue  # reported by the layer's parse
            path = f"predictions.{kind}[{i}]."
            if raw.get("provenance") is not None:
                # Said rather than dropped: a suggestion's own recommender, version and score are its provenance.
                reader.fail(path + "provenance", "a prediction has no provenance (its recommender, version and "
                                                 "score say where it comes from)")
            recommender = _name(reader, raw, "recommender", path, model, RECOMMENDER_MAX)
            if recommender is None:
                reader.fail(path + "recommender", "is required when predictions has no model")
            found.append(Origin(recommender, _name(reader, raw, "version", path, version, VERSION_MAX),
                                _score(reader, raw, path, score)))
    if len(reader.problems) > before:
        return PredictionsRecord(layer, (), (), (), ())
    # Parsed without a problem, so each item of `layer` is the raw item at the same index.
    spans_from, relations_from, stances_from = origins["spans"], origins["relations"], origins["stances"]
    # Suggestions of one recommender on one article are stored (and replaced) as one set, made by one
    # version of it, and its relations and stances point at its own spans only.
    versions, of_span = {}, {}
    for i, (span, origin) in enumerate(zip(layer.spans, spans_from, strict=True)):
        of_span[span.id] = origin.recommender
        if span.fragments is not None:  # suggestions are stored as one range (SuggestedSpan)
            reader.fail(f"predictions.spans[{i}].fragments", "a prediction is one piece: give start and end")
        if span.needs_review:
            reader.fail(f"predictions.spans[{i}].needs_review", "a prediction is not flagged for review")
        _one_version(reader, versions, origin, f"predictions.spans[{i}].version")
    for i, (relation, origin) in enumerate(zip(layer.relations, relations_from, strict=True)):
        _one_version(reader, versions, origin, f"predictions.relations[{i}].version")
        for end, span_id in (("from", relation.from_id), ("to", relation.to_id)):
            if of_span[span_id] != origin.recommender:
                reader.fail(f"predictions.relations[{i}].{end}",
                            f"{span_id!r} is {of_span[span_id]}'s span, not {origin.recommender}'s")
    for i, (stance, origin) in enumerate(zip(layer.stances, stances_from, strict=True)):
        _one_version(reader, versions, origin, f"predictions.stances[{i}].version")
        for where, span_id in [("holder", stance.holder)] * (stance.holder is not None) + [
                (f"evidence[{j}]", e) for j, e in enumerate(stance.evidence)]:
            if of_span[span_id] != origin.recommender:
                reader.fail(f"predictions.stances[{i}].{where}",
                            f"{span_id!r} is {of_span[span_id]}'s span, not {origin.recommender}'s")
    models = tuple(dict.fromkeys([model] * (model is not None) + list(versions)))
    return PredictionsRecord(layer, tuple(spans_from), tuple(relations_from), tuple(stances_from), models)


def _one_version(reader: _Reader, versions: dict[str, str], origin: Origin, path: str) -> None:
    first = versions.setdefault(origin.recommender, origin.version)
    if first != origin.version:
        reader.fail(path, f"{origin.recommender}'s items in one record come from one version; "
                          f"got {origin.version!r} and {first!r}")


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
    needs_review = raw.get("needs_review", False)
    if type(needs_review) is not bool:
        reader.fail(path + "needs_review", f"must be true or false, got {_short_repr(needs_review)}")
        return None
    if needs_review:
        snapshot = None  # a flagged span keeps its old snapshot: the text no longer has it at these offsets
    try:
        pieces = check_span_shape(text, start, end, raw.get("fragments"), snapshot)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            reader.fail(path + key, messages[0])
        return None
    fragments = stored_fragments(pieces)
    start, end = pieces[0][0], pieces[-1][1]
    covered = fragment_text(text, pieces) if not needs_review or raw.get("text") is None else raw["text"]
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
    provenance = _provenance(reader, raw, path)
    if provenance is None:
        return None
    return SpanRecord(span_id, start, end, label, covered, entity.strip() if entity else None, attributes,
                      provenance, None if fragments is None else tuple(map(tuple, fragments)), needs_review)


def _plain_provenance(value) -> bool:
    """A list of usernames (a gold item's annotators) or of objects (the suggestion it was accepted from)."""
    return type(value) is list and all(type(entry) is str or type(entry) is dict for entry in value)


def _provenance(reader: _Reader, raw: dict, path: str) -> list | tuple | None:
    """The item's provenance (() when absent), or None with the problem reported."""
    value = raw.get("provenance")
    if value is None:
        return ()
    if not _plain_provenance(value):
        reader.fail(path + "provenance", "must be a list of usernames (strings) or objects, "
                                         f"got {_short_repr(value)}")
        return None
    return value or ()


def _short_repr(value) -> str:
    # A short picture of a wrong value: its repr, cut, so a huge object does not flood the report.
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _span_ref(reader: _Reader, value, path: str, span_ids: set[str]) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or value not in span_ids:
        reader.fail(path, f"{value!r} is not the id of a span in this record")
        return None
    return value


def _relation(reader: _Reader, raw, path: str, span_ids: set[str], seen: set[tuple[str, str, str]],
              relations: list[RelationRecord]) -> None:
    """One relation, field by field: appended to `relations`, and its problems reported."""
    if not isinstance(raw, dict):
        reader.fail(path[:-1], "must be an object")
        return
    from_id = _span_ref(reader, raw.get("from"), path + "from", span_ids)
    to_id = _span_ref(reader, raw.get("to"), path + "to", span_ids)
    rel_type = reader.string(raw, "type", path, required=True)
    provenance = _provenance(reader, raw, path)
    if from_id is not None and from_id == to_id:
        reader.fail(path + "to", "a relation links two different spans")
    elif from_id and to_id and rel_type and provenance is not None:
        key = (from_id, to_id, rel_type)
        if key in seen:
            reader.fail(path[:-1], f"repeats relation {from_id} {rel_type} {to_id}")
        seen.add(key)
        relations.append(RelationRecord(from_id=from_id, to_id=to_id, type=rel_type, provenance=provenance))


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
        provenance=_provenance(reader, raw, path) or (),
    )
