"""The append-only history of every annotation layer: who changed what, when, from what to what."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .annotation import Annotation


class AnnotationEvent(models.Model):
    """One change to a layer. Rows are only ever added: saving an existing row or deleting one is refused."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=40, help_text="e.g. span.add, relation.delete, status.submit, restore")
    version = models.PositiveIntegerField(help_text="The layer's version after this change.")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["annotation", "version", "id"]
        indexes = [models.Index(fields=["annotation", "version"])]

    def __str__(self):
        return f"v{self.version} {self.action} by {self.actor or 'system'}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("History is append-only: an event cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("History is append-only: an event cannot be deleted.")
