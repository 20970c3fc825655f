"""The append-only history of every annotation layer: who changed what, when, from what to what."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .annotation import Annotation


class AnnotationEvent(models.Model):
    """One change to a layer. Rows are only ever added: saving an existing row or deleting one is refused,
    here and by the database itself (triggers, migration 0004), so no QuerySet.update(), .delete() or raw
    SQL can rewrite the history that restores rely on.

    The history outlives its layer: deleting a layer leaves its events (the foreign key is not enforced
    by the database, and nothing cascades), and a user who made changes cannot be deleted, only
    deactivated, so every event still says who.
    """

    annotation = models.ForeignKey(Annotation, on_delete=models.DO_NOTHING, db_constraint=False,
                                   related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=40, help_text="e.g. span.add, relation.delete, status.submit, restore")
    version = models.PositiveIntegerField(help_text="The layer's version after this change.")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        # annotation_id, not annotation: ordering by the relation would join the layer (and its own
        # ordering's article), and an inner join hides the events of a deleted layer.
        ordering = ["annotation_id", "version", "id"]
        indexes = [
            models.Index(fields=["annotation", "version"]),
            # The exports' withdrawals (export/withdrawn.py) read the events that can take a layer out of an
            # export, by time: a small partial index next to the millions of item events.
            models.Index(fields=["created_at", "id"], name="event_exit_in_time", condition=models.Q(
                action__in=["status.return", "layer.delete", "status.import", "status.admin", "status.restore"])),
        ]

    def __str__(self):
        return f"v{self.version} {self.action} by {self.actor or 'system'}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("History is append-only: an event cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("History is append-only: an event cannot be deleted.")
