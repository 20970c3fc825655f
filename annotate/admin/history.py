"""The history of annotation layers: read-only in admin, with a restore page per layer for managers."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from ..access import can_restore
from ..models import Annotation, AnnotationEvent
from ..services.restoring import restore


@admin.register(AnnotationEvent)
class AnnotationEventAdmin(admin.ModelAdmin):
    """Append-only: nobody adds, changes or deletes events, superusers included."""

    list_display = ["id", "annotation", "version", "action", "actor", "created_at"]
    list_filter = ["action"]
    list_select_related = ["annotation__article", "annotation__annotator", "actor"]
    search_fields = ["annotation__article__external_id", "actor__username", "action"]
    readonly_fields = ["annotation", "actor", "created_at", "action", "version", "before", "after"]
    ordering = ["-pk"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
