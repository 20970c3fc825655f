"""The history of annotation layers: read-only in admin, with a restore page per layer for managers."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from ..access import can_restore
from ..models import Annotation, AnnotationEvent
from ..services.restoring import restore
from .common import ReadOnlyAdmin
from .large import LargeTableAdmin
from .search import IndexedSearchMixin, among, layers_of_article, users_named


class ActionKindFilter(admin.SimpleListFilter):
    """The kind of change (span.add, span.delete... are "span"), from a fixed list.

    Django's filter by `action` would read its values with a DISTINCT over the whole history, which
    grows with every write. A kind missing here is still listed and searchable, only not offered.
    """

    title = "change"
    parameter_name = "kind"
    KINDS = [("span", "spans"), ("relation", "relations"), ("stance", "stances"),
             ("status", "layer status"), ("gold", "gold layers"), ("layer", "layers deleted"),
             ("restore", "restores")]

    def lookups(self, request, model_admin):
        return self.KINDS

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(Q(action=self.value()) | Q(action__startswith=f"{self.value()}."))
        return queryset


@admin.register(AnnotationEvent)
class AnnotationEventAdmin(ReadOnlyAdmin, IndexedSearchMixin, LargeTableAdmin):
    """Append-only: nobody adds, changes or deletes events, superusers included.

    The history grows with every write (more rows than spans): counted up to a cap, listed newest
    first, sorted by id only (large.py). The history outlives its layer, so the list reads the page's
    layers apart (a prefetch) rather than joining them: a join would hide a deleted layer's events.
    """

    list_display = ["id", "layer", "version", "action", "actor", "created_at"]
    list_filter = [ActionKindFilter]
    list_select_related = ["actor"]
    search_fields = ["annotation__article__external_id", "actor__username"]
    search_help_text = ("Finds the history of the article with that external id (exact), or the changes "
                        "made by users whose username contains the word.")
    readonly_fields = ["annotation", "actor", "created_at", "action", "version", "before", "after"]

    def get_queryset(self, request):
        layers = Annotation.objects.select_related("article", "annotator")
        return super().get_queryset(request).prefetch_related(Prefetch("annotation", queryset=layers))

    def search_word(self, word):
        return among("annotation", layers_of_article(word)) | among("actor", users_named(word))

    @admin.display(description="annotation")
    def layer(self, event):
        try:
            return event.annotation
        except Annotation.DoesNotExist:
            return f"deleted layer {event.annotation_id}"


class HistoryInline(admin.TabularInline):
    model = AnnotationEvent
    fields = readonly_fields = ["version", "action", "actor", "created_at"]
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-version", "-id"]
    verbose_name_plural = "history (newest first; restore from the page's “Restore” link)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class RestoreForm(forms.Form):
    version = forms.TypedChoiceField(coerce=int, label="Restore to version")


def restore_view(model_admin, request, object_id):
    """Bring a layer back to an earlier version (managers of its project only)."""
    annotation = get_object_or_404(Annotation.objects.select_related("article__project", "annotator"), pk=object_id)
    if not can_restore(request.user, annotation):
        raise PermissionDenied
    events = annotation.events.select_related("actor").order_by("-version", "-id")
    last_action = {}
    for event in events:
        last_action.setdefault(event.version, event.action)
    form = RestoreForm(request.POST or None)
    form.fields["version"].choices = [
        (v, f"version {v}" + (f" (after {last_action[v]})" if v in last_action else " (as opened)" if v == 1 else ""))
        for v in range(annotation.version - 1, 0, -1)]
    if request.method == "POST" and form.is_valid():
        try:
            restore(annotation=annotation, version=form.cleaned_data["version"],
                    expected_version=annotation.version, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            model_admin.message_user(request, f"Restored to version {form.cleaned_data['version']} "
                                              f"(now version {annotation.version}).", messages.SUCCESS)
            return redirect("admin:annotate_annotation_change", annotation.pk)
    context = {**model_admin.admin_site.each_context(request), "title": f"Restore {annotation}",
               "annotation": annotation, "form": form, "events": events[:200], "opts": Annotation._meta}
    return TemplateResponse(request, "admin/annotate/annotation/restore.html", context)
