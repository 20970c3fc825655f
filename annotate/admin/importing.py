"""The "Import articles" page: checks the upload and its options, then starts an import job (annotate/jobs/).

The import itself (one transaction, every problem by file:line, the dashboards' figures after it) runs
in the job; the page lands on the job's page (admin/jobs.py), which follows it and shows its result.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from ..jobs.kinds.imports import start_import, upload_problem
from ..models import Project
from ..services.importing.formats import load_label_map
from ..services.importing.reading import FORMAT_KEYS, FORMATS

# "interchange (.jsonl, .ndjson) or scraped text (.txt)": each format with its own suffixes.
FORMATS_HELP = " or ".join(f"{fmt.name} ({', '.join(fmt.suffixes)})" for fmt in FORMATS if fmt.suffixes)


class ImportForm(forms.Form):
    project = forms.SlugField(
        label="Project slug",
        help_text="An existing project, or a new slug with “create project” ticked.",
        widget=forms.TextInput(attrs={"list": "project-slugs", "autocomplete": "off"}),
    )
    file = forms.FileField(help_text=f"A file in a format the import reads: {FORMATS_HELP}.")
    annotator = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        help_text="Whose submitted layer the file's annotations become; needed when records carry annotations.",
    )
    create_project = forms.BooleanField(
        required=False,
        help_text="Create the project if missing, and add the labels, relation types, targets and polarities "
                  "the file uses.",
    )
    update = forms.BooleanField(
        required=False, help_text="Update articles that already exist (refused for annotated articles unless "
                                  "re-anchored)."
    )
    reanchor = forms.BooleanField(
        required=False, help_text="With update: an annotated article's corrected text re-anchors its spans (moved, "
                                  "or flagged for review); the job's result says per article."
    )
    dry_run = forms.BooleanField(required=False, help_text="Report what the import would do; write nothing.")
    replace = forms.BooleanField(
        required=False, help_text="Replace the annotator's existing layer on an article instead of failing."
    )
    language = forms.CharField(max_length=20, required=False, help_text="Language code for .txt files, e.g. en.")
    format = forms.ChoiceField(
        choices=[("", "by the file's suffix"), *((key, key) for key in FORMAT_KEYS)], required=False,
        help_text="The file's format when its suffix does not say it (doccano's .jsonl: doccano).",
    )
    label_map = forms.FileField(
        required=False,
        help_text="Their span labels and relation types -> ours: a JSON object or a two-column TSV.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_file(self):
        upload = self.cleaned_data["file"]
        problem = upload_problem(upload, format=self.data.get("format"))
        if problem:
            raise forms.ValidationError(problem)
        return upload

    def clean_label_map(self):
        upload = self.cleaned_data["label_map"]
        if not upload:
            return None
        try:
            return load_label_map(upload.read(), upload.name)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        if data.get("reanchor") and not data.get("update"):
            self.add_error("reanchor", "Re-anchoring needs update: it re-anchors the articles the file updates.")
        return data

    def clean_create_project(self):
        create = self.cleaned_data["create_project"]
        if create and not self.user.has_perm("annotate.add_project"):
            raise forms.ValidationError("You may not create projects.")
        return create


def import_view(model_admin, request):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    bound = request.method == "POST"
    form = ImportForm(request.POST if bound else None, request.FILES if bound else None, user=request.user)
    if bound and form.is_valid():
        data = form.cleaned_data
        annotator = data["annotator"]
        # The upload is copied to the storage and read by the worker; the request answers at once.
        job = start_import(
            data["file"],
            user=request.user,
            project_slug=data["project"],
            annotator=annotator.username if annotator else None,
            create_project=data["create_project"],
            update=data["update"],
            replace=data["replace"],
            reanchor=data["reanchor"],
            dry_run=data["dry_run"],
            language=data["language"],
            format=data["format"] or None,
            label_map=data["label_map"],
        )
        return redirect(reverse("admin:annotate_job_change", args=[job.pk]))

    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Import articles",
        "opts": model_admin.opts,
        "form": form,
        "project_slugs": Project.objects.order_by("slug").values_list("slug", flat=True),
    }
    return TemplateResponse(request, "admin/annotate/article/import_articles.html", context)
