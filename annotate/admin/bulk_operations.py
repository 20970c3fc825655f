"""Bulk annotations from search in the admin, read-only: a project's managers (and superusers) see who marked
which query's hits, into what, the counts, the layers' versions before and after, and the undo. Operations are
made and undone on the search page or the API (annotate/search/bulk.py), never edited here: the spans they wrote
are in the layers' history."""
import json

from django.contrib import admin

from ..models import BulkOperation
from .common import ReadOnlyAdmin
from .webhooks import ProjectManagersOnly


@admin.register(BulkOperation)
class BulkOperationAdmin(ReadOnlyAdmin, ProjectManagersOnly, admin.ModelAdmin):
    list_display = ["id", "project", "query", "label", "entity", "into", "status", "created_by", "created_at"]
    list_filter = ["into", "status"]
    list_select_related = ["project", "label", "entity", "created_by"]
    fields = ["project", "query", "label", "entity", "attributes", "into", "status", "client_id", "created_by",
              "created_at", "counts_json", "layers_json", "undone_by", "undone_at", "undo_json"]
    readonly_fields = fields

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, operation):
        return operation.project_id

    @admin.display(description="counts")
    def counts_json(self, operation):
        return json.dumps(operation.counts)

    @admin.display(description="layers (version before, after, spans added)")
    def layers_json(self, operation):
        return json.dumps([{k: (len(v) if k == "spans" else v) for k, v in entry.items()}
                           for entry in operation.layers])

    @admin.display(description="undo")
    def undo_json(self, operation):
        return json.dumps(operation.undo_result) if operation.undo_result else "-"
