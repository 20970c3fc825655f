"""Counts of assignments and articles, kept by database triggers so that My work and a project's
progress read a few small rows instead of counting the corpus (issue 11).

Nothing in Python writes these rows: triggers on annotate_assignment, annotate_article and
annotate_annotation (migration 0007) add and subtract in the same transaction as the change, whoever
makes it: the services, admin, an import's COPY or executemany, a raw UPDATE, a cascade. They are
derived data; `manage.py rebuild_counters` recounts them from scratch (`--check` only compares).

Rows are never deleted when they reach zero: a zero row costs nothing to keep, and deleting it in a
trigger would race with a concurrent increment of the same key. Readers ask for `n > 0`.

Why triggers and not signals or service calls: a signal or a service sees only the writes that go
through the ORM object, and an import writes plain rows; the counts must stay right whatever writes.
Why per-statement triggers on PostgreSQL: a row trigger that updates one counter row once per inserted
row makes a single-transaction import quadratic (PostgreSQL keeps every version of a row updated in
the open transaction: 30k rows took 8.8 s against 0.09 s with one grouped update per statement).
"""
from django.conf import settings
from django.db import models

from .project import Project


class AssignmentCount(models.Model):
    """How many assignments `annotator` has in `project` with `status`.

    My work reads one annotator's rows (the `assignmentcount_mine` index); a project's progress reads
    the project's rows (the unique constraint's index, which starts with the project).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                  db_index=False)
    status = models.CharField(max_length=20)
    n = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "annotator", "status"], name="one_count_per_annotator_status"),
        ]
        indexes = [models.Index(fields=["annotator", "project"], name="assignmentcount_mine")]

    def __str__(self):
        return f"{self.project_id}/{self.annotator_id}/{self.status}: {self.n}"


class AssignmentDayCount(models.Model):
    """How many of a project's assignments were finished on `day` with `status` (submitted or skipped):
    the "done over time" chart. Only assignments with a `finished_at` count, as before.

    Days are UTC days (settings.TIME_ZONE is UTC; the triggers take the date in UTC). One row per
    (project, day, status): the chart reads a row per day the project has been worked on, however many
    assignments were finished that day. Every annotator's submit that day updates the same row; the
    row is locked only from the submit's UPDATE to its commit, a few milliseconds.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    status = models.CharField(max_length=20)
    n = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "day", "status"], name="one_count_per_day_status")]

    def __str__(self):
        return f"{self.project_id}/{self.day}/{self.status}: {self.n}"


class DurationBucket(models.Model):
    """A histogram of the time `annotator` took per submitted article in `project` (finished_at minus
    started_at; assignments without a start, such as imported ones, are not timed, as before).

    A duration is counted in the bucket of its nearest multiple of a step that grows with the duration:
    5 s below 2 minutes, 10 s to 5 minutes, 30 s to 15 minutes, 1 minute to an hour, 5 minutes to 4
    hours, 15 minutes to a day; a day or more counts as a day, and a negative duration (clock skew) as
    0. `seconds` is that multiple, the bucket's value. A median read from these rows is the value of
    the bucket that holds the middle duration (the mean of two buckets' values for an even count, as
    `statistics.median`), so it is within half a step of the exact median: at most 5 % off from one
    minute to a day, and exact for whole minutes up to an hour.

    Why this shape: the figure is shown with one decimal of a minute and read as "how long does an
    article take"; a relative precision of a few percent is what a log-spaced sketch (HdrHistogram,
    DDSketch) would give, with under 230 possible buckets per annotator, whatever they have done. The
    steps are round, so the bucket is found with integer arithmetic that SQLite and PostgreSQL
    triggers compute alike (SQLite's math functions, log() among them, are a compile-time option),
    and a duration of whole minutes lands on its own value.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seconds = models.PositiveIntegerField()
    n = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "annotator", "seconds"], name="one_count_per_duration_bucket"),
        ]

    def __str__(self):
        return f"{self.project_id}/{self.annotator_id}/{self.seconds}s: {self.n}"


class ProjectCount(models.Model):
    """A project's articles, and its adjudicated gold layers (at most one per article)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, primary_key=True, related_name="+")
    articles = models.BigIntegerField(default=0, db_default=0)
    gold = models.BigIntegerField(default=0, db_default=0)

    def __str__(self):
        return f"{self.project_id}: {self.articles} articles, {self.gold} gold"
