"""My work (the landing page) and the next-article hook."""
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, OuterRef, Subquery
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotate.access import project_for
from annotate.models import Assignment, AssignmentCount, Membership, Project, Thread
from annotate.services.assignments import take_next_article

# Roles that take articles to annotate (the ML engineer only reads exports).
ANNOTATING_ROLES = frozenset({Membership.Role.ANNOTATOR, Membership.Role.REVIEWER, Membership.Role.MANAGER})
# How many open / submitted assignments each project lists; the counts cover all of them.
LISTED_PER_STATUS = 10
STATUSES = [choice for choice, _ in Assignment.Status.choices]
LISTED_STATUSES = [Assignment.Status.IN_PROGRESS, Assignment.Status.ASSIGNED, Assignment.Status.SUBMITTED]


@dataclass
class ProjectWork:
    project: Project
    role: str | None
    counts: dict = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    open: list = field(default_factory=list)  # in progress first, then assigned
    submitted: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts["submitted"] + self.counts["skipped"]

    @property
    def open_count(self) -> int:
        return self.counts["assigned"] + self.counts["in_progress"]

    def percent(self, status) -> float:
        return round(100 * self.counts[status] / self.total, 1) if self.total else 0

    @property
    def bar(self) -> list[tuple[str, float, float, int]]:
        """(status, x %, width %, count) for the progress bar, in the order work flows.

        Drawn as SVG rectangles (attributes, not inline styles) so a strict CSP can come later.
        """
        parts, x = [], 0.0
        for status in ("submitted", "skipped", "in_progress", "assigned"):
            if self.counts[status]:
                width = self.percent(status)
                parts.append((status, x, width, self.counts[status]))
                x += width
        return parts

    @property
    def can_take(self) -> bool:
        return self.role in ANNOTATING_ROLES


def my_work_by_project(user) -> list[ProjectWork]:
    """Every project the user annotates in, with their assignments by status.

    Three queries whatever the number of assignments: the projects with the
    user's role, the user's counts by (project, status) as the triggers keep
    them (AssignmentCount: a few rows, by the assignmentcount_mine index),
    and the listed assignments: for each (project, status) with any, its
    newest few read by the (annotator, status, updated_at) index in
    updated_at order and stopped at the limit, so the page never counts,
    sorts or ranks everything the annotator has done.
    """
    projects = Project.objects.visible_to(user).with_role(user).only("id", "name", "slug", "description")
    work = {project.pk: ProjectWork(project=project, role=project.role) for project in projects.order_by("name")}

    for project_id, status, n in AssignmentCount.objects.filter(annotator=user, n__gt=0).values_list(
            "project_id", "status", "n"):
        if project_id in work:
            work[project_id].counts[status] = n

    mine = Assignment.objects.filter(annotator=user)

    # Each slice inside its own IN: SQLite refuses LIMIT directly in a member of a UNION.
    newest_ids = [
        Assignment.objects.filter(pk__in=mine.filter(status=status, article__project_id=project_id)
                                  .order_by("-updated_at").values("id")[:LISTED_PER_STATUS])
        .order_by().values("id")
        for project_id, entry in work.items()
        for status in LISTED_STATUSES
        if entry.counts[status]
    ]
    if newest_ids:
        listed = (
            # By id alone: with the annotator's filter too, the planner may scan all of theirs instead.
            Assignment.objects.filter(pk__in=newest_ids[0].union(*newest_ids[1:], all=True))
            .select_related("article")
            .only("id", "status", "updated_at", "started_at", "finished_at", "article__id", "article__project_id",
                  "article__title", "article__external_id", "article__outlet")
            .order_by("-updated_at", "-id")
        )
        for assignment in listed:
            entry = work[assignment.article.project_id]
            (entry.submitted if assignment.status == Assignment.Status.SUBMITTED else entry.open).append(assignment)
    for entry in work.values():
        entry.open.sort(key=lambda a: a.status != Assignment.Status.IN_PROGRESS)  # stable: newest first within
    # A project shows when you can take work in it or have had some there.
    return [entry for entry in work.values() if entry.can_take or entry.total]


@dataclass
class Discussion:
    """Open threads for the user: on their own layers (per layer, with its count) and those mentioning them."""

    layers: list  # rows: article_id, title, external_id, assignment (id or None), n (open threads)
    mentions: list  # the newest mentioning threads: id, article_id, title, external_id, anchor_text, assignment
    mention_count: int

    @property
    def open_on_my_layers(self) -> int:
        return sum(row["n"] for row in self.layers)


def discussion_for(user) -> Discussion:
    """Three queries whatever the number of threads: open threads on the user's layers grouped per layer (the
    partial index of open threads), the newest threads mentioning them, and their number. Each row names the
    user's assignment of the article (their workspace), None for a layer they review instead."""
    mine = Assignment.objects.filter(article=OuterRef("article_id"), annotator=user).values("id")[:1]
    layers = list(Thread.objects.on_layers_of(user).annotate(assignment=Subquery(mine)).values(
        "annotation_id", "article_id", "assignment", title=F("article__title"), external_id=F("article__external_id"))
        .annotate(n=Count("id")).order_by("-n", "annotation_id")[:LISTED_PER_STATUS])
    mentioning = Thread.objects.mentioning(user)
    mentions = list(mentioning.annotate(assignment=Subquery(mine)).order_by("-id").values(
        "id", "article_id", "anchor_text", "assignment", title=F("article__title"),
        external_id=F("article__external_id"))[:LISTED_PER_STATUS])
    count = len(mentions) if len(mentions) < LISTED_PER_STATUS else mentioning.count()
    return Discussion(layers=layers, mentions=mentions, mention_count=count)


@login_required
def my_work(request):
    return render(request, "annotate/my_work.html", {"projects": my_work_by_project(request.user),
                                                      "discussion": discussion_for(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def next_article(request, slug):
    """Take the next article (`take_next_article`) and go to its workspace; "all done" when none is left.

    GET works too so that a bookmark or a script can follow the hook; it is
    safe to repeat because an open assignment is resumed before a new one is taken.
    """
    project = project_for(request.user, slug, roles=ANNOTATING_ROLES)
    assignment, _ = take_next_article(project=project, user=request.user)
    if assignment is None:
        return render(request, "annotate/all_done.html", {"project": project})
    return redirect("annotate:workspace", pk=assignment.pk)
