"""A project's progress, read from the counters the triggers keep (models/counters.py).

Four queries, whatever the corpus holds: the project's (annotator, status) counts, its (day, status)
counts, its duration buckets, its article and gold counts. What they read grows with the annotators and
the days the project has been worked on, never with its articles or assignments.
"""
from collections import Counter, defaultdict
from itertools import groupby
from operator import itemgetter

from config.routers import replica_reads

from .models import Assignment, AssignmentCount, AssignmentDayCount, DurationBucket, ProjectCount

STATUSES = [s.value for s in Assignment.Status]


@replica_reads()
def progress(project) -> dict:
    """Assignments per annotator by status, daily submitted/skipped counts (cumulative), median minutes per
    article (per annotator and for everyone), the project's articles and adjudicated gold layers.

    The medians are read from duration buckets: each is the value of the bucket holding the middle
    submitted article's time, within half a bucket's step of the exact median (at most 5 % from one
    minute to a day, exact for whole minutes up to an hour; DurationBucket says why).
    """
    per_annotator = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for username, status, n in AssignmentCount.objects.filter(project=project, n__gt=0).values_list(
            "annotator__username", "status", "n"):
        per_annotator[username][status] = n

    cumulative, running = [], Counter()
    days = AssignmentDayCount.objects.filter(project=project, n__gt=0).order_by("day").values_list("day", "status", "n")
    for day, rows in groupby(days, key=itemgetter(0)):
        for _, status, n in rows:
            running[status] += n
        cumulative.append((day.isoformat(), {"submitted": running["submitted"], "skipped": running["skipped"]}))

    buckets, everyone = defaultdict(Counter), Counter()
    for username, seconds, n in DurationBucket.objects.filter(project=project, n__gt=0).values_list(
            "annotator__username", "seconds", "n"):
        buckets[username][seconds] += n
        everyone[seconds] += n

    articles, gold = ProjectCount.objects.filter(project=project).values_list("articles", "gold").first() or (0, 0)
    return {
        "per_annotator": dict(sorted(per_annotator.items())),
        "over_time": cumulative,
        "median_minutes": {name: median_minutes(counts) for name, counts in sorted(buckets.items())},
        "median_minutes_all": median_minutes(everyone) if everyone else None,
        "articles": articles,
        "gold": gold,
    }


def median_minutes(histogram: Counter) -> float:
    """The median of a {bucket value in seconds: count} histogram, in minutes to one decimal, as
    statistics.median takes it: the middle value, or the mean of the two middle ones."""
    total = sum(histogram.values())
    middle = ((total - 1) // 2, total // 2)  # 0-based ranks; the same one for an odd total
    found, seen = [], 0
    for seconds in sorted(histogram):
        seen += histogram[seconds]
        while len(found) < 2 and middle[len(found)] < seen:
            found.append(seconds)
    return round((found[0] + found[1]) / 2 / 60, 1)
