"""A project's claim clusters computed again: read the claims, cluster them, apply the reviewers' decisions,
keep the ids of clusters that stay, write (the `claims` job runs this; docs/claims.md).

Memory is the claims themselves (one small tuple each, read in keyset batches) and the core's vectors;
the write is one transaction that replaces the project's clusters and members, so a reader sees the old
computation or the new one, never half of each.
"""
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import router, transaction
from django.utils import timezone

from ..models import ClaimCluster, ClaimLink, ClaimMember, Label, Project, Span
from ..services.figures import in_corpus
from .clustering import ClaimText, configured_embedder
from .clustering import cluster as cluster_texts

CLAIM_LABELS = ("CLAIM", "QUOTE")
BATCH = 5000  # spans read per query
WRITE_BATCH = 2000  # rows per INSERT
DEFAULT_THRESHOLD = 0.55


def threshold() -> float:
    """The cosine at which two claims are linked: the setting CLAIM_SIMILARITY_THRESHOLD, else 0.55."""
    return float(getattr(settings, "CLAIM_SIMILARITY_THRESHOLD", DEFAULT_THRESHOLD))


@dataclass(frozen=True)
class Claim:
    span: int
    annotation: int
    article: int
    published: date | None
    text: str
    language: str


def claim_spans(project: Project):
    """The project's CLAIM and QUOTE spans in the corpus: annotators' submitted layers and adjudicated gold."""
    labels = Label.objects.filter(project=project, name__in=CLAIM_LABELS).values("pk")
    return Span.objects.filter(label__in=labels, annotation__article__project=project).filter(in_corpus("annotation__"))


def read_claims(project: Project, *, progress: Callable[[int], None] | None = None) -> list[Claim]:
    """Every claim of the project, in span id order, a batch at a time (`pk > last LIMIT n`)."""
    rows = claim_spans(project).order_by("pk").values_list(
        "pk", "annotation_id", "annotation__article_id", "annotation__article__published", "text",
        "annotation__article__language")
    claims: list[Claim] = []
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        claims.extend(Claim(*row) for row in batch)
        if progress:
            progress(len(batch))
        if len(batch) < BATCH:
            return claims
        last = batch[-1][0]


# --- the reviewers' decisions ------------------------------------------------------------------------------


class Groups:
    """Clusters as sets of span ids, with their representatives, changed by the decisions."""

    def __init__(self, clusters: Iterable[tuple[Iterable[int], int]]):
        self.members: dict[int, set[int]] = {}
        self.representative: dict[int, int] = {}
        self.of: dict[int, int] = {}
        self._next = 0
        for members, representative in clusters:
            self._add(set(members), representative)

    def _add(self, members: set[int], representative: int) -> int:
        key = self._next
        self._next += 1
        self.members[key] = members
        self.representative[key] = representative
        for span in members:
            self.of[span] = key
        return key

    def take_out(self, span: int) -> None:
        group = self.members[self.of[span]]
        if len(group) == 1:
            return
        key = self.of[span]
        group.discard(span)
        if self.representative[key] == span:
            self.representative[key] = min(group)
        self._add({span}, span)

    def join(self, a: int, b: int, apart: dict[int, set[int]]) -> bool:
        """Put a's and b's groups together unless that would join a pair kept apart."""
        ka, kb = self.of[a], self.of[b]
        if ka == kb:
            return False
        big, small = (ka, kb) if (len(self.members[ka]), -self.representative[ka]) >= (
            len(self.members[kb]), -self.representative[kb]) else (kb, ka)
        for span in self.members[small]:
            if any(self.of.get(other) == big for other in apart.get(span, ())):
                return False
        for span in self.members[small]:
            self.of[span] = big
        self.members[big] |= self.members.pop(small)
        del self.representative[small]
        return True

    def result(self) -> list[tuple[tuple[int, ...], int]]:
        """(sorted members, representative), in the order of their lowest span id."""
        return sorted(((tuple(sorted(members)), self.representative[key]) for key, members in self.members.items()),
                      key=lambda group: group[0][0])


def apply_decisions(groups: Groups, links: Iterable[tuple[str, int, int]]) -> Groups:
    """Apply `(kind, span, other)` decisions, in the order they were taken, to computed groups.

    `apart` first: a span taken out of its cluster goes out again if the computation put it back with any
    span it was taken from. Then `together`: the two spans' groups are joined, unless that would put an
    `apart` pair back together (the later split wins over the earlier merge). Spans no longer in the
    corpus are skipped.
    """
    links = [link for link in links if link[1] in groups.of and link[2] in groups.of]
    apart: dict[int, set[int]] = {}
    for kind, span, other in links:
        if kind == ClaimLink.Kind.APART:
            apart.setdefault(span, set()).add(other)
            apart.setdefault(other, set()).add(span)
    for kind, span, other in links:
        if kind == ClaimLink.Kind.APART and groups.of[span] == groups.of[other]:
            groups.take_out(span)
    for kind, span, other in links:
        if kind == ClaimLink.Kind.TOGETHER:
            groups.join(span, other, apart)
    return groups


