"""Run a search for one user in one project: a page of articles or of hits in context (docs/search.md).

Pages are keyset pages: articles in id order; hits in (article id, start, end, kind, item id) order. A page
reads the candidate articles a batch at a time (the index and the relational filters in one query), then
the items of that batch (one query per kind), and stops after MAX_BATCHES batches even if the page is not
full: a page is a bounded number of queries whatever the corpus, and its cursor goes on from where it
stopped. Offsets are code points of the article's text (Python string indexes), end exclusive.

`count` is counted on the first page only (the cursor carries it on) and up to a limit: at most
HIT_COUNT_LIMIT hits or ARTICLE_COUNT_LIMIT articles; the limit itself means "at least that many".
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from annotate.models import Article, Relation, Span, Stance
from annotate.suggestions.textnorm import fold, fold_word

from . import index
from .compile import MODELS, WORD, Plan, compile_query
from .query import Text, parse, render

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_BATCHES = 3
HIT_COUNT_LIMIT = 1_000
ARTICLE_COUNT_LIMIT = 10_000
COUNT_BATCH = 200  # articles read per query when counting text hits
CONTEXT = 150  # code points of context kept on each side of a hit, at most
KIND_ORDER = {"text": 0, "span": 1, "relation": 2, "stance": 3}
MODES = ("hits", "articles")
# A sentence ends after ., !, ?, the Arabic question mark, an ellipsis (and closing quotes or brackets),
# before white space; or at a line break.
SENTENCE_END = re.compile(r"[.!?؟…。][\"'”’»)\]]*\s+|\n\s*")
# Articles whose language PostgreSQL stems (index.POSTGRES_CONFIGS): their hits accept a word's endings and,
# in Arabic, its clitic prefixes, as the index does ("plans" for plan, "المغرب" for مغرب).
ARABIC_PREFIXES = frozenset({"ال", "و", "وال", "بال", "كال", "فال", "لل", "ب", "ل", "ف", "ك"})


class BadCursor(ValueError):
    pass


@dataclass
class Page:
    count: int
    results: list[dict]
    cursor: str | None  # the next page's cursor; None on the last page


# ----------------------------------------------------------------------------- cursors


def _digest(mode: str, q: str) -> str:
    return hashlib.sha1(f"{mode}\n{q}".encode()).hexdigest()[:12]


def encode_cursor(mode: str, q: str, count: int, after: list) -> str:
    raw = json.dumps({"d": _digest(mode, q), "c": count, "a": after}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(mode: str, q: str, cursor: str) -> tuple[int, list]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        count, after = int(raw["c"]), raw["a"]
        valid = raw["d"] == _digest(mode, q) and isinstance(after, list) and all(isinstance(x, int) for x in after)
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise BadCursor("This cursor is not from this query and mode.")
    return count, after


# ----------------------------------------------------------------------------- context


def context(text: str, start: int, end: int) -> dict:
    """The sentence around text[start:end], at most CONTEXT code points each side: offsets and the pieces."""
    if start is None:
        return None
    head = text[max(0, start - CONTEXT):start]
    ends = [m.end() for m in SENTENCE_END.finditer(head)]
    first = start - len(head) + (ends[-1] if ends else 0)
    if not ends and first > 0:  # cut mid-sentence: start at a word
        space = text.find(" ", first, start)
        first = space + 1 if space != -1 else first
    tail = text[end:end + CONTEXT]
    found = SENTENCE_END.search(tail)
    last = end + (found.start() + len(found.group().rstrip()) if found else len(tail))
    if not found and last < len(text):
        space = text.rfind(" ", end, last)
        last = space if space != -1 else last
    return {"start": first, "end": last, "before": text[first:start], "hit": text[start:end], "after": text[end:last]}


# ----------------------------------------------------------------------------- text hits


def _stems() -> bool:
    return connection.vendor == "postgresql"


def _word_matches(word: str, token: str, prefix: bool, stemmed: bool) -> bool:
    if word == token or (prefix and word.startswith(token)):
        return True
    if not stemmed or len(token) < 3:
        return False
    if word.startswith(token) and len(word) - len(token) <= 3:
        return True
    return word.endswith(token) and word[: len(word) - len(token)] in ARABIC_PREFIXES


def occurrences(article: dict, terms: tuple[Text, ...]) -> dict[tuple[int, int], Text]:
    """(start, end) of each occurrence of a term in the article's text, at the text's own offsets -> the term."""
    folded = fold(article["text"])
    words = [(m.group(), m.start(), m.end()) for m in WORD.finditer(folded.text)]
    stemmed = _stems() and (article["language"] or "").lower().split("-")[0] in index.POSTGRES_CONFIGS
    found = {}
    for term in terms:
        tokens = WORD.findall(fold_word(term.value))
        if not tokens:
            continue
        n = len(tokens)
        for i in range(len(words) - n + 1):
            if all(_word_matches(words[i + j][0], tokens[j], term.prefix and j == n - 1, stemmed and not term.phrase)
                   for j in range(n)):
                start, end = folded.span(words[i][1], words[i + n - 1][2])
                found.setdefault((start, end), term)
    return found


def text_hits(article: dict, terms: tuple[Text, ...]) -> list[dict]:
    text = article["text"]
    return [
        {**_article_part(article), "annotation_id": None, "annotator": None, "gold": False, "item": "text",
         "id": None, "label": None, "start": start, "end": end, "text": text[start:end],
         "context": context(text, start, end), "term": render(term)}
        for (start, end), term in sorted(occurrences(article, terms).items())
    ]


# ----------------------------------------------------------------------------- item hits


def _article_part(article: dict) -> dict:
    return {"article": article["id"], "external_id": article["external_id"]}


def _layer(annotation) -> dict:
    annotator = annotation.annotator
    return {"annotation_id": annotation.pk, "annotator": annotator.username if annotator else None,
            "gold": annotation.is_gold}


def _span(span) -> dict:
    return {"id": span.pk, "label": span.label.name, "start": span.start, "end": span.end, "text": span.text}


def item_hits(plan: Plan, articles: dict[int, dict]) -> list[dict]:
    """The hits of these articles, one query per kind that can match (and one for stances' evidence)."""
    ids = list(articles)
    hits = []
    for kind, q in plan.items.items():
        rows = _items(kind, q, ids)
        for item in rows:
            article = articles[item.annotation.article_id]
            hit = {**_article_part(article), **_layer(item.annotation), "item": kind, **_shape(kind, item)}
            hit["context"] = context(article["text"], hit["start"], hit["end"])
            hits.append(hit)
    return hits


def _items(kind: str, q: Q, ids: list[int]):
    layer = ("annotation", "annotation__annotator")
    if kind == "span":
        return Span.objects.filter(q, annotation__article_id__in=ids).select_related(*layer, "label", "entity")
    if kind == "relation":
        return Relation.objects.filter(q, annotation__article_id__in=ids).select_related(
            *layer, "type", "from_span__label", "to_span__label")
    return Stance.objects.filter(q, annotation__article_id__in=ids).select_related(
        *layer, "target", "polarity", "holder_entity", "holder_span__label", "holder_span__entity").prefetch_related(
        "evidence__label")


def _shape(kind: str, item) -> dict:
    if kind == "span":
        return {**_span(item), "entity": item.entity.name if item.entity else None}
    if kind == "relation":
        first = item.from_span
        return {"id": item.pk, "label": item.type.name, "start": first.start, "end": first.end, "text": first.text,
                "from": _span(item.from_span), "to": _span(item.to_span)}
    evidence = sorted((_span(span) for span in item.evidence.all()), key=lambda s: (s["start"], s["id"]))
    holder = _span(item.holder_span) if item.holder_span else None
    if holder is not None:
        holder["entity"] = item.holder_span.entity.name if item.holder_span.entity else None
    # Where a stance is in the text: its first evidence, else its holder's span, else nowhere (null offsets).
    where = evidence[0] if evidence else holder
    return {"id": item.pk, "label": item.polarity.name, "start": where and where["start"],
            "end": where and where["end"], "text": where and where["text"], "target": item.target.name,
            "polarity": item.polarity.name, "explicit": item.explicit,
            "holder": {"entity": item.holder_entity.name if item.holder_entity else None, "span": holder},
            "evidence": evidence}


def _key(hit: dict) -> list[int]:
    start = -1 if hit["start"] is None else hit["start"]
    end = -1 if hit["end"] is None else hit["end"]
    return [hit["article"], start, end, KIND_ORDER[hit["item"]], hit["id"] or 0]


# ----------------------------------------------------------------------------- running a search


class Search:
    def __init__(self, *, project, user, q: str, mode: str = "hits"):
        if mode not in MODES:
            raise ValueError(f"mode is one of {', '.join(MODES)}")
        self.q, self.mode = q, mode
        self.plan = compile_query(parse(q), project=project, user=user)
        self.articles = Article.objects.visible_to(user).filter(project=project).filter(self.plan.articles)

    def page(self, *, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
        size = max(1, min(size, MAX_PAGE_SIZE))
        if cursor:
            count, after = decode_cursor(self.mode, self.q, cursor)
        else:
            count, after = self.count(), []
        results, next_after = (self.article_page if self.mode == "articles" else self.hit_page)(after, size)
        next_cursor = encode_cursor(self.mode, self.q, count, next_after) if next_after else None
        return Page(count, results, next_cursor)

    def _batch(self, first_id: int, n: int) -> dict[int, dict]:
        rows = self.articles.filter(pk__gte=first_id).order_by("pk").values(
            "id", "external_id", "title", "language", "text")[:n]
        return {row["id"]: row for row in rows}

    def hits_of(self, articles: dict[int, dict]) -> list[dict]:
        if self.plan.hits == "text":
            hits = [hit for article in articles.values() for hit in text_hits(article, self.plan.terms)]
        else:
            hits = item_hits(self.plan, articles)
        return sorted(hits, key=_key)

    def article_page(self, after: list, size: int):
        batch = self._batch(after[0] + 1 if after else 0, size + 1)
        ids = list(batch)[:size]
        hits = self.hits_of({i: batch[i] for i in ids})
        per_article = dict.fromkeys(ids, 0)
        for hit in hits:
            per_article[hit["article"]] += 1
        results = [{"article": i, "external_id": batch[i]["external_id"], "title": batch[i]["title"],
                    "language": batch[i]["language"], "hits": per_article[i]} for i in ids]
        return results, ([ids[-1]] if len(batch) > size else None)

    def hit_page(self, after: list, size: int):
        results = []
        first_id = after[0] if after else 0
        for _ in range(MAX_BATCHES):
            batch = self._batch(first_id, size)
            for hit in self.hits_of(batch):
                if not after or _key(hit) > after:
                    results.append(hit)
            if len(results) > size:
                return results[:size], _key(results[size - 1])
            if len(batch) < size:
                return results, None  # the last articles
            last = max(batch)
            # Every hit of the batch is on the page: go on after its last article.
            after, first_id = [last, 2**62], last + 1
        if results:
            return results, _key(results[-1])
        return results, after

    def count(self) -> int:
        if self.mode == "articles":
            return self.articles.order_by()[:ARTICLE_COUNT_LIMIT].count()
        if self.plan.hits == "items":
            ids = self.articles.order_by().values("pk")
            total = 0
            for kind, q in self.plan.items.items():
                items = MODELS[kind].objects.filter(q, annotation__article_id__in=ids).order_by()
                total += items[:HIT_COUNT_LIMIT].count()
                if total >= HIT_COUNT_LIMIT:
                    break
            return min(total, HIT_COUNT_LIMIT)
        total, first_id = 0, 0
        for _ in range(HIT_COUNT_LIMIT // COUNT_BATCH):
            rows = list(self.articles.filter(pk__gte=first_id).order_by("pk").values("id", "language", "text")[
                :COUNT_BATCH])
            total += sum(len(occurrences(row, self.plan.terms)) for row in rows)
            if total >= HIT_COUNT_LIMIT or len(rows) < COUNT_BATCH:
                break
            first_id = rows[-1]["id"] + 1
        return min(total, HIT_COUNT_LIMIT)


def search(*, project, user, q: str, mode: str = "hits", cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of a search; QuerySyntaxError for a bad query, BadCursor for a cursor of another search."""
    return Search(project=project, user=user, q=q, mode=mode).page(cursor=cursor, size=size)
