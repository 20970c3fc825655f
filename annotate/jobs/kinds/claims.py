"""Computing a project's claim clusters again (annotate/claims/computing.py; docs/claims.md)."""
from ...claims import computing
from ...models import Job
from ..lifecycle import start
from ..registry import kind


@kind("claims", label="Claim clusters")
def run_claims(context, *, threshold: float | None = None) -> dict:
    return computing.compute(context.job.project, similarity=threshold, context=context).as_dict()


def active_clustering(project) -> Job | None:
    """The project's claims job that is queued or running, if any."""
    return Job.objects.filter(project=project, kind="claims", status__in=Job.ACTIVE).order_by("-pk").first()


def cluster_in_background(project, *, user=None, threshold: float | None = None) -> Job:
    """The job computing the project's clusters: the one queued or running, else a new one.

    One at a time is enough (a second would compute the same thing); two requests at the same instant may
    both start one, which costs a computation, not a wrong result: each write replaces the clusters whole.
    """
    return active_clustering(project) or start(
        "claims", user=user, project=project, arguments={} if threshold is None else {"threshold": threshold})
