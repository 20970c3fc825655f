"""Recording every change to a layer: the items it touched as they were before and after.

Events carry database ids and client ids, so an earlier state can be rebuilt
by undoing the later events in reverse order (services/restoring.py).
Writers that change items in ways of their own (admin forms, whose cascades
and inlines touch several items at once) take a snapshot of the layer before
and after and record the difference (`record_changes`), in the same
vocabulary of events.
"""
from ..models import Annotation, AnnotationEvent, Relation, Span, Stance

# What an item's event state holds besides its id: its stored fields, by model field name (a foreign key
# as its id). A restore writes them back: all of them when it re-creates an item, the changeable ones
# when it undoes a change (an item's client id and provenance never change after it is made).
STORED = {
    Span: ("label", "start", "end", "fragments", "text", "entity", "attributes", "needs_review", "provenance",
           "client_id"),
    Relation: ("type", "from_span", "to_span", "provenance", "client_id"),
    Stance: ("holder_span", "holder_entity", "target", "polarity", "explicit", "provenance", "client_id"),
}
FIXED = {"provenance", "client_id"}
# States recorded before a field existed lack it: what such an item had.
# (Spans before discontinuous spans and re-anchoring were one-piece, NULL fragments, and not flagged.)
MISSING = {"provenance": [], "client_id": None, "fragments": None, "needs_review": False}


def column(model, name: str) -> str:
    """The attribute a stored field is read and written by ("label" -> "label_id")."""
    return model._meta.get_field(name).attname


def stored_state(item) -> dict:
    model = type(item)
    state = {"id": item.pk}
    for name in STORED[model]:
        value = getattr(item, column(model, name))
        state[name] = str(value) if name == "client_id" and value is not None else value
    return state


def span_state(span: Span) -> dict:
    return stored_state(span)


def relation_state(relation: Relation) -> dict:
    return stored_state(relation)


def stance_state(stance: Stance, evidence: list[int] | None = None) -> dict:
    """A stance's state includes its evidence spans (their ids), which a restore sets back too."""
    if evidence is None:
        evidence = stance.evidence.values_list("pk", flat=True)
    return {**stored_state(stance), "evidence": sorted(evidence)}


def deleted_span_state(span: Span) -> dict:
    """A span with everything its deletion takes along (relations, stances it holds, evidence links)."""
    relations = Relation.objects.filter(annotation_id=span.annotation_id).filter(from_span=span) | \
        Relation.objects.filter(annotation_id=span.annotation_id, to_span=span)
    return {
        "span": span_state(span),
        "relations": [relation_state(r) for r in relations],
        "stances": [stance_state(s) for s in Stance.objects.filter(holder_span=span)],
        "evidence_of": sorted(span.evidence_for.exclude(holder_span=span).values_list("pk", flat=True)),
    }


def record(annotation: Annotation, action: str, *, actor=None, before=None, after=None) -> AnnotationEvent:
    return AnnotationEvent.objects.create(annotation_id=annotation.pk, actor=actor if _is_user(actor) else None,
                                          action=action, version=annotation.version, before=before, after=after)


def _is_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)




# Snapshots and their difference --------------------------------------------------------


def layer_state(annotation_id: int) -> dict[str, dict[int, dict]]:
    """Every item of one layer as its event state, by kind and id (four queries)."""
    evidence: dict[int, list[int]] = {}
    for stance_id, span_id in Stance.evidence.through.objects.filter(
            stance__annotation_id=annotation_id).values_list("stance_id", "span_id"):
        evidence.setdefault(stance_id, []).append(span_id)
    return {
        "span": {s.pk: span_state(s) for s in Span.objects.filter(annotation_id=annotation_id)},
        "relation": {r.pk: relation_state(r) for r in Relation.objects.filter(annotation_id=annotation_id)},
        "stance": {s.pk: stance_state(s, evidence.get(s.pk, []))
                   for s in Stance.objects.filter(annotation_id=annotation_id)},
    }


def record_changes(annotation: Annotation, before: dict, after: dict, *, actor=None) -> int:
    """Record the difference between two snapshots of a layer as item events; how many.

    The order makes undoing them in reverse correct: spans appear first and disappear last, so that
    whatever refers to a span is recreated after it and removed before it.
    """
    events = []

    def changes(kind):
        old, new = before[kind], after[kind]
        added = [new[pk] for pk in new.keys() - old.keys()]
        changed = [(old[pk], new[pk]) for pk in old.keys() & new.keys() if old[pk] != new[pk]]
        removed = [old[pk] for pk in old.keys() - new.keys()]
        return sorted(added, key=_by_id), sorted(changed, key=lambda pair: pair[0]["id"]), sorted(removed, key=_by_id)

    spans, relations, stances = changes("span"), changes("relation"), changes("stance")
    events += [("span.add", None, state) for state in spans[0]]
    events += [("span.update", old, new) for old, new in spans[1]]
    for kind, (added, changed, _) in (("relation", relations), ("stance", stances)):
        events += [(f"{kind}.add", None, state) for state in added]
        events += [(f"{kind}.update", old, new) for old, new in changed]
    for kind, (_, _, removed) in (("relation", relations), ("stance", stances)):
        events += [(f"{kind}.delete", state, None) for state in removed]
    # A deleted span's own event carries nothing else: its relations and stances have events above.
    events += [("span.delete", {"span": state, "relations": [], "stances": [], "evidence_of": []}, None)
               for state in spans[2]]
    for action, old, new in events:
        record(annotation, action, actor=actor, before=old, after=new)
    return len(events)


def _by_id(state: dict) -> int:
    return state["id"]
