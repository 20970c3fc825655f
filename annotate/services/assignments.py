"""Handing articles to annotators."""
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan

from ..models import Article, Assignment, Membership, Project

# Articles refreshed per UPDATE: within SQLite's limit on parameters.
REFRESH_BATCH = 2000


@dataclass
class AssignmentReport:
    created: list[Assignment] = field(default_factory=list)
    already_covered: list[Article] = field(default_factory=list)
    # Articles that still need annotators because too few candidates were free.
    short: list[tuple[Article, int]] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.created)} assignment(s) created"]
        if self.already_covered:
            parts.append(f"{len(self.already_covered)} article(s) already had enough annotators")
        if self.short:
            parts.append(f"{len(self.short)} article(s) still need annotators (not enough free candidates)")
        return "; ".join(parts) + "."


def _active(queryset):
    """Assignments that occupy an annotator slot: a skipped article needs someone else."""
    return queryset.exclude(status=Assignment.Status.SKIPPED)


@transaction.atomic
def assign_articles(*, articles: Iterable[Article], annotators: Iterable) -> AssignmentReport:
    """Give each article to as many of `annotators` as its project still needs, balancing the load.

    Each article gets at most `project.annotators_per_article` active assignments
    and never two for the same annotator. Among the candidates, the one with the
    fewest active assignments in that project goes first (ties by username), so
    repeated runs spread work evenly.
    """
    articles = list(Article.objects.filter(pk__in=[a.pk for a in articles]).select_related("project").order_by("pk"))
    annotators = sorted(annotators, key=lambda user: user.get_username())
    report = AssignmentReport()
    if not articles or not annotators:
        return report

    project_ids = {article.project_id for article in articles}
    user_ids = [user.pk for user in annotators]
    members = set(
        Membership.objects.filter(project_id__in=project_ids, user_id__in=user_ids).values_list("project_id", "user_id")
    )
    outsiders = sorted(
        f"{user.get_username()} in {article.project.slug}"
        for article in articles
        for user in annotators
        if (article.project_id, user.pk) not in members
    )
    if outsiders:
        raise ValidationError(
            "Only project members can be assigned; not members: " + ", ".join(sorted(set(outsiders)))
        )

    taken = defaultdict(set)  # article id -> annotator ids already holding it (skipped included)
    holders = Assignment.objects.filter(article__in=articles).values_list("article_id", "annotator_id")
    for article_id, user_id in holders:
        taken[article_id].add(user_id)
    active_counts = Counter(  # article id -> active assignments
        dict(_active(Assignment.objects.filter(article__in=articles)).values_list("article_id").annotate(n=Count("id")))
    )
    their_active = _active(Assignment.objects.filter(article__project_id__in=project_ids, annotator_id__in=user_ids))
    load = Counter(
        {
            (row["article__project_id"], row["annotator_id"]): row["n"]
            for row in their_active.values("article__project_id", "annotator_id").annotate(n=Count("id"))
        }
    )

    new = []
    for article in articles:
        needed = article.project.annotators_per_article - active_counts[article.pk]
        if needed <= 0:
            report.already_covered.append(article)
            continue
        candidates = [user for user in annotators if user.pk not in taken[article.pk]]
        candidates.sort(key=lambda user: load[(article.project_id, user.pk)])  # stable: ties keep username order
        for user in candidates[:needed]:
            new.append(Assignment(article=article, annotator=user))
            taken[article.pk].add(user.pk)
            load[(article.project_id, user.pk)] += 1
        if len(candidates) < needed:
            report.short.append((article, needed - len(candidates)))
    report.created = Assignment.objects.bulk_create(new)
    refresh_needs_annotators({assignment.article_id for assignment in report.created})
    return report



def _needs_annotators_now():
    """Article.needs_annotators recomputed from the assignments, as an expression over one article row."""
    active = (
        _active(Assignment.objects.filter(article=OuterRef("pk")))
        .values("article").annotate(n=Count("id")).values("n")
    )
    needed = Project.objects.filter(pk=OuterRef("project_id")).values("annotators_per_article")
    return GreaterThan(Subquery(needed), Coalesce(Subquery(active, output_field=IntegerField()), Value(0)))


