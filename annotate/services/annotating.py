"""Writing annotation layers: spans, relations, stances, submit and skip.

Every write goes through here, whatever door it came in by (API, UI, admin):
the layer is locked, its version checked against the one the writer read,
the change validated with the model rules, and the version bumped. Two tabs
editing one layer therefore never overwrite each other silently: the second
write carries a stale version and is refused with StaleVersion.
"""
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import Annotation, AnnotationEvent, Assignment, Entity, Label, Polarity, Relation, RelationType, Span, Stance, StanceTarget
from ..validation import check_span_offsets
from .history import deleted_span_state, record, relation_state, span_state, stance_state


class StaleVersion(Exception):
    """The writer edited an older version of the layer than the one stored."""

    def __init__(self, expected: int, current: int):
        self.expected, self.current = expected, current
        super().__init__(
            f"This layer changed since you loaded it (you have version {expected}, it is at {current}). "
            "Reload to see the other change, then redo yours."
        )


EDITABLE = {Annotation.Status.IN_PROGRESS, Annotation.Status.RETURNED}


def lock_layer(annotation: Annotation, expected_version) -> Annotation:
    """Lock the layer row for this transaction and check the writer's version.

    The lock makes check-then-write atomic on PostgreSQL (on SQLite the
    IMMEDIATE transaction already serialises writers).
    """
    if expected_version is None:
        raise ValidationError({"version": "required: send the layer version you edited (If-Match or version)."})
    locked = Annotation.objects.select_for_update().get(pk=annotation.pk)
    if int(expected_version) != locked.version:
        raise StaleVersion(int(expected_version), locked.version)
    if not locked.is_gold and locked.status not in EDITABLE:
        raise ValidationError({"status": f"the layer is {locked.status}; it can no longer be edited."})
    # Keep the caller's related objects (article, project) without another query.
    annotation.version, annotation.status = locked.version, locked.status
    return annotation


def bump_versions(annotation_ids, *, action: str | None = None, actor=None, detail=None) -> None:
    """Mark layers changed by a write that did not come through this module (admin edits, merges):
    editors holding the old version must reload. With `action`, the change goes into each layer's history."""
    Annotation.objects.filter(pk__in=annotation_ids).update(version=F("version") + 1, updated_at=timezone.now())
    if action:
        AnnotationEvent.objects.bulk_create([
            AnnotationEvent(annotation_id=pk, version=version, action=action, after=detail,
                            actor=actor if getattr(actor, "is_authenticated", False) else None)
            for pk, version in Annotation.objects.filter(pk__in=annotation_ids).values_list("pk", "version")
        ])


def _bump(annotation: Annotation) -> None:
    bump_versions([annotation.pk])
    annotation.version += 1


def _project_item(model, project_id: int, value, field: str):
    """A vocabulary item of the project, given by name or by instance."""
    if isinstance(value, model):
        item = value
    else:
        item = model.objects.filter(project_id=project_id, name=value).first()
        if item is None:
            raise ValidationError({field: f"{value!r} is not a {model._meta.verbose_name} of this project."})
    if item.project_id != project_id:
        raise ValidationError({field: f"{item.name!r} belongs to another project."})
    return item


def _span_of(annotation: Annotation, value, field: str) -> Span:
    span = value if isinstance(value, Span) else Span.objects.filter(pk=value).first()
    if span is None or span.annotation_id != annotation.pk:
        raise ValidationError({field: f"{value!r} is not a span of this annotation."})
    return span


def _entity_of(annotation: Annotation, value, field: str) -> Entity | None:
    if value is None:
        return None
    entity = value if isinstance(value, Entity) else Entity.objects.filter(pk=value).first()
    if entity is None or entity.project_id != annotation.article.project_id:
        raise ValidationError({field: f"{value!r} is not a source of this project."})
    return entity


# Layers ---------------------------------------------------------------------------


@transaction.atomic
def open_layer(*, assignment: Assignment) -> Annotation:
    """The annotator's layer on the assigned article, created on first opening."""
    annotation, _ = Annotation.objects.get_or_create(
        article_id=assignment.article_id, annotator_id=assignment.annotator_id, is_gold=False
    )
    if assignment.status == Assignment.Status.ASSIGNED:
        assignment.status, assignment.started_at = Assignment.Status.IN_PROGRESS, timezone.now()
        assignment.save(update_fields=["status", "started_at", "updated_at"])
    return annotation


