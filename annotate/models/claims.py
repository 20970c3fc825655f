"""Claims that say the same thing across articles: clusters of CLAIM and QUOTE spans, and the reviewers'
decisions about them (docs/claims.md).

Clusters and their members are derived: the `claims` job computes them from the corpus and replaces them
(annotate/claims/computing.py); a reviewer's merge or split changes them at once (annotate/claims/
curation.py). What outlives a recomputation is the cluster's id (kept when most of its members stay
together) and the reviewers' decisions (`ClaimLink`), which the next computation applies again.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .annotation import Annotation, Span
from .article import Article
from .project import Project


class ClaimClusterQuerySet(models.QuerySet):
    def listed(self, *, min_size: int = 2):
        """The order of the Claims page and the API: biggest first, then oldest id."""
        return self.filter(size__gte=min_size).order_by("-size", "id")


class ClaimCluster(models.Model):
    """Claims of several spans (or one) that say the same thing; `text` is its representative's text.

    The figures (`size`, `articles`, the published dates) are those of the last computation or decision:
    a span deleted since is gone from the members (CASCADE) but counted until the next one.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="claim_clusters", db_index=False)
    # The member closest to the cluster's centre (the core's medoid), or after a decision the one kept.
    representative = models.ForeignKey(Span, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    size = models.PositiveIntegerField()
    articles = models.PositiveIntegerField(help_text="Distinct articles among the members.")
    first_published = models.DateField(null=True, blank=True)
    last_published = models.DateField(null=True, blank=True)
    computed_at = models.DateTimeField()

    objects = ClaimClusterQuerySet.as_manager()

    class Meta:
        # The list's order (size desc, id) read from an index, a page at a time; it also covers `project`.
        indexes = [models.Index(fields=["project", "-size", "id"], name="claim_cluster_listed")]
        constraints = [models.CheckConstraint(condition=Q(size__gte=1), name="claim_cluster_not_empty")]

    def __str__(self):
        return f"claim {self.pk} ({self.size}): {self.text[:60]}"


class ClaimMember(models.Model):
    """One span in one cluster. The annotation and article are copied from the span so that counts and
    filters (articles, dates, visibility) need no join through the span table."""

    cluster = models.ForeignKey(ClaimCluster, on_delete=models.CASCADE, related_name="members", db_index=False)
    # One cluster per span: the unique index answers "which cluster is this span in" (export, search).
    span = models.OneToOneField(Span, on_delete=models.CASCADE, related_name="claim_membership")
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="+", db_index=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        # A cluster's members in span order, a page at a time (the list shows the first ones).
        indexes = [models.Index(fields=["cluster", "span"], name="claim_member_in_cluster")]

    def __str__(self):
        return f"span {self.span_id} in claim {self.cluster_id}"


class ClaimLink(models.Model):
    """A reviewer's decision about two spans, kept across recomputations (docs/claims.md).

    Decisions are about spans, never about cluster ids, because spans are what a computation starts from:
    * `together`: `span` belongs with `other` (a merge links every member of the merged cluster to the
      other cluster's anchor; a move links the moved span to the new cluster's anchor);
    * `apart`: `span` was taken out of `other`'s cluster (a split or a move writes one per member it left)
      and is never put back with it.
    One decision per ordered pair; a later decision on the same two spans replaces the earlier one.
    The computation takes `apart` spans out first, then joins `together` pairs unless that would put an
    `apart` pair back together.
    """

    class Kind(models.TextChoices):
        TOGETHER = "together"
        APART = "apart"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="claim_links", db_index=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    span = models.ForeignKey(Span, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Span, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["span", "other"], name="one_claim_decision_per_pair"),
            models.CheckConstraint(condition=~Q(span=F("other")), name="claim_link_two_spans"),
        ]
        # Every decision of a project, in the order they were taken (the computation reads them all).
        indexes = [models.Index(fields=["project", "id"], name="claim_link_in_project")]

    def __str__(self):
        return f"{self.span_id} {self.kind} {self.other_id}"
