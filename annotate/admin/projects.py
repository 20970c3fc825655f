"""Projects, their vocabulary and their members."""
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Exists, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.urls import reverse

from ..access import holds_role
from ..jobs.kinds.snapshots import start_snapshot
from ..models import (
    Annotation,
    Article,
    Assignment,
    AssignmentCount,
    Label,
    Membership,
    Polarity,
    Project,
    ProjectCount,
    RelationType,
    StanceTarget,
)
from ..services.assignments import refresh_project_needs_annotators
from ..services.projects import install_default_vocabulary
from .article_labels import ArticleQuestionInline
from .common import count_rows, in_project, limit_choices


class ProjectInline(admin.TabularInline):
    """An inline of the project being edited; those with selects limit them to that project (get_formset)."""

    extra = 0


class LabelInline(ProjectInline):
    model = Label
    fields = ["name", "color", "hotkey", "description", "order"]


class RelationTypeInline(ProjectInline):
    model = RelationType
    fields = ["name", "from_label", "to_label", "description", "order"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            labels = Label.objects.filter(project=obj)
            limit_choices(formset.form, "from_label", labels)
            limit_choices(formset.form, "to_label", labels)
        return formset


class StanceTargetInline(ProjectInline):
    model = StanceTarget
    fields = ["name", "description", "order"]


class PolarityInline(ProjectInline):
    model = Polarity
    fields = ["name", "color", "description", "order"]


class MembershipInline(ProjectInline):
    model = Membership
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # One select of users read once; an autocomplete widget would look
        # up each row's user separately.
        limit_choices(formset.form, "user", get_user_model().objects.order_by("username"))
        return formset


def snapshot_action(export_format: str, label: str):
    """An action that starts a snapshot job of the submitted layers of each selected project the user manages,
    then lands on the job's page (one project) or the list of the jobs (several)."""

    @admin.action(description=f"Export snapshot ({label}, submitted layers)")
    def export_snapshot(model_admin, request, queryset):
        started, refused = [], []
        for project in queryset:
            if holds_role(request.user, project, {Membership.Role.MANAGER}):
                started.append(start_snapshot(project, user=request.user, format=export_format, status="submitted"))
            else:
                refused.append(project.slug)
        if refused:
            model_admin.message_user(request, f"Exports are for the project's managers; not exported: "
                                              f"{', '.join(refused)}.", messages.WARNING)
        if not started:
            return None
        model_admin.message_user(request, f"Started {len(started)} snapshot job(s).", messages.SUCCESS)
        if len(started) == 1:
            return redirect(reverse("admin:annotate_job_change", args=[started[0].pk]))
        return redirect(f"{reverse('admin:annotate_job_changelist')}?kind=snapshot")

    export_snapshot.__name__ = f"export_snapshot_{export_format}"
    return export_snapshot


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = [
        "name", "slug", "annotators_per_article", "members", "articles", "assigned", "submitted", "gold",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    actions = [snapshot_action("jsonl", "JSONL"), snapshot_action("csv", "CSV")]

    def get_queryset(self, request):
        # Progress as correlated subqueries: one SELECT for the whole page,
        # and no join that would let one count multiply another. Articles and
        # submitted assignments are read from the counters the triggers keep
        # (models/counters.py); articles assigned have no counter: they are
        # counted from the (project_id, id) and assignment indexes (0009).
        project = OuterRef("pk")
        active = Assignment.objects.filter(article=OuterRef("pk")).exclude(status=Assignment.Status.SKIPPED)
        articles = ProjectCount.objects.filter(project=project).values("articles")
        submitted = (AssignmentCount.objects.filter(project=project, status=Assignment.Status.SUBMITTED)
                     .order_by().values("project").annotate(total=Sum("n")).values("total"))
        return super().get_queryset(request).annotate(
            n_members=count_rows(Membership.objects.filter(project=project)),
            n_articles=Coalesce(Subquery(articles, output_field=IntegerField()), 0),
            n_assigned=count_rows(Article.objects.filter(Exists(active), project=project)),
            n_submitted=Coalesce(Subquery(submitted, output_field=IntegerField()), 0),
            # At most one gold layer per article (a unique constraint), so
            # counting layers counts articles.
            n_gold=count_rows(Annotation.objects.filter(article__project=project, is_gold=True)),
        )

    @admin.display(description="members", ordering="n_members")
    def members(self, project):
        return project.n_members

    @admin.display(description="articles", ordering="n_articles")
    def articles(self, project):
        return project.n_articles

    @admin.display(description="articles assigned", ordering="n_assigned")
    def assigned(self, project):
        """Articles with at least one assignment that is not skipped."""
        return project.n_assigned

    @admin.display(description="assignments submitted", ordering="n_submitted")
    def submitted(self, project):
        return project.n_submitted

    @admin.display(description="articles with gold", ordering="n_gold")
    def gold(self, project):
        return project.n_gold

    def get_inlines(self, request, obj):
        # A new project gets the default vocabulary when it is saved (as
        # create_project does); editing it inline before that could only
        # collide with those names.
        if obj is None:
            return [MembershipInline]
        return [LabelInline, RelationTypeInline, StanceTargetInline, PolarityInline, ArticleQuestionInline,
                MembershipInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            install_default_vocabulary(obj)
        elif "annotators_per_article" in form.changed_data:
            refresh_project_needs_annotators(project=obj)


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "order"]
    list_filter = ["project"]
    list_select_related = ["project"]
    search_fields = ["name", "description", "project__slug"]


@admin.register(Label)
class LabelAdmin(VocabularyAdmin):
    list_display = ["name", "project", "color", "hotkey", "order"]


@admin.register(RelationType)
class RelationTypeAdmin(VocabularyAdmin):
    list_display = ["name", "project", "from_label", "to_label", "order"]
    list_select_related = ["project", "from_label", "to_label"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            labels, label = Label.objects.filter(project_id=obj.project_id), None
        else:
            labels, label = Label.objects.select_related("project"), in_project
        limit_choices(form, "from_label", labels, label)
        limit_choices(form, "to_label", labels, label)
        return form


@admin.register(StanceTarget)
class StanceTargetAdmin(VocabularyAdmin):
    pass


@admin.register(Polarity)
class PolarityAdmin(VocabularyAdmin):
    list_display = ["name", "project", "color", "order"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    list_select_related = ["user", "project"]
    search_fields = ["user__username", "user__email", "project__slug", "project__name"]
    autocomplete_fields = ["user", "project"]
    readonly_fields = ["created_at"]