@transaction.atomic
def submit(*, annotation: Annotation, expected_version, actor=None) -> Annotation:
    lock_layer(annotation, expected_version)
    if annotation.is_gold:
        raise ValidationError({"status": "the gold layer is adjudicated, not submitted."})
    before = annotation.status
    now = timezone.now()
    Annotation.objects.filter(pk=annotation.pk).update(
        status=Annotation.Status.SUBMITTED, submitted_at=now, version=F("version") + 1, updated_at=now
    )
    Assignment.objects.filter(article_id=annotation.article_id, annotator_id=annotation.annotator_id).update(
        status=Assignment.Status.SUBMITTED, finished_at=now, updated_at=now
    )
    annotation.refresh_from_db()
    record(annotation, "status.submit", actor=actor, before={"status": before}, after={"status": annotation.status})
    return annotation


@transaction.atomic
def skip(*, assignment: Assignment, reason: str) -> Assignment:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "say why you skip this article."})
    if assignment.status == Assignment.Status.SUBMITTED:
        raise ValidationError({"status": "this article is already submitted."})
    assignment.status, assignment.skip_reason, assignment.finished_at = (
        Assignment.Status.SKIPPED, reason, timezone.now())
    assignment.save(update_fields=["status", "skip_reason", "finished_at", "updated_at"])
    return assignment


# Spans ----------------------------------------------------------------------------


@transaction.atomic
def add_span(*, annotation: Annotation, expected_version, label, start, end, text=None, entity=None,
             attributes=None, actor=None) -> Span:
    lock_layer(annotation, expected_version)
    if Span.objects.filter(annotation=annotation).count() >= settings.MAX_SPANS_PER_ANNOTATION:
        raise ValidationError({"label": f"this layer has reached the limit of {settings.MAX_SPANS_PER_ANNOTATION} spans."})
    article = annotation.article
    span = Span(
        annotation=annotation,
        label=_project_item(Label, article.project_id, label, "label"),
        start=start,
        end=end,
        entity=_entity_of(annotation, entity, "entity"),
        attributes=attributes or {},
    )
    check_span_offsets(article.text, start, end, text)
    span.text = article.text[start:end]
    span.full_clean(exclude=["annotation"])
    span.save()
    _bump(annotation)
    record(annotation, "span.add", actor=actor, after=span_state(span))
    return span


SPAN_FIELDS = {"label", "start", "end", "text", "entity", "attributes"}


@transaction.atomic
def update_span(*, span: Span, expected_version, actor=None, **changes) -> Span:
    unknown = set(changes) - SPAN_FIELDS
    if unknown:
        raise ValidationError({name: "cannot be changed here." for name in unknown})
    annotation = lock_layer(span.annotation, expected_version)
    before = span_state(span)
    article = annotation.article
    if "label" in changes:
        span.label = _project_item(Label, article.project_id, changes["label"], "label")
    if "entity" in changes:
        span.entity = _entity_of(annotation, changes["entity"], "entity")
    if "attributes" in changes:
        span.attributes = changes["attributes"] or {}
    start, end = changes.get("start", span.start), changes.get("end", span.end)
    if "start" in changes or "end" in changes:
        check_span_offsets(article.text, start, end, changes.get("text"))
        span.start, span.end, span.text = start, end, article.text[start:end]
    span.full_clean(exclude=["annotation"])
    span.save()
    _check_relation_ends(span)
    _bump(annotation)
    record(annotation, "span.update", actor=actor, before=before, after=span_state(span))
    return span


def _check_relation_ends(span: Span) -> None:
    """A relabelled span must still fit the relations it takes part in (ATTRIBUTED_TO needs a QUOTE...)."""
    relations = Relation.objects.filter(Q(from_span=span) | Q(to_span=span)).select_related(
        "type", "from_span", "to_span")
    for relation in relations:
        relation.annotation = span.annotation
        if relation.from_span_id == span.pk:
            relation.from_span = span
        if relation.to_span_id == span.pk:
            relation.to_span = span
        relation.clean()


@transaction.atomic
def delete_span(*, span: Span, expected_version, actor=None) -> None:
    """Deleting a span deletes its relations and the stances it holds (they mean nothing without it)."""
    annotation = lock_layer(span.annotation, expected_version)
    gone = deleted_span_state(span)
    span.delete()
    _bump(annotation)
    record(annotation, "span.delete", actor=actor, before=gone)


# Relations ------------------------------------------------------------------------


