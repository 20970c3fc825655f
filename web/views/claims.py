"""The Claims page: claims made across articles, grouped (docs/claims.md), for reviewers and managers.

A page of clusters costs a fixed number of queries (annotate/claims/reading.py); the per-month counts are
small SVG charts drawn on the server (web/charts.py). Merges, splits and moves are plain POST forms that
come back here with a message; no script.
"""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from annotate.access import reviewed_project
from annotate.claims import curation, reading
from annotate.jobs import progress_of
from annotate.jobs.kinds.claims import active_clustering, cluster_in_background
from annotate.models import ClaimCluster

from .. import charts

CLUSTERS_PER_PAGE = 25
MEMBERS_ON_THE_LIST = 3


def _month_chart(months: list[tuple[str, int]]):
    if len(months) < 2:
        return None
    return charts.line_chart([(month, {"articles": n}) for month, n in months], ["articles"],
                             title="Articles per month", width=260, height=90)


def _running(project) -> dict | None:
    job = active_clustering(project)
    return {"id": job.pk, "status": job.status, **progress_of(job)} if job else None


@login_required
def claims(request, slug):
    project = reviewed_project(request.user, slug)
    try:
        min_size = max(1, int(request.GET.get("min_size", 2)))
    except ValueError:
        min_size = 2
    page = Paginator(ClaimCluster.objects.filter(project=project).listed(min_size=min_size),
                     CLUSTERS_PER_PAGE).get_page(request.GET.get("page"))
    clusters = reading.page(list(page.object_list), members_limit=MEMBERS_ON_THE_LIST, per_month=True)
    for cluster in clusters:
        cluster["chart"] = _month_chart(cluster["months"])
    computed = ClaimCluster.objects.filter(project=project).order_by("-computed_at").values_list(
        "computed_at", flat=True).first()
    return render(request, "annotate/review/claims.html", {
        "project": project, "tab": "claims", "page": page, "clusters": clusters, "min_size": min_size,
        "computed_at": computed, "running": _running(project),
    })


@login_required
def claim_detail(request, slug, pk):
    cluster = reading.reviewed_cluster(request.user, slug, pk)
    project = cluster.project
    shown = reading.page([cluster], members_limit=reading.MEMBERS_IN_DETAIL, context=True, per_month=True)[0]
    search = reverse("annotate:search", args=[project.slug])
    for member in shown["members"]:
        member["search"] = f"{search}?{urlencode({'q': _phrase(member['text'])})}"
    months = shown["months"]
    return render(request, "annotate/review/claim_detail.html", {
        "project": project, "tab": "claims", "cluster": shown,
        "chart": charts.bar_chart([(month, {"articles": n}) for month, n in months], ["articles"],
                                  title="Articles per month", colors={"articles": "#2f5bd3"}, width=520)
        if months else None,
        "search": f"{search}?{urlencode({'q': _phrase(shown['text'])})}",
    })


def _phrase(text: str) -> str:
    """A search for the claim's words as a phrase (the query language's quotes; inner quotes dropped)."""
    words = text.replace('"', " ").split()
    return '"' + " ".join(words[:12]) + '"'


def _back(cluster_or_project, pk=None):
    if pk is None:
        return redirect("review:claims", cluster_or_project.slug)
    return redirect("review:claim", cluster_or_project.slug, pk)


def _other(cluster: ClaimCluster, value) -> ClaimCluster | None:
    pk = _span(value)
    return None if pk is None else ClaimCluster.objects.filter(project_id=cluster.project_id, pk=pk).first()


def _span(value) -> int | None:
    """A row id typed in a form, or None: a number past a 64-bit column would fail in the driver."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk < 2**63 else None


@login_required
@require_POST
def merge_claims(request, slug, pk):
    cluster = reading.reviewed_cluster(request.user, slug, pk)
    into = _other(cluster, request.POST.get("into"))
    if into is None:
        messages.error(request, "Give the number of another claim cluster of this project to merge into.")
        return _back(cluster.project, cluster.pk)
    try:
        kept = curation.merge_clusters(cluster=cluster, into=into, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(cluster.project, cluster.pk)
    messages.success(request, f"Merged claim {cluster.pk} into claim {kept.pk}; it stays merged when the clusters "
                              "are computed again.")
    return _back(cluster.project, kept.pk)


@login_required
@require_POST
def split_claim(request, slug, pk):
    cluster = reading.reviewed_cluster(request.user, slug, pk)
    try:
        alone = curation.split_member(cluster=cluster, span=_span(request.POST.get("span")), user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(cluster.project, cluster.pk)
    messages.success(request, f"The claim is now on its own (claim {alone.pk}) and stays apart from this one when "
                              "the clusters are computed again.")
    return _back(cluster.project, cluster.pk)


@login_required
@require_POST
def move_claim(request, slug, pk):
    cluster = reading.reviewed_cluster(request.user, slug, pk)
    to = _other(cluster, request.POST.get("to"))
    if to is None:
        messages.error(request, "Give the number of another claim cluster of this project to move it to.")
        return _back(cluster.project, cluster.pk)
    try:
        curation.move_member(cluster=cluster, span=_span(request.POST.get("span")), to=to, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(cluster.project, cluster.pk)
    messages.success(request, f"Moved to claim {to.pk}; remembered when the clusters are computed again.")
    if ClaimCluster.objects.filter(pk=cluster.pk).exists():
        return _back(cluster.project, cluster.pk)
    return _back(cluster.project, to.pk)


@login_required
@require_POST
def recompute_claims(request, slug):
    project = reviewed_project(request.user, slug)
    job = cluster_in_background(project, user=request.user)
    messages.success(request, f"Computing the claim clusters (job {job.pk}); reload this page to follow it.")
    return redirect("review:claims", project.slug)
