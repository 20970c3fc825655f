"""Background jobs in the admin: the jobs a user may see, each job's page (live progress, result), cancel, delete.

Who sees a job is the jobs' own rule (annotate/jobs/lifecycle.visible_to: its starter while still a
member of its project, the project's managers, superusers), not a Django model permission: whoever may
start an import here must be able to follow it. Every view goes through `get_queryset`, so another
project's job is a 404. Nothing on a job is edited; it is cancelled while it runs and deleted, with its
files, once it has ended.
"""
import json
from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from .. import jobs
from ..jobs import kinds as _kinds  # noqa: F401 - registers the built-in kinds, for their labels
from ..jobs.live import last_beats
from ..jobs.registry import KINDS
from ..models import Article, Job
from ..services.importing.report import ImportProblem

SKIPPED_SHOWN = 20  # an import's skipped records listed on its page; the rest are counted


def kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return kind.label if kind else name


class KindFilter(admin.SimpleListFilter):
    """By kind, from the registry: no DISTINCT over the jobs table to list them."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return sorted(((name, kind.label) for name, kind in KINDS.items()), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["number", "kind_name", "project", "status", "progress", "started_by", "created_at",
                    "finished_at"]
    list_display_links = ["number"]
    list_filter = ["status", KindFilter]
    list_select_related = ["project", "started_by"]
    actions = ["cancel_jobs"]

    def get_queryset(self, request):
        return jobs.visible_to(request.user).select_related("project", "started_by")

    # Permissions: visibility is the queryset's; the admin site already asks for staff.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False  # jobs are started by the import page, the export action, the API and the commands

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A running job's files are still being read or written: cancel it first.
        return self.has_view_permission(request) and (obj is None or not obj.is_active)

    # The list.
    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        page = list(changelist.result_list)
        jobs.reap(page)  # a job whose worker died shows as failed, not "running" forever
        # Running jobs' progress from the jobs cache, read once for the page.
        beats = last_beats(job.pk for job in page if job.status == Job.Status.RUNNING)
        for job in page:
            job.live_progress = jobs.progress_of(job, beats.get(job.pk, {}))
        changelist.result_list = page
        return changelist

    @admin.display(description="job", ordering="id")
    def number(self, job):
        return f"#{job.pk}"

    @admin.display(description="kind", ordering="kind")
    def kind_name(self, job):
        return kind_label(job.kind)

    @admin.display(description="progress")
    def progress(self, job):
        progress = getattr(job, "live_progress", None) or jobs.progress_of(job)
        bar = progress_bar(job, progress)
        if bar["max"] is None:
            return progress["message"] or "–"
        return format_html('<progress value="{}" max="{}"></progress> {}', bar["value"], bar["max"], bar["text"])

    # Cancelling.
    @admin.action(description="Cancel selected jobs (queued or running)")
    def cancel_jobs(self, request, queryset):
        active = [job for job in queryset if job.is_active]
        for job in active:
            jobs.cancel(job)
        ended = queryset.count() - len(active)
        if active:
            self.message_user(request, f"Cancelled {len(active)} job(s): a running job stops at its next step "
                                       "and leaves nothing written.", messages.SUCCESS)
        if ended:
            self.message_user(request, f"{ended} job(s) had already ended; nothing to cancel.", messages.WARNING)

    def cancel_view(self, request, object_id):
        job = self.visible_job(request, object_id)
        if job.is_active:
            jobs.cancel(job)
            self.message_user(request, f"Job #{job.pk} cancelled: a running job stops at its next step and "
                                       "leaves nothing written.", messages.SUCCESS)
        else:
            self.message_user(request, f"Job #{job.pk} had already ended ({job.status}).", messages.WARNING)
        return redirect(reverse("admin:annotate_job_change", args=[job.pk]))

    # Deleting: the rows and the files they name (an upload not yet read, a snapshot).
    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        active = [f"job #{job.pk} ({job.status})" for job in objs if job.is_active]
        if active:
            perms_needed.add(f"queued or running jobs, to cancel first: {', '.join(active)}")
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        self.delete_queryset(request, Job.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        jobs.delete_ended(queryset)

    # The job's page, in place of the change form.
    def get_urls(self):
        return [
            path("<path:object_id>/cancel/", self.admin_site.admin_view(require_POST(self.cancel_view)),
                 name="annotate_job_cancel"),
            *super().get_urls(),
        ]

    def visible_job(self, request, object_id) -> Job:
        job = self.get_object(request, unquote(object_id))
        if job is None:
            raise Http404("No such job.")
        jobs.reap([job])
        return job

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.visible_job(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            **job_page_context(job),
            "title": f"{kind_label(job.kind)}: job #{job.pk}",
            "opts": self.opts,
            "has_delete_permission": self.has_delete_permission(request, job),
        }
        return TemplateResponse(request, "admin/annotate/job/job_page.html", context)


def progress_bar(job: Job, progress: dict) -> dict:
    """A <progress>'s value and max (max None: not known yet) and its caption, as the page's script draws it."""
    done, total, message = progress["done"] or 0, progress["total"], progress["message"] or ""
    if job.status == Job.Status.DONE:
        top = total if total else 1
        value, maximum = top, top
    elif total:
        value, maximum = min(done, total), total
    else:
        value, maximum = None, None
    counts = f"{done} / {total}" if total else (str(done) if done else "")
    return {"value": value, "max": maximum, "text": " – ".join(part for part in (counts, message) if part)}


def job_page_context(job: Job) -> dict:
    progress = jobs.progress_of(job)
    context = {
        "job": job,
        "kind_label": kind_label(job.kind),
        "progress": progress,
        "bar": progress_bar(job, progress),
        "arguments": [(name, shown_value(value)) for name, value in job.arguments.items()],
        "log": jobs.log_of(job),
        "api_url": reverse("api:job-detail", args=[job.pk]),
        "cancel_url": reverse("admin:annotate_job_cancel", args=[job.pk]),
        "duration": took(job),
        "result_json": json.dumps(job.result, indent=2, ensure_ascii=False) if job.result is not None else "",
    }
    error = job.error or {}
    context["error_message"] = error.get("message", "")
    context["problems"] = [str(as_problem(problem)) for problem in error.get("problems", [])]
    context["problems_truncated"] = bool(error.get("truncated"))
    result = job.result if isinstance(job.result, dict) else {}
    if job.kind == "import" and result:
        context["import_counts"] = [
            ("articles created", result.get("articles_created", 0)),
            ("articles updated", result.get("articles_updated", 0)),
            ("records skipped", len(result.get("skipped", []))),
            ("annotation layers created", result.get("layers_created", 0)),
            ("layers replaced", result.get("layers_replaced", 0)),
            ("spans", result.get("spans", 0)),
            ("relations", result.get("relations", 0)),
            ("stances", result.get("stances", 0)),
            ("sources (entities) created", result.get("entities_created", 0)),
        ]
        context["import_counts"] += [  # --reanchor: the spans of the corrected articles' layers
            (f"spans {outcome} by re-anchoring", sum(article[outcome] for article in result["reanchored"]))
            for outcome in ("moved", "flagged", "unchanged") if result.get("reanchored")]
        skipped = result.get("skipped", [])
        context["skipped"] = skipped[:SKIPPED_SHOWN]
        context["skipped_hidden"] = max(len(skipped) - SKIPPED_SHOWN, 0)
        if job.project_id:
            context["articles_url"] = (f"{reverse('admin:annotate_article_changelist')}"
                                       f"?project__id__exact={job.project_id}")
            context["articles_name"] = Article._meta.verbose_name_plural
    elif job.kind == "snapshot" and result.get("download_url"):
        context["download"] = {**result, "size": filesizeformat(result.get("bytes", 0))}
    return context


def shown_value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in (None, "", [], {}):
        return "–"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def took(job: Job) -> str:
    if not (job.started_at and job.finished_at):
        return ""
    seconds = (job.finished_at - job.started_at).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    return str(timedelta(seconds=round(seconds)))


def as_problem(problem: dict) -> ImportProblem:
    """An import problem recorded on the job, to be written as the import writes it (file:line: field: message)."""
    return ImportProblem(file=problem.get("file", ""), line=problem.get("line"), field=problem.get("field", ""),
                         message=problem.get("message", ""))
