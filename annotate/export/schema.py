"""The type of one JSONL export record, written once and read two ways: JSON Schema and `datasets.Features`.

`RECORD` below is the record as records.py writes it, field by field. Both
published forms are derived from it:

* `json_schema()`: JSON Schema (draft 2020-12) of one record, for validators
  and for people;
* `features_dict()`: the `datasets.Features` of one record in the JSON form
  `Features.to_dict()` produces, so `datasets.Features.from_dict(body)`
  rebuilds it without the server importing `datasets` (a development
  dependency only).

Why publish types at all: readers that infer them (pyarrow through
`datasets`, pandas) guess from the first chunk, and a field that is null in
every early record (`entity`, `holder_entity` while nobody has linked a
source yet) is guessed as the null type, which later strings cannot be cast
to. A nullable field is therefore typed by what it holds when it is set
(a string that may be null), never as null.

Free-form objects (`metadata`, span `attributes`) have no fixed keys; they
are `datasets.Json()` (stored as JSON text, read back as objects) and
`"type": "object"` in the JSON Schema.

`provenance` (on spans, relations and stances) is written only when the item
has one: usernames on gold items, `{"recommender", "version", "score"}` objects
on items accepted from a suggestion. The JSON Schema says so (not required;
a list of strings or objects). `datasets.Features` has no optional keys and
no unions, so there it is `datasets.Json()`: the list as JSON text, read back
as the list, and null where the record has no such key.

`claim_cluster` (on CLAIM and QUOTE spans) is likewise written only when the span is in a claim
cluster: optional in the JSON Schema, an int64 in `datasets.Features` (null where absent).
`needs_review` (a span re-anchoring flagged) is written only when true: a bool, null where absent.
A span's `fragments` are always written ([[start, end]] for an ordinary span): a list of int64 lists.
`threads` (include=comments) is written only when asked for: optional in the JSON Schema, a list of structs
in `datasets.Features` (null where absent).
"""
from dataclasses import dataclass

from ..interchange import SCHEMA_VERSION

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class Scalar:
    """A leaf value. `kind` is one of KINDS; nullable leaves may be null in a record."""

    kind: str
    nullable: bool = False
    description: str = ""
    format: str | None = None  # a JSON Schema format (date, date-time), a hint for validators
    enum: tuple[str, ...] | None = None
    items: tuple[str, ...] | None = None  # kind "array": the JSON Schema types of its items


@dataclass(frozen=True)
class Optional:
    """A key a record writes only when it has a value (never as null)."""

    node: "Scalar | ListOf | Struct"


@dataclass(frozen=True)
class ListOf:
    item: "Scalar | Struct"
    description: str = ""


@dataclass(frozen=True)
class Struct:
    """An object whose keys are always present (records.py writes every key, `null` when unset), but those
    marked Optional."""

    fields: tuple[tuple[str, "Scalar | ListOf | Struct"], ...]
    description: str = ""


# kind -> (JSON Schema type, datasets.Value dtype or None for datasets.Json)
KINDS = {
    "string": ("string", "string"),
    "int64": ("integer", "int64"),
    "bool": ("boolean", "bool"),
    "object": ("object", None),  # free-form: datasets.Json()
    "array": ("array", None),  # free-form items (Scalar.items): datasets.Json()
}

STATUSES = ("in_progress", "submitted", "returned", "adjudicated")  # Annotation.Status values

PROVENANCE = Optional(Scalar("array", items=("string", "object"), description=(
    "Only when the item has one: usernames of the annotators who had it (a gold item), or "
    "[{\"recommender\", \"version\", \"score\"}] (accepted from a suggestion).")))

SPAN = Struct((
    ("id", Scalar("string", description="Local to the record: s1, s2, ... in (start, end) order.")),
    ("start", Scalar("int64", description="Unicode code point offset into text, inclusive.")),
    ("end", Scalar("int64", description="Unicode code point offset into text, exclusive.")),
    ("fragments", ListOf(ListOf(Scalar("int64")), description=(
        "The span's pieces, [[start, end], ...] in order, apart: one piece ([[start, end]]) for an ordinary span, "
        "several for a discontinuous one (a quote split by its attribution); start/end are the outer bounds."))),
    ("label", Scalar("string")),
    ("text", Scalar("string", description="text[start:end]; a discontinuous span's pieces joined by one space")),
    ("entity", Scalar("string", nullable=True, description="The canonical source's name, null when unlinked.")),
    ("attributes", Scalar("object", description="Free-form, e.g. {\"check_worthy\": true}; {} when none.")),
    ("provenance", PROVENANCE),
    ("claim_cluster", Optional(Scalar("int64", description=(
        "Only on a CLAIM or QUOTE span in a claim cluster: the cluster's id in this project (docs/claims.md)")))),
    ("needs_review", Optional(Scalar("bool", description=(
        "Only when true: a corrected text was re-anchored and this span's text changed or vanished (its text is "
        "the old snapshot)")))),
))
RELATION = Struct((
    ("from", Scalar("string", description="A span id of the same record.")),
    ("to", Scalar("string", description="A span id of the same record.")),
    ("type", Scalar("string")),
    ("provenance", PROVENANCE),
))
STANCE = Struct((
    ("holder", Scalar("string", nullable=True, description="A span id, null when the holder is an entity only.")),
    ("holder_entity", Scalar("string", nullable=True, description="A canonical source's name, or null.")),
    ("target", Scalar("string")),
    ("polarity", Scalar("string")),
    ("explicit", Scalar("bool")),
    ("evidence", ListOf(Scalar("string"), description="Span ids, in span order.")),
    ("provenance", PROVENANCE),
))

