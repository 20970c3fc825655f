"""Writing annotation layers: spans, relations, stances, submit and skip.

Every write goes through here, whatever door it came in by (API, UI, admin):
the layer is locked and its version checked (services/locking.py), the change
validated with the model rules, recorded in the history and the version
bumped.

Retries apply once. A create carries the client's id for the new item
(`client_id`); repeated, it finds the item already made and answers with it,
whatever version the retry carries. Deleting an item the layer's history
shows deleted, and changing an item to what it already is, are no-ops too.
Such a replay writes nothing; the item comes back with `replayed = True`, and
`annotation.version` is the version the client continues from
(locking.replay_version).
"""
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .. import webhooks
from ..models import (
    Annotation,
    AnnotationEvent,
    Assignment,
    Entity,
    Label,
    Polarity,
    Project,
    Relation,
    RelationType,
    Span,
    Stance,
    StanceTarget,
)
from ..validation import check_span_shape, fragment_text, stored_fragments
from . import article_labels, figures
from .assignments import refresh_needs_annotators
from .history import deleted_span_state, record, relation_state, span_state, stance_state

# EDITABLE, StaleVersion, bump_versions and lock_layer are the lock's; callers may find them here too.
from .locking import EDITABLE, StaleVersion, bump, bump_versions, check_layer, hold_layer, lock_layer, replay_version  # noqa: F401 - re-exported


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


# Replays ---------------------------------------------------------------------------

KIND = {Span: "span", Relation: "relation", Stance: "stance"}


def _applied_at(annotation: Annotation, actions: list[str], item: Q) -> int | None:
    """The version recorded by the layer's latest event of `actions` about one item (one layer's events)."""
    return (AnnotationEvent.objects.filter(annotation_id=annotation.pk, action__in=actions).filter(item)
            .order_by("-version", "-id").values_list("version", flat=True).first())


def _replayed(item, annotation: Annotation, expected_version, applied_at: int | None):
    annotation.version = replay_version(annotation, expected_version, applied_at)
    item.replayed = True
    return item


def _made_before(model, annotation: Annotation, client_id, expected_version):
    """The live item a retried create made already, answered as a replay; None for a new create."""
    if client_id is None:
        return None
    item = model.objects.filter(annotation_id=annotation.pk, client_id=client_id).first()
    if item is None:
        return None
    kind = KIND[model]
    applied_at = _applied_at(annotation, [f"{kind}.add"], Q(after__client_id=str(item.client_id)))
    return _replayed(item, annotation, expected_version, applied_at)


def _changed_before(item, annotation: Annotation, expected_version):
    """An item a retried change finds as the change left it, answered as a replay."""
    kind = KIND[type(item)]
    applied_at = _applied_at(annotation, [f"{kind}.add", f"{kind}.update"], Q(after__id=item.pk))
    return _replayed(item, annotation, expected_version, applied_at)


@transaction.atomic
def deleted_before(*, annotation: Annotation, model, item_id: int, expected_version) -> int | None:
    """For a delete of an item that is not there: if the layer's history shows it deleted, the delete is a
    replay and this is the version to answer with; None if the layer never had it (a 404)."""
    kind = KIND[model]
    hold_layer(annotation)
    where = Q(before__span__id=item_id) if model is Span else Q(before__id=item_id)
    applied_at = _applied_at(annotation, [f"{kind}.delete"], where)
    if applied_at is None:
        return None
    return replay_version(annotation, expected_version, applied_at)


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


def stances_without_evidence(annotation: Annotation) -> list[int]:
    return list(Stance.objects.filter(annotation_id=annotation.pk, evidence__isnull=True)
                .order_by("pk").values_list("pk", flat=True))


