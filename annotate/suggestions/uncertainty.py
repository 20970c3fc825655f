"""How unsure an article's suggestions are: the key of the uncertainty queue order (Project.queue_order).

Active learning hands out first the articles where an annotator's work teaches the recommenders most:
those whose suggestions sit nearest a coin toss, and those where the recommenders disagree. An article's
`suggestion_uncertainty` is

    mean over its span suggestions of (1 − |2·score − 1|)        1 at a score of 0.5, 0 at 0 or 1
  + the share of its suggested offsets (start, end) given more than one label (by several
    recommenders, or one hedging)                                 0 when all agree

so it lies in [0, 2], higher is more uncertain; an article without span suggestions has none (NULL) and
comes after every article with some. It is kept on the article, refreshed for the articles whose
suggestions were just stored, so the queue reads one indexed column instead of the suggestions.
"""
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from ..models import Article, SuggestedSpan

BATCH = 500  # articles refreshed per read: within SQLite's limit on parameters, a few thousand rows each


def uncertainty(spans: Iterable[tuple[int, int, int, float]]) -> float | None:
    """The uncertainty of one article's span suggestions, given as (label id, start, end, score); None if none."""
    closeness, labels = [], defaultdict(set)
    for label, start, end, score in spans:
        closeness.append(1.0 - abs(2.0 * score - 1.0))
        labels[(start, end)].add(label)
    if not closeness:
        return None
    disagreement = sum(len(names) > 1 for names in labels.values()) / len(labels)
    return sum(closeness) / len(closeness) + disagreement


@transaction.atomic
def refresh_uncertainty(article_ids: Iterable[int]) -> None:
    """Recompute Article.suggestion_uncertainty for these articles from their stored span suggestions.

    Call it after storing suggestions (a run, an import of predictions), in the same transaction, with the
    articles touched: one read and one UPDATE per 500 articles.
    """
    ids = sorted(set(article_ids))
    for i in range(0, len(ids), BATCH):
        batch = ids[i:i + BATCH]
        spans = defaultdict(list)
        rows = SuggestedSpan.objects.filter(article_id__in=batch).values_list(
            "article_id", "label_id", "start", "end", "score")
        for article_id, *span in rows:
            spans[article_id].append(span)
        # bulk_update: one UPDATE with a CASE per batch; no save(), so no updated_at (the text did not change).
        Article.objects.bulk_update([Article(pk=pk, suggestion_uncertainty=uncertainty(spans.get(pk, ())))
                                     for pk in batch], ["suggestion_uncertainty"])
