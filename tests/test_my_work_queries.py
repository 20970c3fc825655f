"""My work reads what it lists, not everything the annotator has done.

The counts are one grouped query over the annotator's own assignments; the listed ones are, per
(project, status), the newest few read in order from the (annotator, status, updated_at) index and
stopped there. On PostgreSQL the plan is checked with ANALYZE: no read of the assignment table
returns more rows than the page lists.
"""
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext

from annotate.models import Article, Assignment
from web.views.work import LISTED_PER_STATUS, my_work_by_project

from .factories import make_article, make_assignment, make_member, make_project
from .plans import explain, rows_of

pytestmark = pytest.mark.django_db


def give(project, user, status, n):
    extra = {"skip_reason": "off topic"} if status == "skipped" else {}
    for _ in range(n):
        make_assignment(make_article(project), user, status=status, **extra)


@pytest.fixture
def busy(project, annotator_a):
    """Anna: 150 submitted, 30 skipped, 12 assigned, 2 in progress in the demo project; 3 submitted elsewhere."""
    for status, n in (("submitted", 150), ("skipped", 30), ("assigned", 12), ("in_progress", 2)):
        give(project, annotator_a, status, n)
    other = make_project("other")
    make_member(other, annotator_a)
    give(other, annotator_a, "submitted", 3)
    return annotator_a


def test_my_work_lists_the_newest_few_per_project_and_status_in_three_queries(project, busy):
    with CaptureQueriesContext(connection) as queries:
        work = {entry.project.slug: entry for entry in my_work_by_project(busy)}
    # projects with my role, counts by (project, status), the listed assignments
    assert len(queries) == 3, "\n".join(q["sql"] for q in queries)
    demo = work[project.slug]
    assert demo.counts == {"submitted": 150, "skipped": 30, "assigned": 12, "in_progress": 2}
    assert len(demo.submitted) == LISTED_PER_STATUS and len(work["other"].submitted) == 3
    assert [a.status for a in demo.open] == ["in_progress"] * 2 + ["assigned"] * LISTED_PER_STATUS
    newest = Assignment.objects.filter(annotator=busy, status="submitted", article__project=project)
    assert [a.pk for a in demo.submitted] == list(
        newest.order_by("-updated_at").values_list("pk", flat=True)[:LISTED_PER_STATUS])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
def test_the_listed_assignments_are_read_by_index_and_stop_at_the_limit(project, busy):
    # Enough done work that reading all of it would show: 3000 more submitted, oldest first.
    articles = Article.objects.bulk_create(
        Article(project=project, external_id=f"done-{i}", text="Done.") for i in range(3000))
    Assignment.objects.bulk_create(
        Assignment(article=article, annotator=busy, status="submitted") for article in articles)
    Assignment.objects.filter(article__in=articles).update(updated_at=Now() - timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        my_work_by_project(busy)
    listed = queries[-1]["sql"]
    assert "UNION" in listed
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_assignment, annotate_article")
    plan = explain(listed, analyze=True)
    text = "\n".join(plan)
    reads = [line for line in plan if " on annotate_assignment" in line]
    assert any("assignment_mine_by_status" in line for line in reads), text
    # 3194 assignments of hers in the demo project; no read returns more than the page shows.
    assert all(rows_of(line) <= 2 * LISTED_PER_STATUS for line in reads), text