THREAD = Struct((
    ("anchor", Struct((
        ("kind", Scalar("string", enum=("article", "span", "relation", "stance"))),
        ("id", Scalar("int64", description="The item's database id (the API's); the article's for kind article.")),
        ("span", Optional(Scalar("string", description="A span anchor still in the layer: its id in this record."))),
        ("text", Scalar("string", description="What the item was when the thread was opened.")),
        ("gone", Scalar("bool", description="The item has been deleted since; the thread is kept.")),
    ))),
    ("resolved", Scalar("bool")),
    ("resolved_by", Scalar("string", nullable=True, description="Username; null while open.")),
    ("resolved_at", Scalar("string", nullable=True, format="date-time")),
    ("created_by", Scalar("string", description="Username.")),
    ("created_at", Scalar("string", format="date-time")),
    ("comments", ListOf(Struct((
        ("author", Scalar("string", description="Username.")),
        ("body", Scalar("string")),
        ("created_at", Scalar("string", format="date-time")),
    )), description="Oldest first.")),
))

RECORD = Struct((
    ("external_id", Scalar("string")),
    ("title", Scalar("string")),
    ("source", Scalar("string", description="The outlet.")),
    ("url", Scalar("string")),
    ("published", Scalar("string", nullable=True, format="date")),
    ("language", Scalar("string")),
    ("caption", Scalar("string")),
    ("metadata", Scalar("object", description="Free-form; {} when none.")),
    ("text", Scalar("string")),
    ("annotations", Struct((
        ("spans", ListOf(SPAN)),
        ("relations", ListOf(RELATION)),
        ("stances", ListOf(STANCE)),
    ))),
    ("article_labels", Scalar("object", description=(
        "The layer's answers to the project's article questions: {\"QUESTION_NAME\": value}, a string (single "
        "choice, free text) or a list of strings (multiple choice); {} when none."))),
    ("annotator", Scalar("string", nullable=True, description="Username; null for the gold layer.")),
    ("status", Scalar("string", enum=STATUSES)),
    ("annotation_id", Scalar("int64")),
    ("updated_at", Scalar("string", format="date-time", description="UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ.")),
    ("schema_version", Scalar("int64", description=f"Currently {SCHEMA_VERSION}.")),
    ("threads", Optional(ListOf(THREAD, description=(
        "Only with include=comments: the layer's discussion threads, oldest first (docs/export.md)")))),
), description="One annotation layer of one article, as the JSONL export writes it (docs/export.md).")


# JSON Schema ----------------------------------------------------------------------------------------


def json_schema(*, schema_id: str | None = None) -> dict:
    """The JSON Schema (draft 2020-12) of one JSONL record."""
    schema = {"$schema": JSON_SCHEMA_DIALECT}
    if schema_id:
        schema["$id"] = schema_id
    schema["title"] = f"Annotation export record, schema_version {SCHEMA_VERSION}"
    schema.update(_json_type(RECORD))
    return schema


def _json_type(node) -> dict:
    if isinstance(node, Optional):
        return _json_type(node.node)
    if isinstance(node, Struct):
        out = {"type": "object",
               "properties": {name: _json_type(child) for name, child in node.fields},
               "required": [name for name, child in node.fields if not isinstance(child, Optional)],
               "additionalProperties": False}
    elif isinstance(node, ListOf):
        out = {"type": "array", "items": _json_type(node.item)}
    else:
        json_type = KINDS[node.kind][0]
        # A nullable field is its type or null, never null alone (see the module docstring).
        out = {"type": [json_type, "null"] if node.nullable else json_type}
        if node.format:
            out["format"] = node.format
        if node.enum:
            out["enum"] = list(node.enum) + ([None] if node.nullable else [])
        if node.items:
            out["items"] = {"type": list(node.items)}
    if node.description:
        out["description"] = node.description
    return out


# datasets.Features ----------------------------------------------------------------------------------


def features_dict() -> dict:
    """`datasets.Features(...).to_dict()` of one record: rebuild it with `datasets.Features.from_dict`.

    Arrow types are nullable anyway, so a nullable string is simply Value("string").
    """
    return {name: _feature(child) for name, child in RECORD.fields}


def _feature(node) -> dict:
    if isinstance(node, Optional):
        return _feature(node.node)  # absent reads as null: Arrow has no optional keys
    if isinstance(node, Struct):
        return {name: _feature(child) for name, child in node.fields}  # a dict of features is a struct
    if isinstance(node, ListOf):
        return {"feature": _feature(node.item), "_type": "List"}
    dtype = KINDS[node.kind][1]
    return {"_type": "Json"} if dtype is None else {"dtype": dtype, "_type": "Value"}
