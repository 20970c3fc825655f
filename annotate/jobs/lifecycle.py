"""Starting, reading, cancelling and forgetting jobs: the doors (admin, API, commands) call these."""
import time
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import Job, Membership
from . import live
from .backend import enqueues_in_transaction
from .runner import run_job


def start(kind: str, *, user=None, project=None, arguments: dict | None = None, input_file: str = "") -> Job:
    """Record a job and queue it. In the caller's transaction: if that rolls back, no job ran or will."""
    with transaction.atomic():
        job = Job.objects.create(kind=kind, project=project, started_by=user, arguments=arguments or {},
                                 input_file=input_file)
        if enqueues_in_transaction():
            _enqueue(job)
        else:
            transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: Job) -> None:
    try:
        result = run_job.enqueue(job.pk)
    except Exception as error:
        if enqueues_in_transaction():
            raise  # the caller's transaction rolls back: no job was recorded
        # After the commit (RQ): the job exists, but no worker will ever hear of it. Say so, not "queued".
        Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
            status=Job.Status.FAILED, finished_at=timezone.now(),
            error={"message": f"The job could not be queued ({type(error).__name__}: {error}); start it again."})
        job.refresh_from_db()
        _discard_input(job)
        return
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.task_id = str(result.id)


def visible_to(user) -> QuerySet[Job]:
    """Jobs a user may see: their own, and every job of a project they manage (superusers: all).

    A starter who has since left the project no longer sees its jobs (or their files).
    """
    if user.is_superuser:
        return Job.objects.all()
    managed = Membership.objects.filter(user=user, role=Membership.Role.MANAGER).values("project_id")
    member_of = Membership.objects.filter(user=user).values("project_id")
    return Job.objects.filter(
        Q(project__in=managed) | Q(started_by=user, project__in=member_of) | Q(started_by=user, project=None)
    )


def cancel(job: Job) -> Job:
    """Stop a job: a queued one at once, a running one at its next progress step (its work rolls back)."""
    if Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED, finished_at=timezone.now(),
        error={"message": "Cancelled at the user's request before it started."},
    ):
        _discard_input(job)
    elif job.status == Job.Status.RUNNING:
        # Not on the row: a running import may hold the database's write lock (SQLite) until it ends.
        live.ask_to_cancel(job.pk)
    job.refresh_from_db()
    return job


def reap(jobs) -> None:
    """Mark failed the running jobs among `jobs` whose worker stopped beating (killed, machine lost).

    Their work was all-or-nothing and rolled back with the worker's connection; nothing is left "running".
    """
    running = [job for job in jobs if job.status == Job.Status.RUNNING]
    if not running:
        return
    beats = live.last_beats(job.pk for job in running)
    now = time.time()
    for job in running:
        started = job.started_at.timestamp() if job.started_at else None
        if live.is_silent(beats.get(job.pk), started, now):
            message = (f"The worker stopped responding (no heartbeat for {settings.JOB_STALE_SECONDS:g} s): it was "
                       "stopped or its machine was lost. Nothing it was writing was kept; start the job again.")
            if Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
                status=Job.Status.FAILED, finished_at=timezone.now(), error={"message": message},
            ):
                job.status, job.error = Job.Status.FAILED, {"message": message}
                job.finished_at = timezone.now()
                _discard_input(job)


def progress_of(job: Job, beat: dict | None = None) -> dict:
    """{"done", "total", "message"}: live while it runs, as recorded once it has ended."""
    if job.status == Job.Status.RUNNING:
        beat = beat if beat is not None else live.last_beat(job.pk)
        if beat:
            return {"done": beat["done"], "total": beat["total"], "message": beat["message"]}
        return {"done": 0, "total": None, "message": "starting"}
    return {"done": job.progress_done, "total": job.progress_total, "message": job.progress_message}


def log_of(job: Job, beat: dict | None = None) -> str:
    """The job's log: its last lines so far while it runs, the whole of it once it has ended."""
    if job.status == Job.Status.RUNNING:
        beat = beat if beat is not None else live.last_beat(job.pk)
        return (beat or {}).get("log", "")
    return job.log


def _discard_input(job: Job) -> None:
    if job.input_file:
        default_storage.delete(job.input_file)


def delete_ended(jobs: QuerySet[Job]) -> int:
    """Delete the ended jobs among `jobs` and, once that has committed, the files they name (an upload not
    yet read, a snapshot): a rolled-back delete keeps its files. Queued and running jobs are kept (cancel
    them first). How many were deleted."""
    ended = jobs.exclude(status__in=Job.ACTIVE)
    files = [name for pair in ended.values_list("input_file", "output_file") for name in pair if name]
    deleted, _ = ended.delete()
    transaction.on_commit(lambda: [default_storage.delete(name) for name in files])
    return deleted


def clean(*, older_than_days: int | None = None) -> int:
    """Delete ended jobs (and their files), the queue's ended task rows and the webhooks' ended deliveries
    older than the retention setting; returns how many jobs."""
    days = settings.JOB_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    reap(Job.objects.filter(status=Job.Status.RUNNING))
    deleted = delete_ended(Job.objects.filter(finished_at__lt=cutoff))
    _forget_old_tasks(cutoff)
    from ..webhooks.delivery import forget_old

    forget_old(cutoff)
    return deleted


def _forget_old_tasks(cutoff) -> None:
    """The database backend's own rows of tasks (the queue) that ended, or were left running by a lost
    worker, before the cutoff: what their jobs say is kept on the jobs themselves."""
    if not apps.is_installed("django_tasks_db"):
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.exclude(status="READY").filter(enqueued_at__lt=cutoff).delete()
