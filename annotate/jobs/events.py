"""What a finished job tells the project's webhooks (annotate/webhooks/): imports and snapshots."""
from ..models import Job


def job_finished(job: Job) -> None:
    if job.project_id is None:
        return
    from .. import webhooks

    summary = {"job": job.pk, "kind": job.kind, "status": job.status}
    if job.kind == "import" and job.status in (Job.Status.DONE, Job.Status.FAILED):
        webhooks.emit(job.project, "import.finished", {**summary, "result": job.result, "error": job.error})
    elif job.kind == "snapshot" and job.status == Job.Status.DONE:
        webhooks.emit(job.project, "snapshot.ready", {**summary, "result": job.result})
