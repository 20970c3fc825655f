"""Assignment and article counters kept by triggers (migration 0007): right after any kind of write, and
read by My work and the dashboard's progress in a fixed number of queries.

The expected counts here are grouped from the rows by the ORM and Python, independently of the SQL the
triggers and the repair share.
"""
import io
import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from annotate.models import (
    Annotation,
    Article,
    Assignment,
    AssignmentCount,
    AssignmentDayCount,
    DurationBucket,
    Project,
    ProjectCount,
)
from annotate.progress import median_minutes, progress
from annotate.services import annotating, review
from annotate.services.assignments import assign_articles, take_next_article
from annotate.services.counters import counting, rebuild_counters, stored_counts
from annotate.services.importing import import_file
from synthetic.corpus import annotated_records, to_jsonl
from web.views.work import my_work_by_project

from .factories import make_annotation, make_article, make_assignment, make_member, make_project, make_user
from .plans import explain

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
STEPS = ((120, 5), (300, 10), (900, 30), (3600, 60), (14400, 300), (86400, 900))


def bucket(seconds: float) -> int:
    """The bucket value DurationBucket documents: the nearest multiple of the duration's step."""
    seconds = max(0.0, seconds)
    for upper, step in STEPS:
        if seconds < upper:
            return step * math.floor(seconds / step + 0.5)
    return 86400


def counted_from_rows() -> dict[tuple, int]:
    """What the counters should hold, grouped from the rows (nonzero counts, keyed as stored_counts)."""
    counts = Counter()
    for project_id, annotator_id, status, n in Assignment.objects.values_list(
            "article__project_id", "annotator_id", "status").annotate(n=Count("id")).order_by():
        counts[("AssignmentCount", project_id, annotator_id, status)] += n
    for project_id, annotator_id, status, started, finished in Assignment.objects.values_list(
            "article__project_id", "annotator_id", "status", "started_at", "finished_at"):
        if status in ("submitted", "skipped") and finished is not None:
            counts[("AssignmentDayCount", project_id, finished.astimezone(UTC).date(), status)] += 1
        if status == "submitted" and started is not None and finished is not None:
            counts[("DurationBucket", project_id, annotator_id, bucket((finished - started).total_seconds()))] += 1
    for project in Project.objects.annotate(n=Count("articles")):
        counts[("articles", project.pk)] += project.n
    for project_id in Annotation.objects.filter(is_gold=True, status="adjudicated").values_list(
            "article__project_id", flat=True):
        counts[("gold", project_id)] += 1
    return {key: n for key, n in counts.items() if n}