def check_evidence_rule(annotation: Annotation, *, confirmed: bool) -> None:
    """The project's rule for stances without evidence (Project.stance_evidence), applied at submit."""
    missing = stances_without_evidence(annotation)
    if not missing:
        return
    what = (f"{len(missing)} stance{'s' if len(missing) > 1 else ''} without evidence "
            f"(id {', '.join(map(str, missing))})")
    rule = annotation.article.project.stance_evidence
    if rule == Project.Evidence.REQUIRED:
        raise ValidationError({"evidence": f"{what}: this project requires evidence spans for every stance."})
    if not confirmed:
        raise ValidationError({"evidence": f"{what}: add evidence, or confirm that you submit without it "
                                           "(send confirm_missing_evidence: true)."})


@transaction.atomic
def submit(
    *, annotation: Annotation, expected_version, actor=None, confirm_missing_evidence: bool = False
) -> Annotation:
    lock_layer(annotation, expected_version)
    if annotation.is_gold:
        raise ValidationError({"status": "the gold layer is adjudicated, not submitted."})
    check_evidence_rule(annotation, confirmed=confirm_missing_evidence)
    article_labels.check_required(annotation)
    before = annotation.status
    now = timezone.now()
    Annotation.objects.filter(pk=annotation.pk).update(
        status=Annotation.Status.SUBMITTED, submitted_at=now, version=F("version") + 1, updated_at=now
    )
    assignments = Assignment.objects.filter(article_id=annotation.article_id, annotator_id=annotation.annotator_id)
    took_a_slot_back = assignments.filter(status=Assignment.Status.SKIPPED).exists()
    assignments.update(status=Assignment.Status.SUBMITTED, finished_at=now, updated_at=now)
    if took_a_slot_back:  # a skipped assignment submitted counts again: the article may be full now
        refresh_needs_annotators([annotation.article_id])
    annotation.refresh_from_db()
    record(annotation, "status.submit", actor=actor, before={"status": before}, after={"status": annotation.status})
    figures.refresh([annotation.article_id])
    webhooks.emit(annotation.article.project_id, "layer.submitted", webhooks.layer_data(annotation))
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
    refresh_needs_annotators([assignment.article_id])  # the slot is free for someone else
    return assignment


# Spans ----------------------------------------------------------------------------


@transaction.atomic
def add_span(*, annotation: Annotation, expected_version, label, start=None, end=None, fragments=None, text=None,
             entity=None, attributes=None, client_id=None, provenance=None, actor=None) -> Span:
    """A span by start/end, or by its fragments (a discontinuous span; start/end, if given too, must be
    their outer bounds)."""
    held = hold_layer(annotation)
    if (made := _made_before(Span, annotation, client_id, expected_version)) is not None:
        return made
    check_layer(annotation, held, expected_version)
    if Span.objects.filter(annotation=annotation).count() >= settings.MAX_SPANS_PER_ANNOTATION:
        raise ValidationError(
            {"label": f"this layer has reached the limit of {settings.MAX_SPANS_PER_ANNOTATION} spans."}
        )
    article = annotation.article
    pieces = check_span_shape(article.text, start, end, fragments, text)
    span = Span(
        annotation=annotation,
        label=_project_item(Label, article.project_id, label, "label"),
        start=pieces[0][0],
        end=pieces[-1][1],
        fragments=stored_fragments(pieces),
        text=fragment_text(article.text, pieces),
        entity=_entity_of(annotation, entity, "entity"),
        attributes=attributes or {},
        provenance=provenance or [],
        client_id=client_id or uuid.uuid4(),
    )
    span.full_clean(exclude=["annotation"])
    span.save()
    bump(annotation)
    record(annotation, "span.add", actor=actor, after=span_state(span))
    return span


SPAN_FIELDS = {"label", "start", "end", "fragments", "text", "entity", "attributes", "needs_review"}


