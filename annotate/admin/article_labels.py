"""Article questions (editable by the project's managers, also inline on the project) and the answers
layers hold (read-only: answers are written through services/article_labels.py, locked and recorded)."""
from django.contrib import admin

from ..models import ArticleAnswer, ArticleQuestion
from .common import ReadOnlyAdmin
from .large import LargeTableAdmin
from .webhooks import ProjectManagersEdit, ProjectManagersOnly


class ArticleQuestionInline(admin.StackedInline):
    model = ArticleQuestion
    extra = 0
    fields = [("name", "kind", "required", "order"), "prompt", "choices", "help_text"]


@admin.register(ArticleQuestion)
class ArticleQuestionAdmin(ProjectManagersEdit, admin.ModelAdmin):
    """The project's managers edit its questions (also inline on the project's page); nobody else."""

    list_display = ["name", "project", "kind", "required", "order"]
    list_filter = ["kind", "required"]
    list_select_related = ["project"]
    search_fields = ["name", "prompt"]
    fields = ["project", "name", "prompt", "help_text", "kind", "choices", "required", "order"]

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, question):
        return question.project_id


@admin.register(ArticleAnswer)
class ArticleAnswerAdmin(ReadOnlyAdmin, ProjectManagersOnly, LargeTableAdmin):
    project_path = "annotation__article__project"
    list_display = ["question", "value", "annotation"]
    list_select_related = ["question", "annotation__article", "annotation__annotator"]

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, answer):
        return answer.question.project_id
