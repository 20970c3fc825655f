"""Background jobs: long work (imports, snapshots, agreement reports, figures, webhooks) off the request.

    job = jobs.start("snapshot", user=user, project=project, arguments={"format": "jsonl"})
    ...                                   # a worker runs it: manage.py db_worker, or rqworker on RQ
    jobs.progress_of(job)                 # {"done", "total", "message"}

    models/job.py   Job: who started what, its status, progress, result, error and log
    backend.py      Django's Tasks API (django.tasks or the django-tasks backport), and how it enqueues
    runner.py       run_job(job_id), the one task: claims the job once, runs its kind, records the end
    context.py      JobContext: what a kind's code reports (progress, log) and checks (cancel)
    live.py         progress, heartbeat and cancel requests of running jobs, through the jobs cache
    lifecycle.py    start, visible_to, cancel, reap (a lost worker's job fails), delete_ended, clean (retention)
    registry.py     the kinds by name; kinds/ holds the built-in ones, each registered by @kind
    events.py       what a finished job tells the project's webhooks
"""
from .context import JobCancelled, JobContext, JobFailed
from .lifecycle import cancel, clean, delete_ended, log_of, progress_of, reap, start, visible_to
from .registry import kind

__all__ = ["JobCancelled", "JobContext", "JobFailed", "cancel", "clean", "delete_ended", "kind", "log_of",
           "progress_of", "reap", "start", "visible_to"]
