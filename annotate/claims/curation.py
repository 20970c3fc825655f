"""A reviewer's decisions about claim clusters: merge two, split a member out, move a member to another.

Each is applied to the current clusters at once and recorded as `ClaimLink` rows about spans, which the
next computation applies again (computing.apply_decisions; docs/claims.md, "Decisions"). A decision about
two spans replaces any earlier one about the same two, in either direction.
"""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from ..models import ClaimCluster, ClaimLink, ClaimMember, Span
from .computing import lock

TOGETHER, APART = ClaimLink.Kind.TOGETHER, ClaimLink.Kind.APART


def check_same_project(cluster: ClaimCluster, other: ClaimCluster) -> None:
    if cluster.project_id != other.project_id:
        raise ValidationError({"into": "a cluster of the same project."})
    if cluster.pk == other.pk:
        raise ValidationError({"into": "another cluster than this one."})


@transaction.atomic
def merge_clusters(*, cluster: ClaimCluster, into: ClaimCluster, user) -> ClaimCluster:
    """Every member of `cluster` joins `into`; `cluster` is gone. Remembered as each member `together` with
    `into`'s anchor (its representative), so a member later split out leaves the others merged."""
    check_same_project(cluster, into)
    lock(cluster.project)
    members = list(ClaimMember.objects.filter(cluster=cluster).values_list("span_id", flat=True))
    anchor = _anchor(into)
    # The later decision wins: members once split apart from `into`'s are no longer kept apart.
    _forget(Q(kind=APART) & (Q(span__in=members, other__in=_spans_of(into))
                             | Q(other__in=members, span__in=_spans_of(into))))
    if anchor is not None:
        _decide(cluster.project_id, TOGETHER, [(span, anchor) for span in members], user)
    ClaimMember.objects.filter(cluster=cluster).update(cluster=into)
    cluster.delete()
    refresh([into])
    return into


@transaction.atomic
def split_member(*, cluster: ClaimCluster, span: int, user) -> ClaimCluster:
    """The member `span` leaves `cluster` for a cluster of its own (returned), and is kept apart from the
    members it leaves."""
    lock(cluster.project)
    member = _member(cluster, span)
    if cluster.members.count() < 2:
        raise ValidationError({"span": "this claim is already alone in its cluster."})
    _take_out(cluster, span, user)
    alone = ClaimCluster.objects.create(project_id=cluster.project_id, representative_id=span, text="", size=1,
                                        articles=1, computed_at=timezone.now())
    member.cluster = alone
    member.save(update_fields=["cluster"])
    refresh([cluster, alone])
    return alone


@transaction.atomic
def move_member(*, cluster: ClaimCluster, span: int, to: ClaimCluster, user) -> ClaimCluster:
    """The member `span` leaves `cluster` for `to`: kept apart from the members it leaves, together with `to`.
    A cluster left empty is gone."""
    if cluster.project_id != to.project_id or cluster.pk == to.pk:
        raise ValidationError({"to": "another cluster of the same project."})
    lock(cluster.project)
    member = _member(cluster, span)
    _take_out(cluster, span, user)
    anchor = _anchor(to)
    _forget(Q(span=span, other__in=_spans_of(to)) | Q(other=span, span__in=_spans_of(to)))
    if anchor is not None:
        _decide(cluster.project_id, TOGETHER, [(span, anchor)], user)
    member.cluster = to
    member.save(update_fields=["cluster"])
    if cluster.members.exists():
        refresh([cluster, to])
    else:
        cluster.delete()
        refresh([to])
    return to


def refresh(clusters: list[ClaimCluster]) -> None:
    """A cluster's figures and representative counted again from its members (a few queries each)."""
    for cluster in clusters:
        figures = ClaimMember.objects.filter(cluster=cluster).aggregate(
            size=Count("pk"), articles=Count("article", distinct=True), first=Min("article__published"),
            last=Max("article__published"), lowest=Min("span"))
        spans = ClaimMember.objects.filter(cluster=cluster)
        if cluster.representative_id is None or not spans.filter(span=cluster.representative_id).exists():
            cluster.representative_id = figures["lowest"]
        cluster.text = Span.objects.filter(pk=cluster.representative_id).values_list("text", flat=True).first() or ""
        cluster.size, cluster.articles = figures["size"], figures["articles"]
        cluster.first_published, cluster.last_published = figures["first"], figures["last"]
        cluster.save(update_fields=["representative", "text", "size", "articles", "first_published",
                                    "last_published"])


# --- the decisions -----------------------------------------------------------------------------------------


def _member(cluster: ClaimCluster, span: int) -> ClaimMember:
    member = ClaimMember.objects.filter(cluster=cluster, span_id=span).first()
    if member is None:
        raise ValidationError({"span": "not a member of this cluster."})
    return member


def _spans_of(cluster: ClaimCluster):
    return ClaimMember.objects.filter(cluster=cluster).values("span_id")


def _anchor(cluster: ClaimCluster) -> int | None:
    """The span a cluster's `together` decisions point at: its representative, else its lowest member."""
    if cluster.representative_id and ClaimMember.objects.filter(cluster=cluster,
                                                                span=cluster.representative_id).exists():
        return cluster.representative_id
    return ClaimMember.objects.filter(cluster=cluster).aggregate(lowest=Min("span"))["lowest"]


def _take_out(cluster: ClaimCluster, span: int, user) -> None:
    """Record `span` apart from the rest of `cluster`, replacing earlier decisions between them.

    Members merged into this cluster may point at `span` (it was their anchor): they are pointed at another
    member of the cluster that was not merged with them through `span`, so they stay merged.
    """
    others = set(ClaimMember.objects.filter(cluster=cluster).exclude(span_id=span).values_list("span_id", flat=True))
    joined = list(ClaimLink.objects.filter(kind=TOGETHER, other=span, span__in=others)
                  .values_list("span_id", flat=True))
    _forget(Q(span=span, other__in=others) | Q(other=span, span__in=others))
    rest = sorted(others - set(joined))
    if joined and rest:
        _decide(cluster.project_id, TOGETHER, [(member, rest[0]) for member in joined], user)
    _decide(cluster.project_id, APART, [(span, other) for other in sorted(others)], user)


def _forget(pairs: Q) -> None:
    ClaimLink.objects.filter(pairs).delete()


def _decide(project_id: int, kind: str, pairs: list[tuple[int, int]], user) -> None:
    """Record `kind` for each (span, other), replacing any decision about the same two spans."""
    pairs = [(span, other) for span, other in pairs if span != other]
    for start in range(0, len(pairs), 200):  # a few hundred pairs per statement (SQLite's variable limit)
        chunk = pairs[start:start + 200]
        condition = Q()
        for span, other in chunk:
            condition |= Q(span=span, other=other) | Q(span=other, other=span)
        ClaimLink.objects.filter(condition).delete()
        ClaimLink.objects.bulk_create([ClaimLink(project_id=project_id, kind=kind, span_id=span, other_id=other,
                                                 decided_by=user) for span, other in chunk])