def refresh_needs_annotators(article_ids: Iterable[int], *, lock: bool = True) -> None:
    """Recompute Article.needs_annotators for these articles, in the caller's transaction.

    Every write that adds, skips, un-skips, moves or deletes assignments calls this for the
    articles it touched. With `lock`, the rows are locked first (in id order, as take_next_article
    locks them): the UPDATE then starts after any caller holding one has committed, so its count
    sees that caller's new assignment instead of overwriting the flag with an older count.
    """
    ids = sorted(set(article_ids))
    for i in range(0, len(ids), REFRESH_BATCH):
        batch = Article.objects.filter(pk__in=ids[i:i + REFRESH_BATCH])
        if lock:
            list(batch.order_by("pk").select_for_update().values_list("pk", flat=True))
        batch.update(needs_annotators=_needs_annotators_now())


@transaction.atomic
def refresh_project_needs_annotators(*, project: Project) -> None:
    """After `project.annotators_per_article` changed: every article of the project, in one UPDATE
    (an admin's rare edit, not a request path)."""
    Article.objects.filter(project=project).update(needs_annotators=_needs_annotators_now())


# The order of each Project.queue_order, ties by id. Each one matches a partial index on the articles still
# needing annotators (models/article.py; the uncertainty one in migration 0015), so the walk to the first
# free candidate is as long whatever the size of the project. The uncertainty order puts articles without
# span suggestions (NULL) after every one with them.
QUEUE_ORDERS = {
    Project.QueueOrder.SEQUENTIAL: ("pk",),
    Project.QueueOrder.RANDOM: ("shuffle_key", "pk"),
    Project.QueueOrder.UNCERTAINTY: (F("suggestion_uncertainty").desc(nulls_last=True), "pk"),
}


def next_candidates(*, project, user):
    """Articles of `project` still needing annotators that `user` never had, in the project's queue order,
    each locked (SKIP LOCKED: one a concurrent caller holds is passed over, not waited for)."""
    had = Assignment.objects.filter(article=OuterRef("pk"), annotator=user)
    return (
        Article.objects.filter(project=project, needs_annotators=True)
        .exclude(Exists(had))
        .order_by(*QUEUE_ORDERS.get(project.queue_order, QUEUE_ORDERS[Project.QueueOrder.SEQUENTIAL]))
        .only("pk", "project_id")
        .select_for_update(skip_locked=True, of=("self",))
    )


@transaction.atomic
def take_next_article(*, project, user) -> tuple[Assignment | None, bool]:
    """The caller's next task in `project`: an open assignment they already have, else a new one.

    A new one is the first article in the project's queue order (by id, a fixed
    shuffle, or most uncertain suggestions first: Project.queue_order) that still
    needs annotators and that the caller never had (skipped ones included). Candidates come from the
    partial index on Article.needs_annotators, so the walk skips the full
    articles however many there are. Under concurrent callers on PostgreSQL
    each candidate row is locked with SKIP LOCKED, so two callers never take
    the last slot of one article: the second skips to the next article. The
    slot count is re-read after the lock because the flag may predate a
    concurrent caller's commit; a flag found stale is corrected there.
    """
    if project.role_of(user) is None:
        raise ValidationError("Only project members take articles.")
    mine = Assignment.objects.filter(article__project=project, annotator=user)
    # An open task comes first, in_progress before assigned: resume what was started.
    open_one = (
        mine.filter(status__in=[Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS])
        .order_by("-status", "article_id")
        .first()
    )
    if open_one is not None:
        return open_one, False
    tried = []
    for _ in range(20):
        candidate = next_candidates(project=project, user=user).exclude(pk__in=tried).first()
        if candidate is None:
            return None, False
        active = _active(Assignment.objects.filter(article=candidate)).count()
        if active < project.annotators_per_article:
            assignment = Assignment.objects.create(article=candidate, annotator=user)
            active += 1
        else:
            assignment = None
            tried.append(candidate.pk)
        if active >= project.annotators_per_article:  # the row is locked: this count is the truth
            Article.objects.filter(pk=candidate.pk).update(needs_annotators=False)
        if assignment is not None:
            return assignment, True
    return None, False
