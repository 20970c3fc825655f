"""The external recommenders' protocol, version 1 (docs/suggestions-protocol.md), as data: what the tool
sends (the project, documents, examples) and the checks every answer passes before any of it is used.

An answer with a fault anywhere is refused whole, with the path of the fault
(`results[2].spans[0].start: expected an integer, got 'x'`); offsets are Unicode code points, end exclusive.
"""
import math

from .base import Document, Example, Guesses, ProjectView, RelationGuess, SpanGuess, StanceGuess

PROTOCOL = 1


class Invalid(ValueError):
    """An answer that is not the protocol: `path` says where (results[2].spans[0].start)."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)


def project_payload(project: ProjectView) -> dict:
    return {
        "slug": project.slug,
        "labels": sorted(project.labels),
        "relation_types": {name: [ends[0], ends[1]] for name, ends in sorted(project.relation_types.items())},
        "targets": list(project.targets),
        "polarities": list(project.polarities),
        "entities": [{"id": e.id, "name": e.name, "aliases": list(e.aliases)} for e in project.entities],
    }


def document_payload(document: Document) -> dict:
    return {"id": document.id, "text": document.text, "language": document.language}


def example_payload(example: Example) -> dict:
    return {
        "document": document_payload(example.document),
        "spans": [{"label": label, "start": start, "end": end, "entity": entity}
                  for label, start, end, entity in example.spans],
        "relations": [{"type": type_, "from": source, "to": target} for type_, source, target in example.relations],
    }


# -- what is answered ------------------------------------------------------------------------------------

def describe(value) -> str:
    """A value as the error shows it, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "…")
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def integer(value, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(path, f"expected an integer, got {describe(value)}")
    return value


def text(value, path: str) -> str:
    if not isinstance(value, str):
        raise Invalid(path, f"expected a string, got {describe(value)}")
    return value


def score(value, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(path, f"expected a number, got {describe(value)}")
    if not 0 <= value <= 1:
        raise Invalid(path, f"a score is from 0 to 1, got {value!r}")
    return float(value)


def items(container: dict, key: str, path: str) -> list:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"{path}.{key}", f"expected a list, got {describe(value)}")
    return value


def obj(value, path: str) -> dict:
    if not isinstance(value, dict):
        raise Invalid(path, f"expected an object, got {describe(value)}")
    return value


def index(value, path: str, spans: list[SpanGuess]) -> int:
    position = integer(value, path)
    if not 0 <= position < len(spans):
        raise Invalid(path, f"span index {position} is out of range: this result has {len(spans)} span(s)")
    return position


def entity_id(value, path: str, known: set[int]) -> int | None:
    if value is None:
        return None
    found = integer(value, path)
    if found not in known:
        raise Invalid(path, f"unknown entity {found}: not one of the project's sources")
    return found


def optional_version(value, path: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(path, f"expected a string, got {describe(value)}")
    return str(value)[:50]  # suggestions keep a version of up to 50 characters


def read_model_version(answer: dict) -> str | None:
    model = answer.get("model")
    if model is None:
        return None
    return optional_version(obj(model, "model").get("version"), "model.version")


def read_predictions(answer, batch: list[Document], project: ProjectView) -> list[Guesses]:
    """One Guesses per document of `batch`, in its order; Invalid at the first thing that is wrong."""
    answer = obj(answer, "")
    if answer.get("protocol", PROTOCOL) != PROTOCOL:
        raise Invalid("protocol", f"this side speaks {PROTOCOL}, the answer says {describe(answer['protocol'])}")
    if "results" not in answer:
        raise Invalid("results", "missing")
    documents = {document.id: document for document in batch}
    found: dict[int, Guesses] = {}
    for n, result in enumerate(items(answer, "results", "")):
        path = f"results[{n}]"
        result = obj(result, path)
        if "id" not in result:
            raise Invalid(f"{path}.id", "missing")
        doc_id = integer(result["id"], f"{path}.id")
        if doc_id not in documents:
            raise Invalid(f"{path}.id", f"document {doc_id} was not asked for")
        if doc_id in found:
            raise Invalid(f"{path}.id", f"a second result for document {doc_id}")
        found[doc_id] = read_result(result, path, documents[doc_id], project)
    missing = [str(document.id) for document in batch if document.id not in found]
    if missing:
        raise Invalid("results", f"no result for document {', '.join(missing)}")
    return [found[document.id] for document in batch]


def required(container: dict, key: str, path: str):
    if key not in container:
        raise Invalid(f"{path}.{key}", "missing")
    return container[key]


def read_result(result: dict, path: str, document: Document, project: ProjectView) -> Guesses:
    length = len(document.text)  # code points: what Python indexes, and what the protocol counts
    known = {entity.id for entity in project.entities}
    guesses = Guesses()
    for n, span in enumerate(items(result, "spans", path)):
        where = f"{path}.spans[{n}]"
        span = obj(span, where)
        label = text(required(span, "label", where), f"{where}.label")
        if label not in project.labels:
            raise Invalid(f"{where}.label", f"unknown label {label!r}; the project's labels are "
                                            f"{', '.join(sorted(project.labels))}")
        start = integer(required(span, "start", where), f"{where}.start")
        end = integer(required(span, "end", where), f"{where}.end")
        if not 0 <= start < end <= length:
            raise Invalid(where, f"offsets {start}:{end} are not within the text of document {document.id} "
                                 f"({length} code points; start < end, end exclusive)")
        attributes = span.get("attributes")
        if attributes is not None:
            obj(attributes, f"{where}.attributes")
        guesses.spans.append(SpanGuess(
            label=label, start=start, end=end, score=score(required(span, "score", where), f"{where}.score"),
            entity=entity_id(span.get("entity"), f"{where}.entity", known), attributes=attributes or {}))
    for n, relation in enumerate(items(result, "relations", path)):
        where = f"{path}.relations[{n}]"
        relation = obj(relation, where)
        type_ = text(required(relation, "type", where), f"{where}.type")
        if type_ not in project.relation_types:
            raise Invalid(f"{where}.type", f"unknown relation type {type_!r}; the project's are "
                                           f"{', '.join(sorted(project.relation_types)) or 'none'}")
        source = index(required(relation, "from", where), f"{where}.from", guesses.spans)
        target = index(required(relation, "to", where), f"{where}.to", guesses.spans)
        if source == target:
            raise Invalid(where, "a relation links two different spans")
        for end, position in (("from", source), ("to", target)):
            wanted = project.relation_types[type_][0 if end == "from" else 1]
            if wanted is not None and guesses.spans[position].label != wanted:
                raise Invalid(f"{where}.{end}", f"{type_} goes {end} a {wanted} span, not a "
                                                f"{guesses.spans[position].label}")
        guesses.relations.append(RelationGuess(type=type_, source=source, target=target,
                                               score=score(required(relation, "score", where), f"{where}.score")))
    for n, stance in enumerate(items(result, "stances", path)):
        where = f"{path}.stances[{n}]"
        guesses.stances.append(read_stance(obj(stance, where), where, project, guesses.spans, known))
    return guesses


def read_stance(stance: dict, where: str, project: ProjectView, spans: list[SpanGuess], known: set[int]) -> StanceGuess:
    target = text(required(stance, "target", where), f"{where}.target")
    if target not in project.targets:
        raise Invalid(f"{where}.target", f"unknown stance target {target!r}; the project's are "
                                         f"{', '.join(project.targets) or 'none'}")
    polarity = text(required(stance, "polarity", where), f"{where}.polarity")
    if polarity not in project.polarities:
        raise Invalid(f"{where}.polarity", f"unknown polarity {polarity!r}; the project's are "
                                           f"{', '.join(project.polarities) or 'none'}")
    holder = stance.get("holder")
    holder = None if holder is None else index(holder, f"{where}.holder", spans)
    holder_entity = entity_id(stance.get("holder_entity"), f"{where}.holder_entity", known)
    if holder is None and holder_entity is None:
        raise Invalid(where, "a stance needs a holder (span index) or a holder_entity")
    evidence = tuple(index(value, f"{where}.evidence[{n}]", spans)
                     for n, value in enumerate(items(stance, "evidence", where)))
    explicit = stance.get("explicit", True)
    if not isinstance(explicit, bool):
        raise Invalid(f"{where}.explicit", f"expected true or false, got {describe(explicit)}")
    confidence = score(required(stance, "score", where), f"{where}.score")
    return StanceGuess(target=target, polarity=polarity, score=confidence, holder=holder, holder_entity=holder_entity,
                       evidence=evidence, explicit=explicit)
