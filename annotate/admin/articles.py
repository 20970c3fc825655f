"""Articles, the assignments that hand them out, and the entities their spans name.

Articles and assignments grow with the corpus: their changelists count, sort and search within a
fixed cost (large.py, search.py). Entities are a project's few thousand sources at most.
"""
from django.contrib import admin
from django.db import models
from django.db.models import OuterRef, Q
from django.urls import path

from ..models import Annotation, Article, Assignment, Entity, Span
from ..services.assignments import refresh_needs_annotators
from .assigning import assign_to_annotators
from .common import changelist_link, count_rows
from .importing import import_view
from .large import CappedCount, LargeTableAdmin
from .search import IndexedSearchMixin, among, articles_matching, contains, users_named

MENTIONS_SHOWN = 1000  # an entity's mentions are counted up to this many on the entity list


class AssignmentInline(admin.TabularInline):
    """Assignments are created by the assign action (the service balances them); here they are only reviewed."""

    model = Assignment
    fields = ["annotator", "status", "skip_reason", "assigned_at", "started_at", "finished_at"]
    readonly_fields = ["annotator", "assigned_at", "started_at", "finished_at"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("article", "annotator")


def _active_assignments(article):
    return Assignment.objects.filter(article=article).exclude(status=Assignment.Status.SKIPPED)


@admin.register(Article)
class ArticleAdmin(IndexedSearchMixin, LargeTableAdmin):
    list_display = ["external_id", "title", "project", "outlet", "language", "published", "assigned", "annotations"]
    list_display_links = ["external_id", "title"]
    # The languages are read from an index on PostgreSQL (migration 0009): no scan of the articles.
    list_filter = ["project", "language"]
    list_select_related = ["project"]
    # Not `text`: the bodies are most of the table's bytes, and a trigram index over them would cost
    # every import more than the title's; the annotated passages are searched on the span list.
    search_fields = ["external_id", "title", "outlet", "url"]
    search_help_text = ("Finds articles whose external id, title, outlet or URL contains every word "
                        "(words of 3 characters or more; a shorter one matches an external id exactly).")
    # Sorted by publication date only, which an index serves (migration 0009): any other column is
    # a sort of the whole article table, bodies included (0.1 s at 50k articles, growing with them).
    sortable_by = ["published"]
    readonly_fields = ["annotations", "content_hash", "created_at", "updated_at"]
    inlines = [AssignmentInline]
    # Source URLs are pasted from the browser with their scheme; Django 6 will assume https anyway.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = [assign_to_annotators]

    def get_queryset(self, request):
        article = OuterRef("pk")
        return super().get_queryset(request).annotate(
            n_assigned=count_rows(_active_assignments(article)),
            n_annotations=count_rows(Annotation.objects.filter(article=article)),
        )

    def search_word(self, word):
        return (Q(external_id__iexact=word) | contains("external_id", word) | contains("title", word)
                | contains("outlet", word) | contains("url", word))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Span offsets point into the text: Article.save() refuses to change
        # it once annotated, so the form must not offer it.
        if obj is not None and obj.annotations.exists():
            fields.append("text")
        return fields

    @admin.display(description="active assignments")
    def assigned(self, article):
        return article.n_assigned

    @admin.display(description="annotation layers")
    def annotations(self, article):
        if article.pk is None:
            return "-"
        return changelist_link(Annotation, article.n_annotations, article__id__exact=article.pk)

    def has_assign_permission(self, request):
        return request.user.has_perm("annotate.add_assignment")

    def get_urls(self):
        # Before the defaults: "<path:object_id>/" would otherwise take "import/".
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_articles),
                name="annotate_article_import",
            ),
            *super().get_urls(),
        ]

    def import_articles(self, request):
        return import_view(self, request)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The assignments inline may have skipped, un-skipped or deleted some.
        refresh_needs_annotators([form.instance.pk])


@admin.register(Assignment)
class AssignmentAdmin(IndexedSearchMixin, LargeTableAdmin):
    list_display = ["article", "annotator", "project", "status", "assigned_at", "finished_at"]
    list_filter = ["status", "article__project"]
    list_select_related = ["article__project", "annotator"]
    search_fields = ["article__external_id", "article__title", "annotator__username"]
    search_help_text = ("Finds assignments by their article's external id (exact) or a word of its title "
                        "(3 characters or more), or by the annotator's username.")
    sortable_by = ["status", "assigned_at", "finished_at"]
    autocomplete_fields = ["article", "annotator"]
    readonly_fields = ["assigned_at", "updated_at"]

    def search_word(self, word):
        return among("article", articles_matching(word)) | among("annotator", users_named(word))

    @admin.display(ordering="article__project__name")
    def project(self, assignment):
        return assignment.article.project

    # Each write here can change how many active assignments an article has (its old one too, when
    # the form moves the assignment to another article): Article.needs_annotators follows.
    def save_model(self, request, obj, form, change):
        before = Assignment.objects.filter(pk=obj.pk).values_list("article_id", flat=True) if change else []
        touched = set(before)
        super().save_model(request, obj, form, change)
        refresh_needs_annotators(touched | {obj.article_id})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        refresh_needs_annotators([obj.article_id])

    def delete_queryset(self, request, queryset):
        touched = set(queryset.values_list("article_id", flat=True))
        super().delete_queryset(request, queryset)
        refresh_needs_annotators(touched)


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "project", "description", "mentions"]
    list_filter = ["type", "project"]
    list_select_related = ["project"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        # Counted up to MENTIONS_SHOWN + 1 each: a source named in a million spans costs a page no
        # more than one named in a thousand. The source registry has the exact figures.
        mentions = Span.objects.filter(entity=OuterRef("pk")).order_by().values("pk")[: MENTIONS_SHOWN + 1]
        return super().get_queryset(request).annotate(n_mentions=CappedCount(mentions))

    @admin.display(description="mentions")
    def mentions(self, entity):
        shown = f"more than {MENTIONS_SHOWN:,}" if entity.n_mentions > MENTIONS_SHOWN else entity.n_mentions
        return changelist_link(Span, shown, entity__id__exact=entity.pk)
