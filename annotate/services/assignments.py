"""Handing articles to annotators."""
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from ..models import Article, Assignment, Membership


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
    return report



def _needs_annotators(project):
    """Articles of `project` with fewer active assignments than it asks for."""
    active = (
        Assignment.objects.filter(article=OuterRef("pk"))
        .exclude(status=Assignment.Status.SKIPPED)
        .values("article")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Article.objects.filter(project=project)
        .annotate(active=Coalesce(Subquery(active), 0))
        .filter(active__lt=project.annotators_per_article)
    )


@transaction.atomic
def take_next_article(*, project, user) -> tuple[Assignment | None, bool]:
    """The caller's next task in `project`: an open assignment they already have, else a new one.

    A new one is the first article (by id) that still needs annotators and that
    the caller never had (skipped ones included). Under concurrent callers on
    PostgreSQL each candidate row is locked with SKIP LOCKED, so two callers
    never take the last slot of one article: the second skips to the next
    article. The slot count is re-read after the lock because the first read
    may predate a concurrent caller's commit.
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
        candidate = (
            _needs_annotators(project)
            .exclude(assignments__annotator=user)
            .exclude(pk__in=tried)
            .order_by("pk")
            .select_for_update(skip_locked=True, of=("self",))
            .first()
        )
        if candidate is None:
            return None, False
        if _active(Assignment.objects.filter(article=candidate)).count() < project.annotators_per_article:
            return Assignment.objects.create(article=candidate, annotator=user), True
        tried.append(candidate.pk)
    return None, False
