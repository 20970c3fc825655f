"""Run a search for one user in one project: a page of articles or of hits in context (docs/search.md).

Pages are keyset pages: articles in id order; hits in (article id, start, end, kind, item id) order. A page
reads the candidate articles a batch at a time (the index and the relational filters in one query), then
the items of that batch (one query per kind), and stops after MAX_BATCHES batches even if the page is not
full: a page is a bounded number of queries whatever the corpus, and its cursor goes on from where it
stopped. Offsets are code points of the article's text (Python string indexes), end exclusive.

`count` is counted on the first page only (the cursor carries it on; a single page is its own count) and up to
a limit: HIT_COUNT_LIMIT hits or ARTICLE_COUNT_LIMIT articles; the limit itself means "at least that many".
Counting is what costs most on a first page, which is why the limits are low.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.db.models import Q

from annotate.models import Annotation, Article, Relation, Span, Stance
from annotate.suggestions.textnorm import fold_word

from . import index
from .compile import MODELS, WORD, Plan, compile_query
from .query import Text, parse, render

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_BATCHES = 3
HIT_COUNT_LIMIT = 200
ARTICLE_COUNT_LIMIT = 1_000
COUNT_BATCH = 100  # articles read per query when counting hits
COUNT_BATCHES = 3
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


_PREFIXES = "|".join(sorted(ARABIC_PREFIXES, key=len, reverse=True))


# Text hits are found by a regex over the stored text itself, so a match's offsets are the text's: case is
# ignored by the regex, each Arabic letter the folding maps matches its other forms, and the marks the folding
# drops (harakat, tatweel) may follow any letter.
_FORMS = {to: "[" + to + "".join(f for f, t in zip(index.LETTERS, index.LETTERS_TO, strict=True) if t == to) + "]"
          for to in set(index.LETTERS_TO)}
_MARKS = "[" + index.DROPPED + "]*"
_LETTER = r"\w" + _MARKS


def _word(token: str) -> str:
    return "".join(_FORMS.get(char, re.escape(char)) + _MARKS for char in token)


@lru_cache(maxsize=256)
def _pattern(tokens: tuple[str, ...], prefix: bool, stemmed: bool) -> re.Pattern:
    """A regex finding the term's words in order, whole words (the last one a prefix for `word*`); stemmed,
    a word may take up to three more letters and, first, an Arabic clitic prefix (as the index's stemmers)."""
    words = [_word(token) for token in tokens]
    if stemmed:
        words = [w + f"(?:{_LETTER}){{0,3}}" if len(t) >= 3 else w for w, t in zip(words, tokens, strict=True)]
        if len(tokens[0]) >= 3:
            words[0] = f"(?:{_PREFIXES})?" + words[0]
    if prefix:
        words[-1] += f"(?:{_LETTER})*"
    return re.compile(r"(?<!\w)" + r"\W+".join(words) + r"(?!\w)", re.IGNORECASE)


def occurrences(article: dict, terms: tuple[Text, ...]) -> dict[tuple[int, int], Text]:
    """(start, end) of each occurrence of a term in the article's text, at the text's own offsets -> the term.

    A regex per term over the text as stored (C speed: the first page counts up to a thousand hits)."""
    text = article["text"]
    stemmed = _stems() and (article["language"] or "").lower().split("-")[0] in index.POSTGRES_CONFIGS
    found = {}
    for term in terms:
        tokens = tuple(WORD.findall(fold_word(term.value)))
        if not tokens:
            continue
        for match in _pattern(tokens, term.prefix, stemmed and not term.phrase).finditer(text):
            found.setdefault((match.start(), match.end()), term)
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


def layers_of(article_ids) -> list[int]:
    """The layers of these articles. Items are then read by their layer's id, a list of numbers the items'
    (annotation, ...) indexes answer: joined through the articles instead, PostgreSQL may hash a whole table."""
    return list(Annotation.objects.filter(article_id__in=list(article_ids)).order_by().values_list("pk", flat=True))


def item_hits(plan: Plan, articles: dict[int, dict]) -> list[dict]:
    """The hits of these articles: their layers, then one query per kind that can match (and stances' evidence)."""
    if not articles or not plan.items:
        return []
    layers = layers_of(articles)
    hits = []
    for kind, q in plan.items.items():
        rows = _items(kind, q, layers)
        for item in rows:
            article = articles[item.annotation.article_id]
            hit = {**_article_part(article), **_layer(item.annotation), "item": kind, **_shape(kind, item)}
            hit["context"] = context(article["text"], hit["start"], hit["end"])
            hits.append(hit)
    return hits


def _items(kind: str, q: Q, layers: list[int]):
    """No ORDER BY (the hits are sorted here): the models' default orders reach the project's name through
    joins that made PostgreSQL hash whole tables."""
    layer = ("annotation", "annotation__annotator")
    if kind == "span":
        return Span.objects.filter(q, annotation_id__in=layers).order_by().select_related(*layer, "label", "entity")
    if kind == "relation":
        return Relation.objects.filter(q, annotation_id__in=layers).order_by().select_related(
            *layer, "type", "from_span__label", "to_span__label")
    return Stance.objects.filter(q, annotation_id__in=layers).order_by().select_related(
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
        visible = Article.objects.visible_to(user).filter(project=project)
        self.articles = visible.filter(self.plan.articles)
        self.narrowed = visible.filter(self.plan.narrowing)
        # What pages walk. With item fields: the articles the index narrows to, whose items are then read a batch
        # at a time (an article without a hit is passed over). Asking the database for "articles with such an
        # item" instead makes PostgreSQL read the matching items of the whole corpus for every page.
        self.scan = self.narrowed if self.plan.exists else self.articles

    def page(self, *, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
        size = max(1, min(size, MAX_PAGE_SIZE))
        count, after = decode_cursor(self.mode, self.q, cursor) if cursor else (None, [])
        results, next_after = (self.article_page if self.mode == "articles" else self.hit_page)(after, size)
        if count is None:  # the first page: a single page is its own count
            count = len(results) if next_after is None else self.count()
        next_cursor = encode_cursor(self.mode, self.q, count, next_after) if next_after else None
        return Page(count, results, next_cursor)

    def _batch(self, first_id: int, n: int) -> tuple[dict[int, dict], bool]:
        """The next n articles to look at from first_id on (one query), and whether there are more."""
        rows = list(self.scan.filter(pk__gte=first_id).order_by("pk").values(
            "id", "external_id", "title", "language", "text")[:n + 1])
        return {row["id"]: row for row in rows[:n]}, len(rows) > n

    def hits_of(self, articles: dict[int, dict]) -> list[dict]:
        if self.plan.hits == "text":
            hits = [hit for article in articles.values() for hit in text_hits(article, self.plan.terms)]
        else:
            hits = item_hits(self.plan, articles)
        return sorted(hits, key=_key)

    def article_page(self, after: list, size: int):
        results, first_id = [], after[0] + 1 if after else 0
        for _ in range(MAX_BATCHES):
            batch, more = self._batch(first_id, size)
            per_article = dict.fromkeys(batch, 0)
            for hit in self.hits_of(batch):
                per_article[hit["article"]] += 1
            ids = list(batch)
            for place, i in enumerate(ids):
                if self.plan.exists and not per_article[i]:
                    continue  # an article the index narrowed to, without an item that matches
                results.append({"article": i, "external_id": batch[i]["external_id"], "title": batch[i]["title"],
                                "language": batch[i]["language"], "hits": per_article[i]})
                if len(results) == size:
                    return results, ([i] if more or place < len(ids) - 1 else None)
            if not more or not ids:
                return results, None
            first_id = ids[-1] + 1
        return results, [first_id - 1]

    def hit_page(self, after: list, size: int):
        results = []
        first_id = after[0] if after else 0
        for _ in range(MAX_BATCHES):
            batch, more = self._batch(first_id, size)
            for hit in self.hits_of(batch):
                if not after or _key(hit) > after:
                    results.append(hit)
            if len(results) > size:
                return results[:size], _key(results[size - 1])
            if not more or not batch:
                return results, None  # the last articles
            last = max(batch)
            # Every hit of the batch is on the page: go on after its last article.
            after, first_id = [last, 2**62], last + 1
        if results:
            return results, _key(results[-1])
        return results, after

    def candidates(self, n: int) -> list[int]:
        """The first n articles with a hit, for counting item queries: one query per kind of item, merged (an
        OR of EXISTS cannot be a semi-join on PostgreSQL, which then hashes each subquery over the corpus)."""
        found, cutoff = set(), None
        for exists in self.plan.exists.values():
            ids = list(self.narrowed.filter(exists).order_by("pk").values_list("pk", flat=True)[:n])
            found.update(ids)
            if len(ids) == n:
                cutoff = ids[-1] if cutoff is None else min(cutoff, ids[-1])
        return sorted(i for i in found if cutoff is None or i <= cutoff)[:n]

    def count(self) -> int:
        """Exact up to the limit (the limit: at least that many).

        Hits are counted by walking the articles as pages do, COUNT_BATCH at a time, for at most COUNT_BATCHES
        batches: dense hits reach the limit (or the articles run out) within them. Sparse item hits beyond
        that are counted exactly the slow way, over the articles having such an item (`candidates`)."""
        if self.mode == "articles":
            if self.plan.exists:
                return len(self.candidates(ARTICLE_COUNT_LIMIT))
            return self.articles.order_by()[:ARTICLE_COUNT_LIMIT].count()
        total, first_id = 0, 0
        fields = ("id", "language", "text") if self.plan.hits == "text" else ("id",)
        for _ in range(COUNT_BATCHES):
            rows = list(self.scan.filter(pk__gte=first_id).order_by("pk").values(*fields)[:COUNT_BATCH])
            if self.plan.hits == "text":
                total += sum(len(occurrences(row, self.plan.terms)) for row in rows)
            else:
                total += self._count_items([row["id"] for row in rows], HIT_COUNT_LIMIT - total)
            if total >= HIT_COUNT_LIMIT or len(rows) < COUNT_BATCH:
                return min(total, HIT_COUNT_LIMIT)
            first_id = rows[-1]["id"] + 1
        if self.plan.hits == "text" or not self.plan.exists:
            return min(total, HIT_COUNT_LIMIT)  # every one of these articles had a hit: at least the limit
        return min(self._count_items(self.candidates(HIT_COUNT_LIMIT), HIT_COUNT_LIMIT), HIT_COUNT_LIMIT)

    def _count_items(self, article_ids: list[int], limit: int) -> int:
        layers = layers_of(article_ids) if article_ids else []
        total = 0
        for kind, q in self.plan.items.items():
            if not layers or total >= limit:
                break
            total += MODELS[kind].objects.filter(q, annotation_id__in=layers).order_by()[:limit - total].count()
        return total


def search(*, project, user, q: str, mode: str = "hits", cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of a search; QuerySyntaxError for a bad query, BadCursor for a cursor of another search."""
    return Search(project=project, user=user, q=q, mode=mode).page(cursor=cursor, size=size)
