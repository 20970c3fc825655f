"""Applying a corrected text: the article's new text and every layer's spans placed in it, in one transaction.

The only door through which an annotated article's text changes. Inside the caller's transaction:

1. every layer of the article is locked (in id order, services/locking.lock_rows), then the article row;
2. the spans of all layers are placed in the new text (mapping.place);
3. a TextChangePermit row lets the freeze trigger pass the new text (migration 0022), and is deleted
   again at once, so any other write of the text stays refused;
4. the spans that moved or were flagged are written in one bulk update (flagged spans keep their old
   snapshot, with needs_review set);
5. each layer, whatever its status (an annotator's, submitted or not, and gold), moves on one version with
   one history step: its item changes (history.record_changes) and an `article.reanchor` marker naming
   the ArticleRevision, which keeps the replaced text and every span as it was, for a revert;
6. the article's suggestions are dropped (their offsets point into the old text; a recommender makes new
   ones), and its dashboard figures are marked stale.

Relations and stances point at spans by id, so they are kept as they are.
"""
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ...models import (
    Annotation,
    Article,
    ArticleRevision,
    Span,
    SuggestedRelation,
    SuggestedSpan,
    SuggestedStance,
    TextChangePermit,
)
from ...textutil import content_hash
from .. import figures
from ..history import layer_state, record, record_changes
from ..locking import lock_rows
from .mapping import FLAGGED, MOVED, UNCHANGED, Anchor, Placed, place, tally


@dataclass(frozen=True)
class Reanchored:
    """What one article's re-anchoring did: its spans counted by outcome (over all of its layers)."""

    article_id: int
    external_id: str
    moved: int
    flagged: int
    unchanged: int
    layers: int
    revision_id: int | None

    def line(self) -> str:
        return f"{self.external_id}: moved {self.moved}, flagged {self.flagged}, unchanged {self.unchanged}"


def pieces_of(span: Span) -> tuple[tuple[int, int], ...]:
    """A span's pieces in order: its fragments, or the one piece (start, end) when it has none."""
    if span.fragments:
        return tuple((int(start), int(end)) for start, end in span.fragments)
    return ((span.start, span.end),)


def anchor_state(span: Span) -> dict:
    """What a revert writes back to a span: where it was, what it covered, whether it was flagged."""
    return {"start": span.start, "end": span.end, "fragments": span.fragments, "text": span.text,
            "needs_review": span.needs_review}


def _restored(span: Span, state: dict) -> Placed:
    """A span put back exactly as a revision recorded it (reverting.py), classified like any placement."""
    fragments = state["fragments"]
    pieces = tuple(tuple(p) for p in fragments) if fragments else ((state["start"], state["end"]),)
    outcome = FLAGGED if state["needs_review"] else (UNCHANGED if pieces == pieces_of(span) else MOVED)
    return Placed(span.pk, outcome, pieces)


def _write_text(article: Article, new_text: str) -> None:
    """The one write of an annotated article's text: through the trigger's permit (migration 0022)."""
    TextChangePermit.objects.create(article_id=article.pk)
    Article.objects.filter(pk=article.pk).update(text=new_text, content_hash=content_hash(new_text),
                                                 updated_at=timezone.now())
    TextChangePermit.objects.filter(article_id=article.pk).delete()
    article.text = new_text
    article.content_hash = content_hash(new_text)
    article._stored_text = new_text  # Article.save() compares with the stored text: this one is stored now


@transaction.atomic
def reanchor_article(*, article: Article, new_text: str, source: str = "", actor=None,
                     reverts: ArticleRevision | None = None, exact: dict[int, dict] | None = None) -> Reanchored:
    """Give `article` the text `new_text`, re-anchoring the spans of all its layers (see the module).

    `exact` (a revert's): {layer id: {span id (str): state}} for layers whose spans go back exactly to those
    states instead of being placed by the diff. Raises ValidationError for an empty text.
    """
    if not new_text:
        raise ValidationError({"text": "is empty: the spans of an annotated article need a text to point into."})
    layer_ids = list(Annotation.objects.filter(article_id=article.pk).order_by("pk").values_list("pk", flat=True))
    lock_rows(layer_ids)  # the layers first, as every layer writer locks them, so no two writers deadlock
    stored = Article.objects.select_for_update().only("pk", "text", "project_id", "external_id").get(pk=article.pk)
    old_text = stored.text
    layers = {layer.pk: layer for layer in Annotation.objects.filter(pk__in=layer_ids)}
    before = {pk: layer_state(pk) for pk in layer_ids}
    spans = list(Span.objects.filter(annotation_id__in=layer_ids).order_by("pk"))
    placed = place(old_text, new_text, [Anchor(s.pk, s.text, pieces_of(s), s.needs_review) for s in spans]) \
        if spans else []
    exact = exact or {}
    placed = [_restored(span, exact[span.annotation_id][str(span.pk)])
              if str(span.pk) in exact.get(span.annotation_id, {}) else p for span, p in zip(spans, placed)]

    states_before = {span.pk: anchor_state(span) for span in spans}
    _write_text(article, new_text)
    changed = []
    for span, where in zip(spans, placed):
        state = exact.get(span.annotation_id, {}).get(str(span.pk))
        text = state["text"] if state else span.text  # a flagged span keeps its old snapshot
        needs_review = where.outcome == FLAGGED
        if (where.pieces, text, needs_review) != (pieces_of(span), span.text, span.needs_review) or \
                where.fragments != span.fragments:
            span.start, span.end, span.fragments = where.start, where.end, where.fragments
            span.text, span.needs_review = text, needs_review
            changed.append(span)
    Span.objects.bulk_update(changed, ["start", "end", "fragments", "text", "needs_review"], batch_size=500)
    for model in (SuggestedStance, SuggestedRelation, SuggestedSpan):
        model.objects.filter(article_id=article.pk).delete()

    counts = tally(placed)
    revision = ArticleRevision.objects.create(
        article_id=article.pk, text_before=old_text, text_after=new_text, source=source[:1000],
        actor=actor if getattr(actor, "is_authenticated", False) else None, reverts=reverts, counts=counts,
        layers={str(pk): {"version": layers[pk].version + 1,
                          "spans": {str(s.pk): states_before[s.pk] for s in spans if s.annotation_id == pk}}
                for pk in layer_ids})
    by_layer: dict[int, list[Placed]] = {pk: [] for pk in layer_ids}
    for span, where in zip(spans, placed):
        by_layer[span.annotation_id].append(where)
    for pk in layer_ids:
        layer = layers[pk]
        # One version more and one step in its history, even for a layer whose spans all stayed: its text
        # changed, so an editor holding the old version must reload it (the next write is a 409).
        Annotation.objects.filter(pk=pk).update(version=layer.version + 1, updated_at=timezone.now())
        layer.version += 1
        record_changes(layer, before[pk], layer_state(pk), actor=actor)
        record(layer, "article.reanchor", actor=actor,
               after={"revision": revision.pk, "source": revision.source, **tally(by_layer[pk])})
    figures.mark_stale(stored.project_id, [article.pk])
    return Reanchored(article.pk, stored.external_id, counts[MOVED], counts[FLAGGED], counts[UNCHANGED],
                      len(layer_ids), revision.pk)

