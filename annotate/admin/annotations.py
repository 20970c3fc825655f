"""Annotation layers and their contents: spans, relations and stances.

Span tables grow to millions of rows, so no form here offers a select of all
spans: inside a layer the selects hold that layer's spans only, elsewhere a
span is picked by id (raw_id_fields). Their changelists count, sort and search
within a fixed cost (large.py, search.py).
"""
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Prefetch
from django.urls import path

from ..models import (
    Annotation,
    Entity,
    Label,
    Polarity,
    Relation,
    RelationType,
    Span,
    Stance,
    StanceTarget,
)
from ..services.editing import RecordedEdit, delete_layers, recorded_edit
from .common import ModelCleanNeedsFieldsForm, count_rows, in_project, limit_choices, vocabulary_filter
from .history import HistoryInline, restore_view
from .large import LargeTableAdmin
from .search import IndexedSearchMixin, among, articles_matching, contains, layers_of_article, users_named


def with_layer():
    """An item's layer with its article and annotator: what the item lists show as "annotation"."""
    return Prefetch("annotation", queryset=Annotation.objects.select_related("article", "annotator"))


def with_label(field: str):
    """A span reference with its label (a span's name is its label and offsets)."""
    return Prefetch(field, queryset=Span.objects.select_related("label"))


def span_choice(span: Span) -> str:
    excerpt = span.text if len(span.text) <= 40 else span.text[:39] + "…"
    return f"{span.label.name} {span.start}:{span.end} “{excerpt}”"


class StanceForm(ModelCleanNeedsFieldsForm):
    def clean(self):
        cleaned = super().clean()
        annotation, evidence = cleaned.get("annotation"), cleaned.get("evidence")
        if annotation is not None and evidence is not None:
            try:
                Stance(annotation=annotation).check_evidence(evidence)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


# Inlines of an annotation layer ------------------------------------------------


class LayerInline(admin.TabularInline):
    """An inline of one layer; its selects offer that layer's spans and its project's vocabulary.

    Each inline says which selects in `limit_to_layer`; the layer exists (inlines show on change pages only).
    """

    form = ModelCleanNeedsFieldsForm
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        self.limit_to_layer(formset.form, obj, obj.article.project_id)
        return formset

    @staticmethod
    def spans_of(annotation):
        return Span.objects.filter(annotation=annotation).select_related("label")


class SpanInline(LayerInline):
    model = Span
    fields = ["label", "start", "end", "text", "entity", "attributes"]
    formfield_overrides = {models.TextField: {"widget": forms.TextInput(attrs={"size": 30})}}

    def limit_to_layer(self, form, annotation, project_id):
        limit_choices(form, "label", Label.objects.filter(project_id=project_id))
        limit_choices(form, "entity", Entity.objects.filter(project_id=project_id))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("label")


class RelationInline(LayerInline):
    model = Relation
    fields = ["type", "from_span", "to_span"]

    def limit_to_layer(self, form, annotation, project_id):
        limit_choices(form, "type", RelationType.objects.filter(project_id=project_id))
        spans = self.spans_of(annotation)
        limit_choices(form, "from_span", spans, span_choice)
        limit_choices(form, "to_span", spans, span_choice)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("type", "from_span__label", "to_span__label")


class StanceInline(LayerInline):
    model = Stance
    form = StanceForm
    fields = ["holder_span", "holder_entity", "target", "polarity", "explicit", "evidence"]

    def limit_to_layer(self, form, annotation, project_id):
        spans = self.spans_of(annotation)
        limit_choices(form, "holder_span", spans, span_choice)
        limit_choices(form, "evidence", spans, span_choice)
        limit_choices(form, "holder_entity", Entity.objects.filter(project_id=project_id))
        limit_choices(form, "target", StanceTarget.objects.filter(project_id=project_id))
        limit_choices(form, "polarity", Polarity.objects.filter(project_id=project_id))

    def get_queryset(self, request):
        return (
            super().get_queryset(request)
            .select_related("holder_entity", "holder_span__label", "target", "polarity")
            .prefetch_related("evidence")
        )


