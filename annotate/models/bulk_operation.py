"""A bulk annotation from search (annotate/search/bulk.py): one reviewer's "mark every hit of this query".

The row is the operation's record: who, when, the query and what each hit became, the counts the preview
promised and the apply made, and, per layer it wrote to, the layer's version before and after and the ids of
the spans it added, so that undo can take back exactly this operation (docs/search.md, "Bulk annotation").
The spans themselves are ordinary spans, written through services/annotating.py and in each layer's history.
"""
import uuid

from django.conf import settings
from django.db import models

from .entity import Entity
from .project import Label, Project


class BulkOperation(models.Model):
    class Into(models.TextChoices):
        LAYERS = "layers"  # spans in the articles' editable layers
        SUGGESTIONS = "suggestions"  # suggestions (score 1.0) the articles' annotators accept or reject

    class Status(models.TextChoices):
        APPLIED = "applied"
        UNDONE = "undone"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="bulk_operations")
    # The writer's id for the whole operation: a commit sent twice (a lost reply, a double click) finds the
    # first one by it and applies once. The spans' client ids derive from it (bulk.span_client_id).
    client_id = models.UUIDField(default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="bulk_operations")
    created_at = models.DateTimeField(auto_now_add=True)
    query = models.TextField()
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="+")
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attributes = models.JSONField(default=dict, blank=True)
    into = models.CharField(max_length=12, choices=Into.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    # {"hits", "articles", "layers", "new", "present", "suggestions"}: what apply did (bulk.Counts).
    counts = models.JSONField(default=dict)
    # Into layers: [{"annotation": id, "before": version, "after": version, "spans": [span ids]}]; into
    # suggestions: [] (the suggestions are found by their recommender name, bulk.recommender_name).
    layers = models.JSONField(default=list, blank=True)
    articles = models.JSONField(default=list, blank=True)  # the article ids it wrote to (either target)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    # What undo did: {"spans_removed", "kept": [span ids changed or built on since, left in place], "how": ...}
    undo_result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["project", "client_id"], name="bulk_operation_client_id")]
        indexes = [models.Index(fields=["project", "-created_at"], name="bulk_operation_by_project")]

    def __str__(self):
        return f"{self.label.name} × {self.query!r} into {self.into} ({self.status})"
