"""Releases in the admin, read-only: a project's managers (and superusers) see its releases, their files and
checksums, their dataset card, and the job that wrote them. Nothing is edited or deleted here: a release is
frozen (docs/export.md, "Releases and dataset cards"); managers make them through the API."""
import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ..models import Release
from .common import ReadOnlyAdmin
from .webhooks import ProjectManagersOnly


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin, ProjectManagersOnly, admin.ModelAdmin):
    list_display = ["name", "project", "status", "records", "created_by", "created_at", "job_link"]
    list_filter = ["status"]
    list_select_related = ["project", "created_by"]
    search_fields = ["name"]
    fields = ["project", "name", "status", "created_by", "created_at", "filters_json", "records", "up_to",
              "job_link", "files", "error", "card_text"]
    readonly_fields = fields

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def project_id_of(self, release):
        return release.project_id

    @admin.display(description="job")
    def job_link(self, release):
        if release.job_id is None:
            return "-"  # deleted with the jobs' retention; the release stays
        return format_html('<a href="{}">job {}</a>', reverse("admin:annotate_job_change", args=[release.job_id]),
                           release.job_id)

    @admin.display(description="filters")
    def filters_json(self, release):
        return json.dumps(release.filters)

    @admin.display(description="files")
    def files(self, release):
        if not release.manifest:
            return "-"
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>", (
            (name, entry["path"].rsplit("/", 1)[-1], entry["bytes"], entry["sha256"])
            for name, entry in release.manifest.items()))
        return format_html("<table><tr><th>format</th><th>file</th><th>bytes</th><th>SHA-256</th></tr>{}</table>",
                           rows)

    @admin.display(description="dataset card")
    def card_text(self, release):
        return format_html("<pre>{}</pre>", release.card) if release.card else "-"
