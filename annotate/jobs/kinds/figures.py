"""Counting a project's stale dashboard figures, or recounting them all (services/figures.py)."""
from django.db import IntegrityError, transaction

from ...models import Job
from ...services import figures
from ..lifecycle import start
from ..registry import kind


@kind("figures", label="Dashboard figures")
def run_figures(context, *, rebuild: bool = False) -> dict:
    project = context.job.project
    if rebuild:
        context.phase("forgetting the figures")
        figures.rebuild(project)
    context.phase("counting the dashboards' figures", total=figures.stale_count(project))
    counted = figures.settle_all(project, progress=context.advance)
    return {"articles_counted": counted, "rebuilt": rebuild}


def active_refresh(project) -> Job | None:
    """The project's figures job that is queued or running, if any."""
    return Job.objects.filter(project=project, kind="figures", status__in=Job.ACTIVE).first()


def refresh_in_background(project) -> Job | None:
    """The job counting the project's stale figures: the one queued or running, else a new one.

    Pages count a bounded number of stale articles themselves (figures.settle); what is left after a bulk
    change (an import by SQL, a rebuild) is counted by this job, at most one per project at a time (a
    partial unique constraint), so a page never waits for it and never queues a second one.
    """
    active = active_refresh(project)
    if active is not None:
        return active
    try:
        with transaction.atomic():
            return start("figures", project=project)
    except IntegrityError:  # another request queued it a moment ago
        return active_refresh(project)