def test_every_counting_trigger_is_there_after_migrating():
    """A later migration that rebuilds a counted table on SQLite drops its triggers (0007's docstring)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = {name for (name,) in cursor.fetchall()}
        assert set(counting.SQLITE_TRIGGERS) <= present
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
            present = set(cursor.fetchall())
        expected = {(f"annotate_count_{what}_{event}", table)
                    for what, table, events in (("assignments", "annotate_assignment", counting.PG_EVENTS),
                                                ("gold", "annotate_annotation", counting.PG_EVENTS),
                                                ("articles", "annotate_article", ("insert", "delete")))
                    for event in events}
        expected |= {("annotate_count_truncated", table)
                     for table in ("annotate_assignment", "annotate_article", "annotate_annotation")}
        assert expected | {("annotate_article_stays_in_project", "annotate_article")} <= present


def test_counters_follow_every_kind_of_write(project, annotator_a, annotator_b, reviewer):
    project.annotators_per_article = 2
    project.save()
    other = make_project("other")
    carl = make_member(project, make_user("carl"))
    articles = [make_article(project) for _ in range(8)]
    spare = make_article(other)

    # The admin's assign action: one bulk insert.
    assign_articles(articles=articles[:5], annotators=[annotator_a, annotator_b])
    # The annotator's path: next, open, submit; skip another.
    assignment, _ = take_next_article(project=project, user=annotator_a)
    layer = annotating.open_layer(assignment=assignment)
    layer = annotating.submit(annotation=layer, expected_version=layer.version)
    skipped = Assignment.objects.filter(annotator=annotator_a, status="assigned").first()
    annotating.skip(assignment=skipped, reason="off topic")
    # Ben submits one, a reviewer sends it back; another of his is submitted and adjudicated as gold.
    bens = list(Assignment.objects.filter(annotator=annotator_b).order_by("pk"))
    returned = annotating.open_layer(assignment=bens[0])
    returned = annotating.submit(annotation=returned, expected_version=returned.version)
    review.return_to_annotator(annotation=returned, reviewer=reviewer, comment="the quote is missing")
    kept = annotating.open_layer(assignment=bens[1])
    annotating.submit(annotation=kept, expected_version=kept.version)
    gold = review.start_gold(article=bens[1].article, reviewer=reviewer)
    review.adjudicate(gold=gold, expected_version=gold.version, reviewer=reviewer)
    # Admin-style writes: a queryset update, the annotator changed, an assignment moved to another
    # article, times set by hand, a save() of a changed row.
    Assignment.objects.filter(pk=bens[2].pk).update(status="submitted", started_at=NOW - timedelta(minutes=7),
                                                    finished_at=NOW)
    Assignment.objects.filter(pk=bens[3].pk).update(annotator=carl)
    Assignment.objects.filter(pk=bens[4].pk).update(article=articles[7])
    moved = Assignment.objects.get(pk=bens[2].pk)
    moved.finished_at, moved.started_at = NOW + timedelta(days=1), NOW - timedelta(hours=5)
    moved.save()
    make_assignment(spare, annotator_a, status="skipped", skip_reason="not news", finished_at=NOW)
    # Raw SQL, as a script or another client would write.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE annotate_assignment SET status = 'in_progress' WHERE annotator_id = %s "
                       "AND status = 'assigned'", [annotator_b.pk])
    # Deletes: one, a queryset, an article (its assignments cascade), a user (theirs cascade).
    Assignment.objects.filter(annotator=carl).first().delete()
    make_assignment(articles[6], carl)
    Assignment.objects.filter(article=articles[5]).delete()
    articles[6].delete()
    ghost = make_user("ghost")
    make_assignment(articles[5], ghost, status="submitted", started_at=NOW, finished_at=NOW)
    ghost.delete()

    assert counted_from_rows() == stored_counts()
    assert rebuild_counters(dry_run=True) == []
    by_status = {(c.annotator_id, c.status): c.n for c in AssignmentCount.objects.filter(project=project, n__gt=0)}
    assert by_status[(annotator_a.pk, "submitted")] == 1 and by_status[(annotator_a.pk, "skipped")] == 1
    assert ProjectCount.objects.get(project=project).gold == 1
    assert ProjectCount.objects.get(project=project).articles == 7


def test_a_bulk_import_is_counted(project, annotator_a):
    """The importer writes plain rows (COPY on PostgreSQL): its submitted assignments count all the same."""
    import_file(io.BytesIO(to_jsonl(annotated_records(30))), name="corpus.jsonl", project_slug=project.slug,
                annotator=annotator_a)
    assert AssignmentCount.objects.get(project=project, annotator=annotator_a, status="submitted").n == 30
    assert ProjectCount.objects.get(project=project).articles == 30
    assert counted_from_rows() == stored_counts()


@pytest.mark.parametrize("taken, value", [
    (timedelta(seconds=-30), 0), (timedelta(seconds=61), 60), (timedelta(seconds=118), 120),
    (timedelta(seconds=299), 300), (timedelta(minutes=20), 1200), (timedelta(minutes=20, seconds=29), 1200),
    (timedelta(minutes=62), 3600), (timedelta(hours=5, minutes=7), 18000), (timedelta(days=3), 86400),
])
def test_a_duration_counts_in_the_bucket_of_its_nearest_step(project, annotator_a, taken, value):
    make_assignment(make_article(project), annotator_a, status="submitted", started_at=NOW - taken, finished_at=NOW)
    assert list(DurationBucket.objects.values_list("seconds", "n")) == [(value, 1)] == [(bucket(
        taken.total_seconds()), 1)]


def test_the_median_is_the_middle_buckets_value():
    assert median_minutes(Counter({600: 1, 1200: 1, 2400: 1})) == 20.0
    assert median_minutes(Counter({600: 2, 1200: 2})) == 15.0  # the mean of the two middle values
    assert median_minutes(Counter({60: 1})) == 1.0
    assert median_minutes(Counter({300: 5, 86400: 1})) == 5.0


def test_progress_reads_the_counters(project, annotator_a, annotator_b):
    def done(user, status, *, day, minutes=None, **extra):
        finished = NOW + timedelta(days=day)
        started = finished - timedelta(minutes=minutes) if minutes is not None else None
        make_assignment(make_article(project), user, status=status, started_at=started, finished_at=finished, **extra)

    for minutes, day in ((10, 0), (20, 0), (40, 1)):
        done(annotator_a, "submitted", day=day, minutes=minutes)
    done(annotator_b, "submitted", day=1, minutes=5)
    done(annotator_b, "submitted", day=2)  # imported: no start, so not timed
    done(annotator_b, "skipped", day=2, skip_reason="off topic")
    make_assignment(make_article(project), annotator_b)
    make_annotation(make_article(project), is_gold=True, status="adjudicated")
    make_annotation(make_article(project), is_gold=True)  # gold in progress: not counted
    make_assignment(make_article(make_project("other")), annotator_a, status="submitted", started_at=NOW,
                    finished_at=NOW)

    assert progress(project) == {
        "per_annotator": {"anna": {"assigned": 0, "in_progress": 0, "submitted": 3, "skipped": 0},
                          "ben": {"assigned": 1, "in_progress": 0, "submitted": 2, "skipped": 1}},
        "over_time": [("2026-03-04", {"submitted": 2, "skipped": 0}), ("2026-03-05", {"submitted": 4, "skipped": 0}),
                      ("2026-03-06", {"submitted": 5, "skipped": 1})],
        "median_minutes": {"anna": 20.0, "ben": 5.0},
        "median_minutes_all": 15.0,
        "articles": 9,
        "gold": 1,
    }


def test_days_are_utc_days_as_the_settings_say(settings, project, annotator_a):
    assert settings.TIME_ZONE == "UTC"  # the triggers take the UTC date; another zone needs a new migration
    late = datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=UTC)
    make_assignment(make_article(project), annotator_a, status="skipped", skip_reason="x", finished_at=late)
    assert list(AssignmentDayCount.objects.values_list("day", "n")) == [(late.date(), 1)]


def test_progress_and_my_work_cost_the_same_queries_at_any_size(project, annotator_a, annotator_b,
                                                                django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            for user in (annotator_a, annotator_b):
                make_assignment(make_article(project), user, status="submitted",
                                started_at=NOW - timedelta(minutes=i % 30), finished_at=NOW + timedelta(days=i % 3))

    def run():
        with CaptureQueriesContext(connection) as queries:
            with django_assert_max_num_queries(4):  # (annotator, status) counts, days, durations, project counts
                progress(project)
            with django_assert_max_num_queries(3):  # projects with my role, my counts, the listed assignments
                my_work_by_project(annotator_a)
        return [q["sql"] for q in queries]

    grow(5)
    small = run()
    grow(60)
    assert run() == small


def test_a_wrong_count_is_found_and_repaired(project, annotator_a):
    make_assignment(make_article(project), annotator_a, status="submitted", started_at=NOW, finished_at=NOW)
    AssignmentCount.objects.filter(annotator=annotator_a).update(n=5)
    ProjectCount.objects.filter(project=project).delete()
    with pytest.raises(CommandError, match="2 counts differ"):
        call_command("rebuild_counters", "--check", stdout=io.StringIO())
    assert AssignmentCount.objects.get(annotator=annotator_a).n == 5  # --check changes nothing
    out = io.StringIO()
    call_command("rebuild_counters", stdout=out)
    assert "stored 5, counted 1" in out.getvalue()
    assert counted_from_rows() == stored_counts()
    assert rebuild_counters() == []


def test_an_article_with_work_stays_in_its_project(project, annotator_a):
    other = make_project("other")
    bare, assigned = make_article(project), make_article(project)
    make_assignment(assigned, annotator_a)
    Article.objects.filter(pk=bare.pk).update(project=other)
    assert {c.project_id: c.articles for c in ProjectCount.objects.all()} == {project.pk: 1, other.pk: 1}
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=assigned.pk).update(project=other)
    assigned = Article.objects.get(pk=assigned.pk)
    assigned.project = other
    with pytest.raises(ValidationError, match="stays in its project"):
        assigned.full_clean()  # the admin's form says so before the database refuses


def test_my_work_counts_come_from_the_counters(project, annotator_a):
    for status in ("submitted", "submitted", "assigned"):
        make_assignment(make_article(project), annotator_a, status=status)
    [entry] = my_work_by_project(annotator_a)
    assert entry.counts == {"assigned": 1, "in_progress": 0, "submitted": 2, "skipped": 0}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
def test_my_work_and_progress_read_the_counters_by_index(project, annotator_a):
    others = [make_member(project) for _ in range(20)]
    articles = Article.objects.bulk_create(
        Article(project=project, external_id=f"bulk-{i}", text="Done.") for i in range(200))
    Assignment.objects.bulk_create(
        Assignment(article=article, annotator=user, status="submitted", started_at=NOW - timedelta(minutes=i % 40),
                   finished_at=NOW + timedelta(days=i % 5))
        for i, article in enumerate(articles) for user in [annotator_a, *others])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_assignmentcount, annotate_assignmentdaycount, annotate_durationbucket")
    with CaptureQueriesContext(connection) as queries:
        my_work_by_project(annotator_a)
    [mine] = [q["sql"] for q in queries if "annotate_assignmentcount" in q["sql"]]
    plan = "\n".join(explain(mine))
    assert "assignmentcount_mine" in plan and "Seq Scan" not in plan, plan
    with CaptureQueriesContext(connection) as queries:
        progress(project)
    for query in queries:
        plan = "\n".join(explain(query["sql"]))
        assert "Seq Scan" not in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncating_a_counted_table_empties_its_counts(project, annotator_a):
    make_assignment(make_article(project), annotator_a, status="submitted", started_at=NOW, finished_at=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred foreign key checks pending: TRUNCATE refuses
        cursor.execute("TRUNCATE annotate_assignment")
    assert not AssignmentCount.objects.exists() and not DurationBucket.objects.exists()
    assert not AssignmentDayCount.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_no_counts_behind():
    """Transactional tests flush between tests (TRUNCATE on PostgreSQL, row by row on SQLite)."""
    project = make_project("flushed")
    user = make_member(project)
    make_assignment(make_article(project), user, status="submitted", started_at=NOW, finished_at=NOW)
    make_annotation(make_article(project), is_gold=True, status="adjudicated")
    call_command("flush", interactive=False, verbosity=0)
    assert not any(model.objects.exists()
                   for model in (AssignmentCount, AssignmentDayCount, DurationBucket, ProjectCount))
    project = make_project("again")
    make_article(project)
    assert list(ProjectCount.objects.values_list("articles", "gold")) == [(1, 0)]