@admin.register(Annotation)
class AnnotationAdmin(IndexedSearchMixin, LargeTableAdmin):
    list_display = ["id", "article", "layer", "project", "status", "version", "spans", "updated_at"]
    list_display_links = ["id", "article"]
    list_filter = ["status", "is_gold", "article__project"]
    list_select_related = ["article__project", "annotator"]
    search_fields = ["article__external_id", "article__title", "annotator__username"]
    search_help_text = ("Finds layers by their article's external id (exact) or a word of its title "
                        "(3 characters or more), or by the annotator's username.")
    raw_id_fields = ["article"]
    autocomplete_fields = ["annotator", "reviewer"]
    readonly_fields = ["version", "created_at", "updated_at"]
    # The layer's own columns: a top-N sort of one table the size of the corpus. Not the article,
    # annotator or project (sorts through joins), nor the span count (a count for every layer).
    sortable_by = ["id", "status", "version", "updated_at"]

    def get_queryset(self, request):
        # The changelist ignores list_select_related once get_queryset has
        # called select_related, so name them here (the change page uses them too).
        return (
            super().get_queryset(request)
            .select_related(*self.list_select_related)
            .annotate(n_spans=count_rows(Span.objects.filter(annotation=OuterRef("pk"))))
        )

    def get_inlines(self, request, obj):
        # The inlines' choices come from the layer's project and spans: they
        # exist once the layer is saved.
        return [] if obj is None else [SpanInline, RelationInline, StanceInline, HistoryInline]

    def get_urls(self):
        view = self.admin_site.admin_view(lambda request, object_id: restore_view(self, request, object_id))
        return [path("<path:object_id>/restore/", view, name="annotate_annotation_restore"), *super().get_urls()]

    @admin.display(description="layer", ordering="annotator__username")
    def layer(self, annotation):
        return "gold" if annotation.is_gold else annotation.annotator

    @admin.display(ordering="article__project__name")
    def project(self, annotation):
        return annotation.article.project

    def search_word(self, word):
        return among("article", articles_matching(word)) | among("annotator", users_named(word))

    @admin.display(description="spans")
    def spans(self, annotation):
        return getattr(annotation, "n_spans", "-")

    # A change page saves the layer (save_model), then its inlines (save_related), in the admin's one
    # transaction: the edit is recorded from before the first to after the last.
    def save_model(self, request, obj, form, change):
        if change:
            form.recorded_edit = RecordedEdit([obj.pk], actor=request.user).start()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            form.recorded_edit.finish()

    def delete_model(self, request, obj):
        delete_layers([obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        delete_layers(list(queryset), actor=request.user)


# The contents on their own pages -----------------------------------------------


class LayerPartAdmin(IndexedSearchMixin, LargeTableAdmin):
    """Spans, relations and stances edited one by one; every write is recorded in the layer's history
    and bumps its version (services/editing.py).

    Millions of rows: counted up to a cap, listed newest first, sorted by id only (large.py). The
    rows a page shows are read alone, newest first by primary key, and what they refer to (layer,
    label, source...) is prefetched for those rows, one query per table: joined instead, SQLite (its
    statistics gathered by the importer) started from the layers and sorted every span, 3 s a page at
    10k articles. Each list prefetches the layer's article, which the change page scopes its choices by.
    """

    form = ModelCleanNeedsFieldsForm
    list_select_related = ()  # nothing joined (an empty tuple, not False: False joins every foreign key)

    def related(self):
        """What the list and the change page show of each row: prefetch lookups."""
        return [with_layer()]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(*self.related())

    def save_model(self, request, obj, form, change):
        touched = {obj.annotation_id}
        if change and "annotation" in form.changed_data:
            touched.add(form.initial["annotation"])
        with recorded_edit(touched, actor=request.user):
            super().save_model(request, obj, form, change)
            form.save_m2m()  # a stance's evidence: part of the recorded edit, not saved after it

    def save_related(self, request, form, formsets, change):
        """Nothing left to save: save_model saved the many-to-many fields, and these pages have no inlines."""

    def delete_model(self, request, obj):
        with recorded_edit([obj.annotation_id], actor=request.user):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        annotation_ids = list(queryset.order_by().values_list("annotation_id", flat=True).distinct())
        with recorded_edit(annotation_ids, actor=request.user):
            super().delete_queryset(request, queryset)

    @staticmethod
    def offer_vocabulary(form, obj, name, model):
        """Offer the project's vocabulary when editing; on the add page, all of it, named with the project."""
        if obj is not None:
            limit_choices(form, name, model.objects.filter(project_id=obj.annotation.article.project_id))
        else:
            limit_choices(form, name, model.objects.select_related("project"), in_project)


@admin.register(Span)
class SpanAdmin(LayerPartAdmin):
    list_display = ["id", "label", "start", "end", "excerpt", "entity", "annotation"]
    list_filter = [vocabulary_filter("label", Label, "label"), "annotation__is_gold"]
    search_fields = ["text", "annotation__article__external_id"]
    search_help_text = ("Finds spans whose text contains every word (words of 3 characters or more), "
                        "or the spans of the article with that external id (exact).")
    raw_id_fields = ["annotation", "entity"]

    def related(self):
        return ["label", "entity", with_layer()]

    def search_word(self, word):
        return contains("text", word) | among("annotation", layers_of_article(word))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        self.offer_vocabulary(form, obj, "label", Label)
        return form

    @admin.display(description="text")
    def excerpt(self, span):
        return span.text if len(span.text) <= 60 else span.text[:59] + "…"


@admin.register(Relation)
class RelationAdmin(LayerPartAdmin):
    list_display = ["id", "type", "from_span", "to_span", "annotation"]
    list_filter = [vocabulary_filter("type", RelationType, "type")]
    search_fields = ["annotation__article__external_id"]
    search_help_text = "Finds the relations of the article with that external id (exact)."
    raw_id_fields = ["annotation", "from_span", "to_span"]

    def related(self):
        return ["type", with_label("from_span"), with_label("to_span"), with_layer()]

    def search_word(self, word):
        return among("annotation", layers_of_article(word))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        self.offer_vocabulary(form, obj, "type", RelationType)
        return form


@admin.register(Stance)
class StanceAdmin(LayerPartAdmin):
    form = StanceForm
    list_display = ["id", "holder", "polarity", "target", "explicit", "evidence_count", "annotation"]
    list_filter = [
        vocabulary_filter("polarity", Polarity, "polarity"),
        vocabulary_filter("target", StanceTarget, "target"),
        "explicit",
    ]
    search_fields = ["annotation__article__external_id", "holder_entity__name"]
    # Not the holder span's text: matching it is a join of stances with every span containing the
    # word (0.5 s for "France" at 50k articles). The source registry lists a source's stances.
    search_help_text = ("Finds the stances of the article with that external id (exact), or those "
                        "held by a canonical source whose name contains the word.")
    raw_id_fields = ["annotation", "holder_span", "holder_entity", "evidence"]

    def related(self):
        return ["holder_entity", with_label("holder_span"), "polarity", "target", with_layer()]

    def search_word(self, word):
        return among("annotation", layers_of_article(word)) | among(
            "holder_entity", Entity.objects.filter(name__icontains=word))

    def get_queryset(self, request):
        evidence = Stance.evidence.through.objects.filter(stance=OuterRef("pk"))
        return super().get_queryset(request).annotate(n_evidence=count_rows(evidence))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        self.offer_vocabulary(form, obj, "target", StanceTarget)
        self.offer_vocabulary(form, obj, "polarity", Polarity)
        return form

    @admin.display(description="holder")
    def holder(self, stance):
        return stance.holder_entity or stance.holder_span

    @admin.display(description="evidence")
    def evidence_count(self, stance):
        return stance.n_evidence
