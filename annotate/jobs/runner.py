"""The one task every backend runs: run_job(job_id). The job's row says what to do.

A job runs at most once: a worker claims it by moving it from queued to running in one conditional
UPDATE, so a second delivery of the same task (an RQ retry, a worker restarted mid-claim, a
duplicate enqueue) finds nothing to claim and returns.
"""
import logging
import traceback

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from ..models import Job
from . import live, registry
from .backend import task
from .context import JobCancelled, JobContext, JobFailed

logger = logging.getLogger(__name__)

LOG_LIMIT = 100_000  # characters of a job's log kept on its row


@task(queue_name=settings.JOBS_QUEUE)
def run_job(job_id: int) -> str:
    return execute(job_id)


def execute(job_id: int) -> str:
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        logger.info("job %s: not queued (cancelled, already run, or deleted): nothing to do", job_id)
        return "skipped"
    job = Job.objects.get(pk=job_id)
    context = JobContext(job)
    outcome: dict = {}
    with context.beating():
        try:
            result = registry.get(job.kind).run(context, **job.arguments)
        except JobCancelled:
            context.log("cancelled")
            outcome = {"status": Job.Status.CANCELLED, "error": {"message": "Cancelled at the user's request."}}
        except JobFailed as failed:
            context.log(f"failed: {failed.error.get('message', '')}")
            outcome = {"status": Job.Status.FAILED, "error": failed.error}
        except Exception as error:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            context.log("".join(traceback.format_exception(error)))
            outcome = {"status": Job.Status.FAILED,
                       "error": {"message": f"Internal error ({type(error).__name__}): {error}"}}
        else:
            outcome = {"status": Job.Status.DONE, "result": result}
    _finish(job, context, **outcome)
    return outcome["status"]


def _finish(job: Job, context: JobContext, *, status: str, result=None, error=None) -> None:
    log = "\n".join(context.lines)
    Job.objects.filter(pk=job.pk).update(
        status=status,
        result=result,
        error=error,
        finished_at=timezone.now(),
        progress_done=context.done,
        progress_total=context.total,
        progress_message=context.message[:200],
        log=log[-LOG_LIMIT:],
    )
    live.forget(job.pk)
    job.refresh_from_db()
    from . import events

    events.job_finished(job)
