"""A release: a named, frozen version of a project's corpus (`v1`), written once to files with checksums.

The files live under MEDIA_ROOT/releases/<project>/<name>/ (annotate/jobs/kinds/releases.py writes them,
api/views/releases.py serves them). They are never rewritten: the live layers may change afterwards, a
release's bytes do not. They are not a job's output_file, so the jobs' retention (clean_jobs) leaves them.
"""
from django.conf import settings
from django.core.validators import validate_slug
from django.db import models

from .job import Job
from .project import Project


class Release(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building"
        READY = "ready"
        FAILED = "failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="releases")
    # A slug (letters, digits, - and _): it is a directory name and a URL segment.
    name = models.CharField(max_length=50, validators=[validate_slug])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    # The job that wrote it; jobs are deleted after JOB_RETENTION_DAYS, the release stays.
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The export filters of the cut: {"status": ...} (docs/export.md, "Releases and dataset cards").
    filters = models.JSONField(default=dict, blank=True)
    # {"jsonl": {"path", "sha256", "bytes", "records"}, ..., "card": {...}, "checksums": {...}}; paths are
    # relative to MEDIA_ROOT. Written once, with status ready.
    manifest = models.JSONField(default=dict, blank=True)
    # The highest layer id in the cut and the number of layers: the same for every format.
    up_to = models.BigIntegerField(null=True, blank=True)
    records = models.BigIntegerField(default=0)
    card = models.TextField(blank=True, help_text="The dataset card (README.md of the release).")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="release_name_unique_per_project"),
        ]

    def __str__(self):
        return f"{self.project.slug} {self.name}"

    @property
    def directory(self) -> str:
        """Relative to MEDIA_ROOT."""
        return f"releases/{self.project.slug}/{self.name}"

    def settle(self) -> "Release":
        """A release whose job ended without marking it ready (failed, cancelled, lost worker, deleted) failed."""
        if self.status != self.Status.BUILDING:
            return self
        job = self.job
        if job is None or not job.is_active:
            message = (job.error or {}).get("message", "") if job is not None else "its job was deleted"
            if Release.objects.filter(pk=self.pk, status=self.Status.BUILDING).update(
                    status=self.Status.FAILED, error=message or f"its job ended {job.status}"):
                self.status, self.error = self.Status.FAILED, message
        return self
