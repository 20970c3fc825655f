"""Discussion threads and their comments in the admin, read-only, for the project's managers (and superusers).
They are written by the people in the discussion (the workspace, the review page, the API:
annotate/services/threads.py); editing them here would put words in someone's mouth."""
from django.contrib import admin

from ..models import Comment, Thread
from .common import ReadOnlyAdmin
from .large import LargeTableAdmin
from .webhooks import ProjectManagersOnly


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin, ProjectManagersOnly, LargeTableAdmin):
    project_path = "article__project"
    list_display = ["id", "article", "annotation_id", "anchor_kind", "anchor_id", "resolved", "created_by",
                    "created_at"]
    list_select_related = ["article", "created_by"]
    list_filter = ["resolved", "anchor_kind"]
    sortable_by = ["id"]
    fields = ["article", "annotation", "anchor_kind", "anchor_id", "anchor_text", "resolved", "resolved_by",
              "resolved_at", "created_by", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, thread):
        return thread.article.project_id


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin, ProjectManagersOnly, LargeTableAdmin):
    project_path = "thread__article__project"
    list_display = ["id", "thread_id", "author", "short_body", "created_at"]
    list_select_related = ["author"]
    sortable_by = ["id"]
    fields = ["thread", "author", "body", "mentions", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, comment):
        return comment.thread.article.project_id

    @admin.display(description="body")
    def short_body(self, comment):
        return comment.body[:120]
