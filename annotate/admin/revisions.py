"""An article's corrections (re-anchored texts): read-only, and revertible by the project's managers.

A revert puts the text back and the spans of every layer nobody changed since exactly as they were
(services/reanchoring/reverting.py); it is a correction of its own, listed here too.
"""
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from ..models import ArticleRevision
from ..services.reanchoring import revert_revision
from .common import ReadOnlyAdmin
from .webhooks import ProjectManagersOnly


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(ReadOnlyAdmin, ProjectManagersOnly, admin.ModelAdmin):
    list_display = ["id", "article", "source", "outcome", "actor", "created_at", "reverts"]
    list_select_related = ["article", "actor"]
    search_fields = ["=article__external_id"]
    search_help_text = "Finds the corrections of the article with that external id (exact)."
    fields = ["article", "source", "actor", "created_at", "counts", "reverts", "text_before", "text_after"]
    readonly_fields = fields
    project_path = "article__project"
    actions = ["revert"]

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, revision):
        return revision.article.project_id

    @admin.display(description="spans")
    def outcome(self, revision):
        counts = revision.counts
        return f"moved {counts.get('moved', 0)}, flagged {counts.get('flagged', 0)}, " \
               f"unchanged {counts.get('unchanged', 0)}"

    @admin.action(description="Revert the selected corrections (the latest of each article)")
    def revert(self, request, queryset):
        for revision in queryset.order_by("-id"):
            try:
                done = revert_revision(revision=revision, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"Correction {revision.pk}: {' '.join(error.messages)}", messages.ERROR)
                continue
            self.message_user(request, f"Correction {revision.pk} reverted: moved {done.moved}, flagged "
                                       f"{done.flagged}, unchanged {done.unchanged}.", messages.SUCCESS)