# --- ids kept across computations ---------------------------------------------------------------------------


def kept_ids(groups: list[tuple[int, ...]], previous: dict[int, int]) -> list[int | None]:
    """For each new group, the id of the previous cluster it continues, or None (a new cluster).

    A new group continues an old cluster when it holds more than half of that cluster's members (so at
    most one group can); a group holding the majority of several (two clusters that came together) keeps
    the id of the one it holds most of, then the lowest id.
    """
    old_sizes = Counter(previous.values())
    kept: list[int | None] = []
    for members in groups:
        overlap = Counter(previous[span] for span in members if span in previous)
        candidates = [(-n, old) for old, n in overlap.items() if 2 * n > old_sizes[old]]
        kept.append(min(candidates)[1] if candidates else None)
    return kept


# --- the whole computation --------------------------------------------------------------------------------


@dataclass
class Outcome:
    claims: int
    clusters: int
    multi: int  # clusters of two claims or more
    kept: int  # ids carried over from the previous computation
    threshold: float

    def as_dict(self) -> dict:
        return {"claims": self.claims, "clusters": self.clusters, "clusters_of_two_or_more": self.multi,
                "ids_kept": self.kept, "threshold": self.threshold}


def compute(project: Project, *, similarity: float | None = None, context=None) -> Outcome:
    """Cluster the project's claims and replace its clusters (`context`: a job's, for progress)."""
    similarity = threshold() if similarity is None else similarity
    if context:
        context.phase("reading the claims", total=claim_spans(project).count())
    claims = read_claims(project, progress=context.advance if context else None)
    if context:
        context.phase(f"clustering {len(claims)} claims")
    computed = cluster_texts([ClaimText(c.span, c.text, c.language) for c in claims], threshold=similarity,
                             embedder=configured_embedder())
    if context:
        context.phase("writing the clusters")
    return _write(project, claims, [(c.members, c.representative) for c in computed], similarity)


def lock(project: Project) -> None:
    """One writer of a project's clusters at a time: the job's write and reviewers' decisions queue here, so
    a decision taken while the job clustered is read by the job's write (it reads the links after this)."""
    Project.objects.select_for_update().filter(pk=project.pk).values_list("pk").first()


@transaction.atomic
def _write(project: Project, claims: list[Claim], computed, similarity: float) -> Outcome:
    lock(project)
    links = ClaimLink.objects.filter(project=project).order_by("pk").values_list("kind", "span_id", "other_id")
    groups = apply_decisions(Groups(computed), links.iterator(chunk_size=WRITE_BATCH)).result()
    previous = dict(ClaimMember.objects.filter(cluster__project=project).values_list("span_id", "cluster_id"))
    ids = kept_ids([members for members, _ in groups], previous)
    by_span = {claim.span: claim for claim in claims}
    now = timezone.now()
    # Replaced, not updated: rows with their kept ids are written again, which is one INSERT per batch where
    # an UPDATE of changed figures would be one statement per cluster. Members go first (they point at
    # their clusters); nothing else points at a cluster.
    ClaimMember.objects.filter(cluster__project=project).delete()
    ClaimCluster.objects.filter(project=project)._raw_delete(router.db_for_write(ClaimCluster))
    clusters = [_cluster(project, [by_span[span] for span in members], by_span[representative], pk, now)
                for (members, representative), pk in zip(groups, ids, strict=True)]
    clusters = ClaimCluster.objects.bulk_create(clusters, batch_size=WRITE_BATCH)
    ClaimMember.objects.bulk_create(
        (ClaimMember(cluster_id=cluster.pk, span_id=span, annotation_id=by_span[span].annotation,
                     article_id=by_span[span].article)
         for cluster, (members, _) in zip(clusters, groups, strict=True) for span in members),
        batch_size=WRITE_BATCH)
    return Outcome(claims=len(claims), clusters=len(groups), multi=sum(len(m) > 1 for m, _ in groups),
                   kept=sum(pk is not None for pk in ids), threshold=similarity)


def _cluster(project, members: list[Claim], representative: Claim, pk, now) -> ClaimCluster:
    dates = [claim.published for claim in members if claim.published]
    return ClaimCluster(pk=pk, project=project, representative_id=representative.span, text=representative.text,
                        size=len(members), articles=len({claim.article for claim in members}),
                        first_published=min(dates, default=None), last_published=max(dates, default=None),
                        computed_at=now)
