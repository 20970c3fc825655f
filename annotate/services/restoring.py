"""Restoring a layer to an earlier version by undoing the later events in reverse order.

A restore is itself recorded as ordinary events (the inverse changes), so it
can be undone like anything else.
"""
from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Annotation, AnnotationEvent, Relation, Span, Stance
from .history import deleted_span_state, record
from .locking import bump, lock_layer


# Undoing ------------------------------------------------------------------------------


def _create_span(annotation_id, state):
    Span.objects.create(pk=state["id"], annotation_id=annotation_id, label_id=state["label"], start=state["start"],
                        end=state["end"], text=state["text"], entity_id=state["entity"],
                        attributes=state["attributes"], provenance=state.get("provenance", []),
                        client_id=state.get("client_id"))


def _set_span(state):
    Span.objects.filter(pk=state["id"]).update(label_id=state["label"], start=state["start"], end=state["end"],
                                               text=state["text"], entity_id=state["entity"],
                                               attributes=state["attributes"])


def _create_relation(annotation_id, state):
    Relation.objects.create(pk=state["id"], annotation_id=annotation_id, type_id=state["type"],
                            from_span_id=state["from_span"], to_span_id=state["to_span"],
                            provenance=state.get("provenance", []), client_id=state.get("client_id"))


def _set_relation(state):
    Relation.objects.filter(pk=state["id"]).update(type_id=state["type"], from_span_id=state["from_span"],
                                                   to_span_id=state["to_span"])


def _create_stance(annotation_id, state):
    stance = Stance.objects.create(pk=state["id"], annotation_id=annotation_id, holder_span_id=state["holder_span"],
                                   holder_entity_id=state["holder_entity"], target_id=state["target"],
                                   polarity_id=state["polarity"], explicit=state["explicit"],
                                   provenance=state.get("provenance", []), client_id=state.get("client_id"))
    stance.evidence.set(Span.objects.filter(pk__in=state["evidence"]))


def _set_stance(state):
    Stance.objects.filter(pk=state["id"]).update(holder_span_id=state["holder_span"],
                                                 holder_entity_id=state["holder_entity"], target_id=state["target"],
                                                 polarity_id=state["polarity"], explicit=state["explicit"])
    Stance.objects.get(pk=state["id"]).evidence.set(Span.objects.filter(pk__in=state["evidence"]))


def _undo(annotation: Annotation, event: AnnotationEvent, actor) -> None:
    """Apply the inverse of one event and record that inverse as an event of its own."""
    kind, _, verb = event.action.partition(".")
    before, after, layer = event.before, event.after, annotation.pk
    if kind == "span" and verb == "add":
        span = Span.objects.filter(pk=after["id"]).first()
        if span is not None:
            gone = deleted_span_state(span)
            span.delete()
            record(annotation, "span.delete", actor=actor, before=gone)
    elif kind == "span" and verb == "update":
        _set_span(before)
        record(annotation, "span.update", actor=actor, before=after, after=before)
    elif kind == "span" and verb == "delete":
        _create_span(layer, before["span"])
        for state in before["relations"]:
            _create_relation(layer, state)
        for state in before["stances"]:
            _create_stance(layer, state)
        for stance in Stance.objects.filter(pk__in=before["evidence_of"]):
            stance.evidence.add(before["span"]["id"])
        record(annotation, "span.add", actor=actor, after=before["span"])
    elif kind == "relation" and verb == "add":
        Relation.objects.filter(pk=after["id"]).delete()
        record(annotation, "relation.delete", actor=actor, before=after)
    elif kind == "relation" and verb == "update":
        _set_relation(before)
        record(annotation, "relation.update", actor=actor, before=after, after=before)
    elif kind == "relation" and verb == "delete":
        _create_relation(layer, before)
        record(annotation, "relation.add", actor=actor, after=before)
    elif kind == "stance" and verb == "add":
        Stance.objects.filter(pk=after["id"]).delete()
        record(annotation, "stance.delete", actor=actor, before=after)
    elif kind == "stance" and verb == "update":
        _set_stance(before)
        record(annotation, "stance.update", actor=actor, before=after, after=before)
    elif kind == "stance" and verb == "delete":
        _create_stance(layer, before)
        record(annotation, "stance.add", actor=actor, after=before)
    elif kind == "status":
        Annotation.objects.filter(pk=layer).update(status=before["status"])
        annotation.status = before["status"]
        record(annotation, "status.restore", actor=actor, before=after, after=before)
    # Other events (gold.start, restore markers) change nothing that needs undoing.


@transaction.atomic
def restore(*, annotation: Annotation, version: int, expected_version, actor=None) -> Annotation:
    """Bring the layer back to how it was at `version`; recorded, and itself undoable.

    Managers may restore a layer in any status (a submitted one included): the status comes back too.
    """
    lock_layer(annotation, expected_version, any_status=True)
    if not 1 <= version < annotation.version:
        raise ValidationError({"version": f"choose a version between 1 and {annotation.version - 1}."})
    later = list(AnnotationEvent.objects.filter(annotation=annotation, version__gt=version).order_by("-version", "-id"))
    if any(event.action == "entity.merge" for event in later):
        raise ValidationError({"version": "a source merge happened since; merged sources cannot be split again."})
    bump(annotation)
    for event in later:
        _undo(annotation, event, actor)
    record(annotation, "restore", actor=actor, after={"to_version": version})
    annotation.refresh_from_db()
    return annotation