def _span_holds(span: Span, changes: dict) -> bool:
    """Whether the span already is what `changes` would make it."""
    now = {"label": span.label.name, "start": span.start, "end": span.end, "text": span.text,
           "entity": span.entity_id, "attributes": span.attributes, "fragments": [list(p) for p in span.pieces],
           "needs_review": span.needs_review}
    wanted = dict(changes)
    if wanted.get("fragments") is not None:
        wanted["fragments"] = [list(piece) for piece in wanted["fragments"]]
    if isinstance(wanted.get("label"), Label):
        wanted["label"] = wanted["label"].name
    if isinstance(wanted.get("entity"), Entity):
        wanted["entity"] = wanted["entity"].pk
    if "attributes" in wanted:
        wanted["attributes"] = wanted["attributes"] or {}
    return all(now[name] == value for name, value in wanted.items())


@transaction.atomic
def update_span(*, span: Span, expected_version, actor=None, **changes) -> Span:
    unknown = set(changes) - SPAN_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "cannot be changed here."))
    held = hold_layer(span.annotation)
    if _span_holds(span, changes):
        return _changed_before(span, span.annotation, expected_version)
    annotation = check_layer(span.annotation, held, expected_version)
    before = span_state(span)
    article = annotation.article
    if "label" in changes:
        span.label = _project_item(Label, article.project_id, changes["label"], "label")
    if "entity" in changes:
        span.entity = _entity_of(annotation, changes["entity"], "entity")
    if "attributes" in changes:
        span.attributes = changes["attributes"] or {}
    if changes.keys() & {"start", "end", "fragments"}:
        pieces = check_span_shape(article.text, changes.get("start"), changes.get("end"),
                                  _new_fragments(span, changes), changes.get("text"))
        span.start, span.end, span.text = pieces[0][0], pieces[-1][1], fragment_text(article.text, pieces)
        span.fragments = stored_fragments(pieces)
        span.needs_review = False  # placed anew by someone who saw the corrected text: no longer flagged
    _confirm_flagged(span, article.text, changes)
    span.full_clean(exclude=["annotation"])
    span.save()
    _check_relation_ends(span)
    bump(annotation)
    record(annotation, "span.update", actor=actor, before=before, after=span_state(span))
    return span


def _confirm_flagged(span: Span, text: str, changes: dict) -> None:
    """A span flagged by re-anchoring (services/reanchoring) is confirmed where it is only when the article has its
    snapshot there; otherwise its offsets must be sent, which take the text the article has there. Flagging one
    by hand (true) is allowed: a reviewer's doubt, or the undo of a confirmation."""
    if "needs_review" not in changes:
        return
    if changes["needs_review"]:
        span.needs_review = True
        return
    if span.needs_review and fragment_text(text, span.pieces) != span.text:
        raise ValidationError({"needs_review": f"the article's text at the span's offsets is "
                                               f"{fragment_text(text, span.pieces)!r}, not its snapshot {span.text!r}: "
                                               "send its offsets (start/end or fragments) to confirm it there."})
    span.needs_review = False


def _new_fragments(span: Span, changes: dict) -> list:
    """The pieces a change asks for. New fragments replace the old ones; start/end alone move the outer bounds
    (the first piece's start, the last piece's end), so resizing a one-piece span works as it always did."""
    if changes.get("fragments") is not None:
        return changes["fragments"]
    pieces = [list(piece) for piece in span.pieces]
    pieces[0][0] = changes.get("start", pieces[0][0])
    pieces[-1][1] = changes.get("end", pieces[-1][1])
    return pieces


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
    bump(annotation)
    record(annotation, "span.delete", actor=actor, before=gone)


# Relations ------------------------------------------------------------------------


@transaction.atomic
def add_relation(*, annotation: Annotation, expected_version, type, from_span, to_span, client_id=None,
                 provenance=None, actor=None) -> Relation:
    held = hold_layer(annotation)
    if (made := _made_before(Relation, annotation, client_id, expected_version)) is not None:
        return made
    check_layer(annotation, held, expected_version)
    relation = Relation(
        annotation=annotation,
        type=_project_item(RelationType, annotation.article.project_id, type, "type"),
        from_span=_span_of(annotation, from_span, "from_span"),
        to_span=_span_of(annotation, to_span, "to_span"),
        provenance=provenance or [],
        client_id=client_id or uuid.uuid4(),
    )
    relation.clean()
    if Relation.objects.filter(type=relation.type, from_span=relation.from_span, to_span=relation.to_span).exists():
        raise ValidationError({"to_span": "this relation exists already."})
    relation.save()
    bump(annotation)
    record(annotation, "relation.add", actor=actor, after=relation_state(relation))
    return relation


