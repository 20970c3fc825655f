"""The numbers behind the dashboards: progress, label distribution, time per article, the stance map
and the source registry. Each function runs a fixed number of aggregate queries."""
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, F, Q, TextField, Value
from django.db.models.functions import Coalesce, NullIf, Trim, TruncDate

from config.routers import replica_reads

from .models import Annotation, Assignment, Entity, Relation, Span, Stance

STATUSES = [s.value for s in Assignment.Status]


@replica_reads()
def progress(project) -> dict:
    """Assignments per annotator by status, daily submitted/skipped counts (cumulative), median minutes per article."""
    assignments = Assignment.objects.filter(article__project=project)
    per_annotator = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for username, status, n in assignments.values_list("annotator__username", "status").annotate(n=Count("id")):
        per_annotator[username][status] = n
    daily = defaultdict(Counter)
    finished = assignments.filter(status__in=["submitted", "skipped"], finished_at__isnull=False)
    for day, status, n in finished.annotate(day=TruncDate("finished_at")).values_list("day", "status").annotate(
            n=Count("id")).order_by("day"):
        daily[day][status] += n
    cumulative, running = [], Counter()
    for day in sorted(daily):
        running.update(daily[day])
        cumulative.append((day.isoformat(), {"submitted": running["submitted"], "skipped": running["skipped"]}))
    durations = defaultdict(list)
    for username, started, ended in assignments.filter(status="submitted", started_at__isnull=False,
                                                       finished_at__isnull=False).values_list(
            "annotator__username", "started_at", "finished_at"):
        durations[username].append((ended - started) / timedelta(minutes=1))
    every = [d for values in durations.values() for d in values]
    return {
        "per_annotator": dict(sorted(per_annotator.items())),
        "over_time": cumulative,
        "median_minutes": {name: round(statistics.median(values), 1) for name, values in sorted(durations.items())},
        "median_minutes_all": round(statistics.median(every), 1) if every else None,
        "articles": project.articles.count(),
        "gold": Annotation.objects.filter(article__project=project, is_gold=True, status="adjudicated").count(),
    }


@replica_reads()
def label_distribution(project) -> list[tuple[str, int]]:
    """Spans per label in submitted and adjudicated layers, in the project's label order."""
    counts = dict(Span.objects.filter(annotation__article__project=project).filter(
        Q(annotation__status="submitted") | Q(annotation__status="adjudicated")).values_list(
        "label__name").annotate(n=Count("id")))
    return [(label, counts.get(label, 0)) for label in project.labels.values_list("name", flat=True)]


def _corpus_stances(project):
    """Stances of the corpus: the adjudicated gold layer where an article has one, else its submitted layers."""
    gold_articles = Annotation.objects.filter(article__project=project, is_gold=True, status="adjudicated").values(
        "article_id")
    return Stance.objects.filter(annotation__article__project=project).filter(
        Q(annotation__is_gold=True, annotation__status="adjudicated")
        | (Q(annotation__is_gold=False, annotation__status="submitted") & ~Q(annotation__article_id__in=gold_articles))
    )


UNKNOWN_HOLDER = "(unknown)"


def _holder(entity, span_entity, span_text) -> str:
    """A stance's holder as the map names it. Trims spaces only, as SQL's TRIM does (_holder_name)."""
    return entity or span_entity or (span_text or "").strip(" ") or UNKNOWN_HOLDER


def _holder_name():
    """_holder in SQL, to select one map cell's stances in the database."""
    return Coalesce(NullIf("holder_entity__name", Value("")), NullIf("holder_span__entity__name", Value("")),
                    NullIf(Trim("holder_span__text"), Value("")), Value(UNKNOWN_HOLDER), output_field=TextField())


@replica_reads()
def stance_map(project) -> dict:
    """Holders × targets with counts per polarity: {"holders", "targets", "polarities", "cells"}."""
    cells = defaultdict(Counter)
    rows = _corpus_stances(project).values_list(
        "holder_entity__name", "holder_span__entity__name", "holder_span__text", "target__name", "polarity__name")
    for entity, span_entity, span_text, target, polarity in rows:
        cells[(_holder(entity, span_entity, span_text), target)][polarity] += 1
    holders = sorted({h for h, _ in cells}, key=lambda h: (-sum(sum(c.values()) for (x, _), c in cells.items()
                                                                 if x == h), h))
    return {
        "holders": holders,
        "targets": list(project.stance_targets.values_list("name", flat=True)),
        "polarities": list(project.polarities.values_list("name", flat=True)),
        "cells": {key: dict(counter) for key, counter in cells.items()},
    }


