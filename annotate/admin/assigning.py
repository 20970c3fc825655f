"""The "assign selected articles" action: choose annotators on an intermediate page, then call the service."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

from ..models import Article
from ..services.assignments import assign_articles

PREVIEW_ROWS = 20


class AssignForm(forms.Form):
    annotators = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Each article goes to as many of them as its project still needs, the least loaded first.",
    )

    def __init__(self, *args, project_ids, **kwargs):
        super().__init__(*args, **kwargs)
        # Members of any of the articles' projects. The service refuses a
        # member of one project for an article of another, and says who.
        self.fields["annotators"].queryset = (
            get_user_model().objects.filter(memberships__project_id__in=project_ids).distinct().order_by("username")
        )


@admin.action(description="Assign selected articles to annotators", permissions=["assign"])
def assign_to_annotators(modeladmin, request, queryset):
    # The changelist queryset carries the list columns' subqueries; the
    # service and the preview need only the rows.
    articles = Article.objects.filter(pk__in=queryset.values("pk"))
    project_ids = list(articles.order_by().values_list("project_id", flat=True).distinct())
    form = AssignForm(request.POST if "apply" in request.POST else None, project_ids=project_ids)
    if form.is_bound and form.is_valid():
        try:
            report = assign_articles(articles=articles.only("pk"), annotators=form.cleaned_data["annotators"])
        except ValidationError as error:
            # The service checks everything before its first write.
            modeladmin.message_user(request, "Nothing assigned. " + " ".join(error.messages), messages.ERROR)
        else:
            level = messages.WARNING if report.short else messages.SUCCESS
            modeladmin.message_user(request, report.summary(), level)
        return None  # back to the changelist

    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Assign articles to annotators",
        "opts": modeladmin.opts,
        "form": form,
        "count": articles.count(),
        "preview": articles.select_related("project").order_by("project__name", "pk")[:PREVIEW_ROWS],
        # Post the selection back exactly as it came, so "select all N"
        # (select_across) stays a filter over the changelist, not N ids.
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/annotate/article/assign_annotators.html", context)
