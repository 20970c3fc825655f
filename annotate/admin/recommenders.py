"""Recommenders, their suggestions and the decisions about them.

Recommenders: a project's managers enable them, set them up (an external one's URL, auth header, timeout,
batch size; a trainable one's retraining) and start runs. Scoped like webhooks: a staff user sees the
recommenders of the projects they manage (an external one's auth header is the project's secret)."""
from django.contrib import admin, messages

from ..jobs.kinds.suggestions import start_suggestions
from ..models import Recommender, SuggestedRelation, SuggestedSpan, SuggestedStance, SuggestionDecision
from .common import ReadOnlyAdmin
from .large import LargeTableAdmin
from .webhooks import ProjectManagersEdit, ProjectManagersOnly


@admin.register(Recommender)
class RecommenderAdmin(ProjectManagersEdit, admin.ModelAdmin):
    list_display = ["name", "project", "kind", "enabled", "version", "trained_at", "last_error_short"]
    list_filter = ["kind", "enabled"]
    list_select_related = ["project"]
    search_fields = ["name"]
    readonly_fields = ["version", "trained_at", "trained_on", "last_error", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["project", "name", "kind", "enabled"], "description": (
            "Built-in kinds are named as their kind (attribution, string_match, tagger); an external one gets "
            "the name you give it. Suggestions scoring under the project's suggestion threshold are not shown "
            "in the workspace (the project's page). See docs/suggestions.md.")}),
        ("External (JSON over HTTP)", {"fields": ["url", "auth_header", "timeout_seconds", "batch_size"],
                                       "description": "The protocol: docs/suggestions-protocol.md."}),
        ("Training", {"fields": ["retrain_every", "options", "version", "trained_at", "trained_on"]}),
        ("State", {"fields": ["last_error", "created_at", "updated_at"]}),
    ]
    actions = ["run_now", "train_and_run"]

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, recommender):
        return recommender.project_id


    @admin.display(description="last error")
    def last_error_short(self, recommender):
        return recommender.last_error[:120]

    def _start(self, request, queryset, *, retrain: bool):
        by_project: dict[int, list[Recommender]] = {}
        for recommender in queryset.select_related("project"):
            by_project.setdefault(recommender.project_id, []).append(recommender)
        for recommenders in by_project.values():
            project = recommenders[0].project
            job = start_suggestions(project, user=request.user, recommenders=[r.name for r in recommenders],
                                    retrain=retrain)
            self.message_user(request, f"{project.slug}: suggestions queued as job {job.pk}.", messages.SUCCESS)

    @admin.action(description="Run the selected recommenders over their projects (a background job)",
                  permissions=["change"])
    def run_now(self, request, queryset):
        self._start(request, queryset, retrain=False)

    @admin.action(description="Train the selected trainable recommenders, then run them (a background job)",
                  permissions=["change"])
    def train_and_run(self, request, queryset):
        self._start(request, queryset, retrain=True)


class SuggestionAdmin(ReadOnlyAdmin, ProjectManagersOnly, LargeTableAdmin):
    """What recommenders proposed, read-only (runs replace them; annotators accept or reject them in the
    workspace): for a project's managers to see what their recommenders say, article by article."""

    project_path = "article__project"
    list_filter = ["recommender"]
    search_fields = ["article__external_id"]
    search_help_text = "An article's external id (exact)."
    sortable_by = ["id"]

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, suggestion):
        return suggestion.article.project_id

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        return queryset.filter(article__external_id=search_term.strip()), False


@admin.register(SuggestedSpan)
class SuggestedSpanAdmin(SuggestionAdmin):
    list_display = ["id", "article", "label", "start", "end", "text_short", "score", "recommender", "version",
                    "created_at"]
    list_select_related = ["article", "label"]

    @admin.display(description="text")
    def text_short(self, suggestion):
        return suggestion.text[:80]


@admin.register(SuggestedRelation)
class SuggestedRelationAdmin(SuggestionAdmin):
    list_display = ["id", "article", "type", "from_span", "to_span", "score", "recommender", "version"]
    list_select_related = ["article", "type", "from_span__label", "to_span__label"]


@admin.register(SuggestedStance)
class SuggestedStanceAdmin(SuggestionAdmin):
    list_display = ["id", "article", "target", "polarity", "holder_span", "holder_entity", "score", "recommender",
                    "version"]
    list_select_related = ["article", "target", "polarity", "holder_span__label", "holder_entity"]


@admin.register(SuggestionDecision)
class SuggestionDecisionAdmin(ReadOnlyAdmin, ProjectManagersOnly, LargeTableAdmin):
    """Who accepted or rejected what: the acceptance rates are counted from these."""

    list_display = ["id", "article", "user", "kind", "label", "decision", "recommender", "version", "score",
                    "created_at"]
    list_filter = ["decision", "kind", "recommender"]
    list_select_related = ["article", "user"]
    sortable_by = ["id"]

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, decision):
        return decision.project_id
