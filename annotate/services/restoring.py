"""Restoring a layer to an earlier version by undoing the later events in reverse order.

A restore is itself recorded as ordinary events (the inverse changes), so it
can be undone like anything else.
"""
from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Annotation, AnnotationEvent, Relation, Span, Stance
from . import article_labels, figures
from .history import FIXED, MISSING, STORED, column, deleted_span_state, record
from .locking import bump, lock_layer

# Undoing ------------------------------------------------------------------------------


def _create(model, annotation_id: int, state: dict):
    """Re-create an item as its state recorded it, with its id (events after it refer to that id)."""
    values = {column(model, name): state.get(name, MISSING.get(name)) for name in STORED[model]}
    return model.objects.create(pk=state["id"], annotation_id=annotation_id, **values)


def _set(model, state: dict) -> None:
    model.objects.filter(pk=state["id"]).update(
        **{column(model, name): state.get(name, MISSING.get(name)) for name in STORED[model] if name not in FIXED})


def _create_stance(annotation_id, state):
    _create(Stance, annotation_id, state).evidence.set(Span.objects.filter(pk__in=state["evidence"]))


def _set_stance(state):
    _set(Stance, state)
    Stance.objects.get(pk=state["id"]).evidence.set(Span.objects.filter(pk__in=state["evidence"]))


# Relations and stances are undone alike: (model, re-create from a state, set back to a state).
# Spans differ: deleting one takes its relations and held stances along, and re-creating it brings them back.
LINKED = {
    "relation": (Relation, lambda layer, state: _create(Relation, layer, state), lambda state: _set(Relation, state)),
    "stance": (Stance, _create_stance, _set_stance),
}


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
        _set(Span, before)
        record(annotation, "span.update", actor=actor, before=after, after=before)
    elif kind == "span" and verb == "delete":
        _create(Span, layer, before["span"])
        for state in before["relations"]:
            _create(Relation, layer, state)
        for state in before["stances"]:
            _create_stance(layer, state)
        for stance in Stance.objects.filter(pk__in=before["evidence_of"]):
            stance.evidence.add(before["span"]["id"])
        record(annotation, "span.add", actor=actor, after=before["span"])
    elif kind in LINKED:
        model, create, set_back = LINKED[kind]
        if verb == "add":
            model.objects.filter(pk=after["id"]).delete()
            record(annotation, f"{kind}.delete", actor=actor, before=after)
        elif verb == "update":
            set_back(before)
            record(annotation, f"{kind}.update", actor=actor, before=after, after=before)
        elif verb == "delete":
            create(layer, before)
            record(annotation, f"{kind}.add", actor=actor, after=before)
    elif event.action == article_labels.ACTION:
        article_labels.set_back(annotation, event, actor)
    elif kind == "status":
        Annotation.objects.filter(pk=layer).update(status=before["status"])
        annotation.status = before["status"]
        record(annotation, "status.restore", actor=actor, before=after, after=before)
    # Other events (gold.start, import markers, restore markers) change nothing that needs undoing.


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
    if any(event.action == "article.reanchor" for event in later):
        # Its spans' earlier offsets point into the article's earlier text (services/reanchoring/reverting.py).
        raise ValidationError({"version": "the article's text was corrected since: revert the correction (the "
                                          "article's corrections in the admin) to go back past it."})
    bump(annotation)
    for event in later:
        _undo(annotation, event, actor)
    record(annotation, "restore", actor=actor, after={"to_version": version})
    annotation.refresh_from_db()
    figures.refresh([annotation.article_id])
    return annotation