@transaction.atomic
def add_relation(*, annotation: Annotation, expected_version, type, from_span, to_span, actor=None) -> Relation:
    lock_layer(annotation, expected_version)
    relation = Relation(
        annotation=annotation,
        type=_project_item(RelationType, annotation.article.project_id, type, "type"),
        from_span=_span_of(annotation, from_span, "from_span"),
        to_span=_span_of(annotation, to_span, "to_span"),
    )
    relation.clean()
    if Relation.objects.filter(type=relation.type, from_span=relation.from_span, to_span=relation.to_span).exists():
        raise ValidationError({"to_span": "this relation exists already."})
    relation.save()
    _bump(annotation)
    record(annotation, "relation.add", actor=actor, after=relation_state(relation))
    return relation


@transaction.atomic
def update_relation(*, relation: Relation, expected_version, actor=None, **changes) -> Relation:
    unknown = set(changes) - {"type", "from_span", "to_span"}
    if unknown:
        raise ValidationError({name: "cannot be changed here." for name in unknown})
    annotation = lock_layer(relation.annotation, expected_version)
    before = relation_state(relation)
    if "type" in changes:
        relation.type = _project_item(RelationType, annotation.article.project_id, changes["type"], "type")
    for end in ("from_span", "to_span"):
        if end in changes:
            setattr(relation, end, _span_of(annotation, changes[end], end))
    relation.clean()
    duplicate = Relation.objects.filter(type=relation.type, from_span=relation.from_span, to_span=relation.to_span)
    if duplicate.exclude(pk=relation.pk).exists():
        raise ValidationError({"to_span": "this relation exists already."})
    relation.save()
    _bump(annotation)
    record(annotation, "relation.update", actor=actor, before=before, after=relation_state(relation))
    return relation


@transaction.atomic
def delete_relation(*, relation: Relation, expected_version, actor=None) -> None:
    annotation = lock_layer(relation.annotation, expected_version)
    gone = relation_state(relation)
    relation.delete()
    _bump(annotation)
    record(annotation, "relation.delete", actor=actor, before=gone)


# Stances --------------------------------------------------------------------------

STANCE_FIELDS = {"holder_span", "holder_entity", "target", "polarity", "explicit", "evidence"}


def _apply_stance(stance: Stance, annotation: Annotation, changes: dict) -> list[Span] | None:
    project_id = annotation.article.project_id
    if "holder_span" in changes:
        value = changes["holder_span"]
        stance.holder_span = None if value is None else _span_of(annotation, value, "holder_span")
    if "holder_entity" in changes:
        stance.holder_entity = _entity_of(annotation, changes["holder_entity"], "holder_entity")
    if "target" in changes:
        stance.target = _project_item(StanceTarget, project_id, changes["target"], "target")
    if "polarity" in changes:
        stance.polarity = _project_item(Polarity, project_id, changes["polarity"], "polarity")
    if "explicit" in changes:
        stance.explicit = bool(changes["explicit"])
    evidence = None
    if "evidence" in changes:
        evidence = [_span_of(annotation, value, "evidence") for value in changes["evidence"] or []]
    stance.clean()
    return evidence


@transaction.atomic
def add_stance(*, annotation: Annotation, expected_version, target, polarity, holder_span=None, holder_entity=None,
               explicit=True, evidence: Iterable = (), actor=None) -> Stance:
    lock_layer(annotation, expected_version)
    stance = Stance(annotation=annotation)
    spans = _apply_stance(stance, annotation, {
        "holder_span": holder_span, "holder_entity": holder_entity, "target": target, "polarity": polarity,
        "explicit": explicit, "evidence": list(evidence)})
    stance.save()
    stance.evidence.set(spans)
    _bump(annotation)
    record(annotation, "stance.add", actor=actor, after=stance_state(stance))
    return stance


@transaction.atomic
def update_stance(*, stance: Stance, expected_version, actor=None, **changes) -> Stance:
    unknown = set(changes) - STANCE_FIELDS
    if unknown:
        raise ValidationError({name: "cannot be changed here." for name in unknown})
    annotation = lock_layer(stance.annotation, expected_version)
    before = stance_state(stance)
    spans = _apply_stance(stance, annotation, changes)
    stance.save()
    if spans is not None:
        stance.evidence.set(spans)
    _bump(annotation)
    record(annotation, "stance.update", actor=actor, before=before, after=stance_state(stance))
    return stance


@transaction.atomic
def delete_stance(*, stance: Stance, expected_version, actor=None) -> None:
    annotation = lock_layer(stance.annotation, expected_version)
    gone = stance_state(stance)
    stance.delete()
    _bump(annotation)
    record(annotation, "stance.delete", actor=actor, before=gone)