def _relation_holds(relation: Relation, changes: dict) -> bool:
    now = {"type": relation.type.name, "from_span": relation.from_span_id, "to_span": relation.to_span_id}
    return all(now[name] == getattr(value, "name" if name == "type" else "pk", value)
               for name, value in changes.items())


@transaction.atomic
def update_relation(*, relation: Relation, expected_version, actor=None, **changes) -> Relation:
    unknown = set(changes) - {"type", "from_span", "to_span"}
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "cannot be changed here."))
    held = hold_layer(relation.annotation)
    if _relation_holds(relation, changes):
        return _changed_before(relation, relation.annotation, expected_version)
    annotation = check_layer(relation.annotation, held, expected_version)
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
    bump(annotation)
    record(annotation, "relation.update", actor=actor, before=before, after=relation_state(relation))
    return relation


@transaction.atomic
def delete_relation(*, relation: Relation, expected_version, actor=None) -> None:
    annotation = lock_layer(relation.annotation, expected_version)
    gone = relation_state(relation)
    relation.delete()
    bump(annotation)
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


def _stance_holds(stance: Stance, changes: dict) -> bool:
    def pk(value):
        return getattr(value, "pk", value)

    now = {"holder_span": stance.holder_span_id, "holder_entity": stance.holder_entity_id,
           "target": stance.target.name, "polarity": stance.polarity.name, "explicit": stance.explicit,
           "evidence": sorted(span.pk for span in stance.evidence.all())}  # prefetched by the API's rows
    for name, value in changes.items():
        if name in ("target", "polarity"):
            value = getattr(value, "name", value)
        elif name == "evidence":
            value = sorted(pk(span) for span in value or [])
        elif name == "explicit":
            value = bool(value)
        else:
            value = pk(value)
        if now[name] != value:
            return False
    return True


@transaction.atomic
def add_stance(*, annotation: Annotation, expected_version, target, polarity, holder_span=None, holder_entity=None,
               explicit=True, evidence: Iterable = (), client_id=None, provenance=None, actor=None) -> Stance:
    held = hold_layer(annotation)
    if (made := _made_before(Stance, annotation, client_id, expected_version)) is not None:
        return made
    check_layer(annotation, held, expected_version)
    stance = Stance(annotation=annotation, client_id=client_id or uuid.uuid4(), provenance=provenance or [])
    spans = _apply_stance(stance, annotation, {
        "holder_span": holder_span, "holder_entity": holder_entity, "target": target, "polarity": polarity,
        "explicit": explicit, "evidence": list(evidence)})
    stance.save()
    stance.evidence.set(spans)
    bump(annotation)
    record(annotation, "stance.add", actor=actor, after=stance_state(stance))
    return stance


@transaction.atomic
def update_stance(*, stance: Stance, expected_version, actor=None, **changes) -> Stance:
    unknown = set(changes) - STANCE_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "cannot be changed here."))
    held = hold_layer(stance.annotation)
    if _stance_holds(stance, changes):
        return _changed_before(stance, stance.annotation, expected_version)
    annotation = check_layer(stance.annotation, held, expected_version)
    before = stance_state(stance)
    spans = _apply_stance(stance, annotation, changes)
    stance.save()
    if spans is not None:
        stance.evidence.set(spans)
    bump(annotation)
    record(annotation, "stance.update", actor=actor, before=before, after=stance_state(stance))
    return stance


@transaction.atomic
def delete_stance(*, stance: Stance, expected_version, actor=None) -> None:
    annotation = lock_layer(stance.annotation, expected_version)
    gone = stance_state(stance)
    stance.delete()
    bump(annotation)
    record(annotation, "stance.delete", actor=actor, before=gone)
