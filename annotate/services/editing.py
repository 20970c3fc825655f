"""Writes to layer items that come by other doors than the annotating functions: admin forms.

Django admin saves a span, relation or stance with the model's own save()
and delete(), cascades included, and an annotation's change page saves its
inlines the same way. Rather than re-implementing those forms, such a write
runs inside `RecordedEdit`: the layers it touches are locked, snapshotted
before and after, and the difference is recorded as ordinary item events
(one version more per changed layer), so the history is complete and a
restore brings back exactly the earlier state.
"""
from contextlib import contextmanager

from django.db import transaction

from ..models import Annotation
from . import figures
from .history import layer_state, record, record_changes
from .locking import bump, lock_rows


class RecordedEdit:
    """start() before the write, finish() after it, in one transaction (admin views run in one)."""

    def __init__(self, annotation_ids, *, actor=None):
        self.ids = sorted({pk for pk in annotation_ids if pk is not None})
        self.actor = actor

    def start(self) -> "RecordedEdit":
        self.versions = lock_rows(self.ids)
        self.before = {pk: self._snapshot(pk) for pk in self.versions}
        return self

    def finish(self) -> int:
        """Record what changed; the number of layers that did."""
        changed = 0
        for pk, (status, items) in self.before.items():
            after_status, after_items = self._snapshot(pk)
            if after_status == status and after_items == items:
                continue
            layer = Annotation(pk=pk, version=self.versions[pk])
            bump(layer)
            record_changes(layer, items, after_items, actor=self.actor)
            if after_status != status:
                record(layer, "status.admin", actor=self.actor, before={"status": status},
                       after={"status": after_status})
            changed += 1
        # Whatever the admin changed (items, status) may move the dashboards' figures.
        figures.refresh(Annotation.objects.filter(pk__in=self.ids).values_list("article_id", flat=True))
        return changed

    @staticmethod
    def _snapshot(pk: int):
        status = Annotation.objects.filter(pk=pk).values_list("status", flat=True).first()
        return status, layer_state(pk)


@contextmanager
def recorded_edit(annotation_ids, *, actor=None):
    with transaction.atomic():
        edit = RecordedEdit(annotation_ids, actor=actor).start()
        yield edit
        edit.finish()


@transaction.atomic
def delete_layers(annotations, *, actor=None) -> None:
    """Delete whole layers. Their history stays (it is append-only), ending with an event that holds
    everything the layer had, so nothing is lost without a trace."""
    ids = [annotation.pk for annotation in annotations]
    lock_rows(ids)
    for layer in Annotation.objects.filter(pk__in=ids).order_by("pk"):
        record(Annotation(pk=layer.pk, version=layer.version + 1), "layer.delete", actor=actor,
               before={"status": layer.status, "annotator": layer.annotator_id, "is_gold": layer.is_gold,
                       "article": layer.article_id, **layer_state(layer.pk)})
    articles = list(Annotation.objects.filter(pk__in=ids).values_list("article_id", flat=True))
    Annotation.objects.filter(pk__in=ids).delete()
    figures.refresh(articles)
