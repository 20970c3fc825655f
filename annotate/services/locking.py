"""The layer lock: the one rule every write to a layer goes through.

A writer sends the layer version it read. Inside the write's transaction the
layer row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
transactions already serialise writers), the version compared, and the
version bumped once the change is made. Two tabs editing one layer therefore
never overwrite each other silently: the second carries a stale version and
is refused with StaleVersion (409 at the API).

A retried write that the server already applied (its reply was lost) is not
a conflict: the services recognise it by the item's client id or by its
content and answer with `replay_version`, without writing anything.
"""
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from ..models import Annotation, AnnotationEvent


class StaleVersion(Exception):
    """The writer edited an older version of the layer than the one stored."""

    def __init__(self, expected: int, current: int):
        self.expected, self.current = expected, current
        super().__init__(
            f"This layer changed since you loaded it (you have version {expected}, it is at {current}). "
            "Reload to see the other change, then redo yours."
        )


EDITABLE = {Annotation.Status.IN_PROGRESS, Annotation.Status.RETURNED}


def required_version(expected_version) -> int:
    if expected_version is None:
        raise ValidationError({"version": "required: send the layer version you edited (If-Match or version)."})
    return int(expected_version)


def hold_layer(annotation: Annotation) -> Annotation:
    """Lock the layer row for this transaction; the locked row (version, status) as stored."""
    return Annotation.objects.select_for_update().only("version", "status", "is_gold").get(pk=annotation.pk)


def check_layer(annotation: Annotation, held: Annotation, expected_version, *, any_status: bool = False) -> Annotation:
    """Refuse a write from a stale version, or to a layer that is no longer editable."""
    expected = required_version(expected_version)
    if expected != held.version:
        raise StaleVersion(expected, held.version)
    if not any_status and not held.is_gold and held.status not in EDITABLE:
        raise ValidationError({"status": f"the layer is {held.status}; it can no longer be edited."})
    # Keep the caller's related objects (article, project) without another query.
    annotation.version, annotation.status = held.version, held.status
    return annotation


def lock_layer(annotation: Annotation, expected_version, *, any_status: bool = False) -> Annotation:
    """Lock the layer and check the writer's version: the start of every versioned write.

    `any_status`: for managers' acts (restore) that may touch a submitted layer.
    """
    required_version(expected_version)  # a missing version is a 400 before anything is locked
    return check_layer(annotation, hold_layer(annotation), expected_version, any_status=any_status)


def lock_rows(annotation_ids) -> dict[int, int]:
    """Lock several layers (in id order, so two writers never deadlock) for a write that carries no
    version (admin edits, merges, imports); their current versions by id."""
    return dict(Annotation.objects.select_for_update().filter(pk__in=annotation_ids).order_by("pk")
                .values_list("pk", "version"))


def bump(annotation: Annotation) -> None:
    """The layer changed: one version more (the caller holds the lock)."""
    Annotation.objects.filter(pk=annotation.pk).update(version=F("version") + 1, updated_at=timezone.now())
    annotation.version += 1


def bump_versions(annotation_ids, *, action: str | None = None, actor=None, detail=None) -> None:
    """Mark layers changed by a write that changed no item of theirs one by one (a source merge): editors
    holding the old version must reload. With `action`, the change goes into each layer's history."""
    Annotation.objects.filter(pk__in=annotation_ids).update(version=F("version") + 1, updated_at=timezone.now())
    if action:
        AnnotationEvent.objects.bulk_create([
            AnnotationEvent(annotation_id=pk, version=version, action=action, after=detail,
                            actor=actor if getattr(actor, "is_authenticated", False) else None)
            for pk, version in Annotation.objects.filter(pk__in=annotation_ids).values_list("pk", "version")
        ])


def replay_version(annotation: Annotation, expected_version, applied_at: int | None) -> int:
    """The version a client sends next after repeating a write the layer already holds.

    `applied_at` is the version the earlier write made. When the client's version is the one just before
    it, the client made that write and only lost the reply: it may go on from `applied_at` (and still gets
    a 409 next time if someone else wrote since). Otherwise the client keeps its own version, so that
    changes it has not seen are caught by its next write rather than skipped.
    """
    if expected_version is None:  # a client without a version cannot write anyway: the current one
        return Annotation.objects.only("version").get(pk=annotation.pk).version
    expected = int(expected_version)
    if applied_at is not None and expected == applied_at - 1:
        return applied_at
    return expected