SENTENCE_END = re.compile(r"[.!?…]+[\"”’)]*(?=\s)|\n")


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence(s) holding text[start:end]: from the previous sentence end to the next one."""
    left = 0
    for match in SENTENCE_END.finditer(text, 0, start):
        left = match.end()
    following = SENTENCE_END.search(text, end)
    right = following.end() if following else len(text)
    return text[left:right].strip()


EVIDENCE_PAGE = 50


@dataclass
class EvidencePage:
    found: list[dict]  # this page's stances, oldest first
    counts: dict[str, int]  # the whole cell's stances by polarity
    next_after: int | None  # the `after` of the next page, None on the last one


@replica_reads()
def stance_evidence(project, holder: str, target: str, *, after: int = 0, limit: int | None = None) -> EvidencePage:
    """One map cell's stances with their article and the sentences of their evidence, a page at a time.

    The cell is selected in the database (the holder's name as an SQL expression) and read by keyset
    (stance id), so a page costs the same however many stances the cell or the corpus holds.
    """
    limit = limit or EVIDENCE_PAGE
    cell = _corpus_stances(project).filter(target__name=target).annotate(holder_name=_holder_name()).filter(
        holder_name=holder)
    counts = dict(cell.values_list("polarity__name").annotate(n=Count("id")).order_by())
    stances = list(cell.filter(pk__gt=after).order_by("pk")
                   .select_related("annotation__article", "annotation__annotator", "polarity")
                   .prefetch_related("evidence")[:limit + 1])
    found = []
    for stance in stances[:limit]:
        article = stance.annotation.article
        found.append({
            "article": article, "polarity": stance.polarity.name, "explicit": stance.explicit,
            "layer": "gold" if stance.annotation.is_gold else stance.annotation.annotator.get_username(),
            "sentences": [sentence_around(article.text, e.start, e.end) for e in stance.evidence.all()],
        })
    return EvidencePage(found, counts, stances[limit - 1].pk if len(stances) > limit else None)


@replica_reads()
def source_registry(project):
    """Every canonical source with its mentions, quotes attributed to it, stances it holds and articles.

    One grouped query per figure over the project's rows, merged by entity here: linear in the corpus.
    (Counting each source's quotes and stances in a correlated subquery ran them once per mention row,
    and its "holder entity OR holder span's entity" could only be answered by scanning every span.)
    """
    mentions = {row["entity"]: row for row in (
        Span.objects.filter(entity__project=project).values("entity")
        .annotate(mentions=Count("id"), articles=Count("annotation__article", distinct=True)).order_by())}
    quotes = dict(Relation.objects.filter(type__name="ATTRIBUTED_TO", to_span__entity__project=project)
                  .values("to_span__entity").annotate(n=Count("id")).values_list("to_span__entity", "n").order_by())
    # A stance counts once for its source: held as an entity, or through its holder span's entity when that
    # is another one (or there is no holder entity).
    held = Counter(dict(Stance.objects.filter(holder_entity__project=project)
                        .values("holder_entity").annotate(n=Count("id")).values_list("holder_entity", "n").order_by()))
    held.update(dict(Stance.objects.filter(holder_span__entity__project=project)
                     .exclude(holder_entity=F("holder_span__entity"))
                     .values("holder_span__entity").annotate(n=Count("id"))
                     .values_list("holder_span__entity", "n").order_by()))
    registry = list(Entity.objects.filter(project=project))
    for entity in registry:
        counts = mentions.get(entity.pk, {})
        entity.mention_count = counts.get("mentions", 0)
        entity.article_count = counts.get("articles", 0)
        entity.quote_count = quotes.get(entity.pk, 0)
        entity.stance_count = held.get(entity.pk, 0)
    return sorted(registry, key=lambda entity: (-entity.mention_count, entity.name))
