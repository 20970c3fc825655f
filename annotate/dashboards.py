"""The numbers behind the dashboards: progress, label distribution, time per article, the stance map,
the source registry and agreement.

The corpus figures are read from totals kept as the corpus changes (services/figures.py), so a page
costs the same whatever the corpus holds; each first recounts a bounded number of articles that
changed without being counted (`figures.settle`).
"""
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from .agreement import tally
from .agreement.article_labels import question_agreement
from .agreement.report import agreement_report
from .models import Entity, MapEntry, Stance
from .progress import progress  # noqa: F401 - progress is read from counters kept by triggers (progress.py)
from .services import figures


def _settle(project) -> int:
    """Count a bounded number of the project's stale articles now; what is left is counted by a background
    job (one per project at a time), so no page waits for a bulk change. How many are left."""
    pending = figures.settle(project)
    if pending:
        from .jobs.kinds.figures import refresh_in_background

        refresh_in_background(project)
    return pending


def label_distribution(project) -> list[tuple[str, int]]:
    """Spans per label in submitted and adjudicated layers, in the project's label order (kept totals)."""
    _settle(project)
    counts = {key[0]: n for key, n in figures.totals(project, "labels").items()}
    return [(name, counts.get(pk, 0)) for pk, name in project.labels.values_list("pk", "name")]


UNKNOWN_HOLDER = "(unknown)"


def _stance_cells(project, keys: dict | None = None) -> tuple[dict, int]:
    """{(holder, target): {polarity: n}} from the kept totals, and how many articles are still being counted.
    `keys`, if given, receives each cell's (holder key, target id) pairs: the cell's MapEntry rows."""
    pending = _settle(project)
    found = figures.totals(project, "stances")
    names = dict(Entity.objects.filter(pk__in={key[1] for key in found if key[0] == "e"}).values_list("pk", "name"))
    targets = dict(project.stance_targets.values_list("pk", "name"))
    polarities = dict(project.polarities.values_list("pk", "name"))
    cells = defaultdict(Counter)
    for (*holder, target, polarity), n in found.items():
        kind, *value = holder
        name = (names.get(value[0]) if kind == "e" else value[0] if kind == "t" else None) or UNKNOWN_HOLDER
        cells[(name, targets.get(target, "?"))][polarities.get(polarity, "?")] += n
        if keys is not None:
            keys.setdefault((name, targets.get(target, "?")), set()).add((figures.encode(tuple(holder)), target))
    return cells, pending


def stance_map(project) -> dict:
    """Holders × targets with counts per polarity: {"holders", "targets", "polarities", "cells", "pending"};
    `pending` articles changed since the figures were counted and are still to be counted."""
    cells, pending = _stance_cells(project)
    weight = Counter()
    for (holder, _), counts in cells.items():
        weight[holder] += sum(counts.values())
    return {
        "holders": sorted(weight, key=lambda h: (-weight[h], h)),
        "targets": list(project.stance_targets.values_list("name", flat=True)),
        "polarities": list(project.polarities.values_list("name", flat=True)),
        "cells": {key: dict(counter) for key, counter in cells.items()},
        "pending": pending,
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


def stance_evidence(project, holder: str, target: str, *, after: int = 0, limit: int | None = None) -> EvidencePage:
    """One map cell's stances with their article and the sentences of their evidence, a page at a time.

    The cell's stances are read from the map's own index (MapEntry: project, target, holder, stance id) by
    keyset, so a page costs the same however many stances the cell or the corpus holds.
    """
    limit = limit or EVIDENCE_PAGE
    keys = {}
    cells, _ = _stance_cells(project, keys)
    counts = dict(cells.get((holder, target), {}))
    cell = keys.get((holder, target), set())
    ids = list(MapEntry.objects.filter(project=project, target_id__in={t for _, t in cell},
                                       holder__in={h for h, _ in cell}, stance_id__gt=after)
               .order_by("stance_id").values_list("stance_id", flat=True)[:limit + 1])
    stances = list(Stance.objects.filter(pk__in=ids[:limit]).order_by("pk")
                   .select_related("annotation__article", "annotation__annotator", "polarity")
                   .prefetch_related("evidence"))
    found = []
    for stance in stances:
        article = stance.annotation.article
        found.append({
            "stance": stance.pk, "article": article, "polarity": stance.polarity.name, "explicit": stance.explicit,
            "layer": "gold" if stance.annotation.is_gold else stance.annotation.annotator.get_username(),
            "sentences": [sentence_around(article.text, e.start, e.end) for e in stance.evidence.all()],
        })
    return EvidencePage(found, counts, ids[limit - 1] if len(ids) > limit else None)


def source_registry(project) -> list[Entity]:
    """Every canonical source with its mentions, quotes attributed to it, stances it holds and articles, in the
    corpus (submitted and adjudicated layers), most mentioned first: read from the kept totals."""
    _settle(project)
    found = figures.totals(project, "sources")
    registry = list(Entity.objects.filter(project=project))
    for entity in registry:
        entity.mention_count = found.get((entity.pk, "mentions"), 0)
        entity.article_count = found.get((entity.pk, "articles"), 0)
        entity.quote_count = found.get((entity.pk, "quotes"), 0)
        entity.stance_count = found.get((entity.pk, "stances"), 0)
    return sorted(registry, key=lambda entity: (-entity.mention_count, entity.name))


def source_counts(project, entity) -> dict[str, int]:
    """One source's registry figures: {"mentions", "articles", "quotes", "stances"}, four kept totals."""
    _settle(project)
    kinds = ("mentions", "articles", "quotes", "stances")
    found = figures.totals(project, "sources", keys=[(entity.pk, kind) for kind in kinds])
    return {kind: found.get((entity.pk, kind), 0) for kind in kinds}


def agreement(project, *, annotators=None, articles=None, labels=None, with_article_labels=False) -> dict:
    """The agreement report. Over the whole project (every label) it is read from the kept totals; narrowed to
    some annotators, articles or labels it is computed from those layers (agreement/report.py).

    The article questions' figures ("article_labels", agreement/article_labels.py) are read from every answer
    they cover, so they come with a narrowed report and when asked for (the agreement job), never with the
    whole project's report that a request reads from the kept totals."""
    names = list(project.labels.values_list("pk", "name"))
    narrowed = bool(annotators or articles or (labels and not {name for _, name in names} <= set(labels)))
    if narrowed:
        report = agreement_report(project, annotators=annotators, articles=articles, labels=labels)
    else:
        report = _kept_agreement(project, names, labels)
    if narrowed or with_article_labels:
        report["article_labels"] = question_agreement(project, annotators=annotators, articles=articles)
    return report


def _kept_agreement(project, names, labels) -> dict:
    _settle(project)
    found = figures.totals(project, "agreement")
    users = {key[1] for key in found if key[0] in ("layer", "gold")} | {
        user for key in found if key[0] == "pair" for user in key[1:3]}
    usernames = dict(get_user_model().objects.filter(pk__in=users).values_list("pk", "username"))
    return tally.report(found, usernames=usernames, label_names=dict(names), labels=labels or ())
