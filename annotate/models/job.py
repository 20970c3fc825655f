"""Long work done off the request: what was asked, by whom, and how it went (annotate/jobs/).

A Job is the record people see (admin, API, CLI); the task backend (django-tasks: the database
backend embedded, RQ on Redis to scale out) only carries its id to a worker. The row is written at
three moments: when the job is started, when a worker claims it, and when it ends. While it runs,
its progress and heartbeat travel through the jobs cache (annotate/jobs/live.py), because an
import holds its own transaction (and, on SQLite, the database's write lock) for its whole length.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q

from .project import Project


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE = frozenset({Status.QUEUED, Status.RUNNING})

    kind = models.CharField(max_length=30)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs")
    # A job outlives its starter's account; the history of who did what lives in the layers' events.
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="jobs")
    arguments = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # The last progress written to the row (at the end); a running job's live progress is in the jobs cache.
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(null=True, blank=True)
    progress_message = models.CharField(max_length=200, blank=True)
    result = models.JSONField(null=True, blank=True)
    # {"message": ..., and per kind e.g. "problems": [{"file", "line", "field", "message"}]}
    error = models.JSONField(null=True, blank=True)
    log = models.TextField(blank=True)
    # Files in the default storage: what the job reads (an upload) and what it wrote (a snapshot).
    input_file = models.CharField(max_length=300, blank=True)
    output_file = models.CharField(max_length=300, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["started_by", "-created_at"], name="job_by_starter"),
            models.Index(fields=["project", "-created_at"], name="job_by_project"),
            models.Index(fields=["status", "finished_at"], name="job_by_status"),
        ]
        constraints = [
            # Refreshing a project's figures twice at once would only do the work twice: one at a time.
            models.UniqueConstraint(fields=["project", "kind"], condition=Q(status__in=["queued", "running"],
                                    kind="figures"), name="one_figures_refresh_at_a_time"),
        ]

    def __str__(self):
        return f"{self.kind} job {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE
