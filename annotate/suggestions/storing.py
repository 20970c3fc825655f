"""Storing what a recommender proposed: checked against the article and the project, then written as
suggestion rows, replacing that recommender's earlier suggestions for those articles in one transaction.

Nothing is stored from an answer with a fault: every guess is checked first (label of the project,
offsets inside the text, score in 0..1, relation ends that exist and fit the type), and the first
fault is a RecommenderError naming the recommender, the article and the item. A run that stores
articles in batches replaces each batch whole, so an article never holds half of one run and half of
another from the same recommender.
"""
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from ..models import Article, SuggestedRelation, SuggestedSpan, SuggestedStance
from ..services import bulk
from .base import Guesses, RecommenderError
from .uncertainty import refresh_uncertainty
from .vocabulary import Vocabulary


@dataclass
class Stored:
    spans: int = 0
    relations: int = 0
    stances: int = 0

    def add(self, other: "Stored") -> None:
        self.spans += other.spans
        self.relations += other.relations
        self.stances += other.stances


def _fault(recommender: str, article: Article, where: str, message: str) -> RecommenderError:
    return RecommenderError(f"{recommender} on article {article.pk} ({article.external_id}): {where}: {message}")


def _bad_score(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        return f"must be a number from 0 to 1, got {value!r}"
    return None


def _check(guesses: Guesses, article: Article, vocabulary: Vocabulary, recommender: str) -> None:
    def fault(where, message):
        return _fault(recommender, article, where, message)

    length = len(article.text)
    for i, span in enumerate(guesses.spans):
        where = f"spans[{i}]"
        if span.label not in vocabulary.labels:
            raise fault(f"{where}.label", f"{span.label!r} is not a label of this project")
        for name in ("start", "end"):
            value = getattr(span, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise fault(f"{where}.{name}", f"must be an integer, got {value!r}")
        if not 0 <= span.start < span.end <= length:
            raise fault(where, f"offsets {span.start}:{span.end} are not inside the text ({length} code points)")
        if span.entity is not None and span.entity not in vocabulary.entities:
            raise fault(f"{where}.entity", f"{span.entity!r} is not a source of this project")
        if (message := _bad_score(span.score)) is not None:
            raise fault(f"{where}.score", message)
    count = len(guesses.spans)
    for i, relation in enumerate(guesses.relations):
        where = f"relations[{i}]"
        if relation.type not in vocabulary.relation_types:
            raise fault(f"{where}.type", f"{relation.type!r} is not a relation type of this project")
        _, from_label, to_label = vocabulary.relation_types[relation.type]
        for name, wanted in (("source", from_label), ("target", to_label)):
            index = getattr(relation, name)
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
                raise fault(f"{where}.{name}", f"no span {index!r} in this answer ({count} spans)")
            if wanted is not None and vocabulary.labels[guesses.spans[index].label] != wanted:
                raise fault(f"{where}.{name}", f"{relation.type} needs a {vocabulary.label_names[wanted]} span here")
        if relation.source == relation.target:
            raise fault(where, "a relation links two different spans")
        if (message := _bad_score(relation.score)) is not None:
            raise fault(f"{where}.score", message)
    for i, stance in enumerate(guesses.stances):
        where = f"stances[{i}]"
        if stance.target not in vocabulary.targets:
            raise fault(f"{where}.target", f"{stance.target!r} is not a stance target of this project")
        if stance.polarity not in vocabulary.polarities:
            raise fault(f"{where}.polarity", f"{stance.polarity!r} is not a polarity of this project")
        if stance.holder is None and stance.holder_entity is None:
            raise fault(where, "a stance needs a holder span or a holder source")
        for index in ([stance.holder] if stance.holder is not None else []) + list(stance.evidence):
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
                raise fault(where, f"no span {index!r} in this answer ({count} spans)")
        if stance.holder_entity is not None and stance.holder_entity not in vocabulary.entities:
            raise fault(f"{where}.holder_entity", f"{stance.holder_entity!r} is not a source of this project")
        if (message := _bad_score(stance.score)) is not None:
            raise fault(f"{where}.score", message)


def _unique_spans(guesses: Guesses) -> tuple[list, dict[int, int]]:
    """The spans without repeats (same label and offsets: the best score kept), and where each went."""
    kept, where, by_key = [], {}, {}
    for i, span in enumerate(guesses.spans):
        key = (span.label, span.start, span.end)
        if key in by_key:
            j = by_key[key]
            if span.score > kept[j].score:
                kept[j] = span
        else:
            by_key[key] = len(kept)
            kept.append(span)
        where[i] = by_key[key]
    return kept, where


SPAN_COLUMNS = ("id", "article_id", "recommender", "version", "score", "created_at", "label_id", "start", "end",
                "text", "entity_id", "attributes")
RELATION_COLUMNS = ("id", "article_id", "recommender", "version", "score", "created_at", "type_id", "from_span_id",
                    "to_span_id")
STANCE_COLUMNS = ("id", "article_id", "recommender", "version", "score", "created_at", "holder_span_id",
                  "holder_entity_id", "target_id", "polarity_id", "explicit")
EVIDENCE = SuggestedStance.evidence.through


def _delete(ids: list[int], recommender: str) -> None:
    """One recommender's suggestions of these articles, gone: four DELETEs, children first.

    Plain SQL: the ORM's delete would first read every row back to follow the cascades.
    """
    quote = connection.ops.quote_name
    stances, relations, spans = (quote(model._meta.db_table) for model in (SuggestedStance, SuggestedRelation,
                                                                           SuggestedSpan))
    marks = ", ".join(["%s"] * len(ids))
    where = f"article_id IN ({marks}) AND recommender = %s"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(EVIDENCE._meta.db_table)} WHERE suggestedstance_id IN "
                       f"(SELECT id FROM {stances} WHERE {where})", [*ids, recommender])
        for table in (stances, relations, spans):
            cursor.execute(f"DELETE FROM {table} WHERE {where}", [*ids, recommender])


@transaction.atomic
def replace(*, vocabulary: Vocabulary, recommender: str, version: str,
            answers: Sequence[tuple[Article, Guesses]]) -> Stored:
    """`recommender`'s suggestions for these articles become `answers`: checked whole, then written, and the
    articles' uncertainty (the queue's active-learning order) counted again.

    Rows are written as plain tuples with ids allocated up front (services/bulk.py: COPY on PostgreSQL,
    executemany on SQLite), so relations and stances point at the spans of the same batch without reading
    them back; a run stores about a hundred suggestions an article.
    """
    for article, guesses in answers:
        _check(guesses, article, vocabulary, recommender)
    ids = [article.pk for article, _ in answers]
    for i in range(0, len(ids), 500):  # within SQLite's limit on a statement's parameters
        _delete(ids[i:i + 500], recommender)
    now = bulk.timestamp(timezone.now())
    kept_by_article = [_unique_spans(guesses) for _, guesses in answers]
    span_ids = iter(bulk.allocate_ids(SuggestedSpan, sum(len(kept) for kept, _ in kept_by_article)))
    span_rows, relation_rows, stance_rows, evidence = [], [], [], []
    for (article, guesses), (kept, where) in zip(answers, kept_by_article, strict=True):
        own = []
        for span in kept:
            own.append(next(span_ids))
            span_rows.append((own[-1], article.pk, recommender, version, float(span.score), now,
                              vocabulary.labels[span.label], span.start, span.end, article.text[span.start:span.end],
                              span.entity, bulk.json_text(span.attributes)))
        seen = set()
        for relation in guesses.relations:
            ends = (own[where[relation.source]], own[where[relation.target]])
            if ends[0] == ends[1] or (relation.type, *ends) in seen:
                continue  # the ends were one span repeated, or the relation was
            seen.add((relation.type, *ends))
            relation_rows.append([article.pk, recommender, version, float(relation.score), now,
                                  vocabulary.relation_types[relation.type][0], *ends])
        for stance in guesses.stances:
            stance_rows.append([article.pk, recommender, version, float(stance.score), now,
                                own[where[stance.holder]] if stance.holder is not None else None,
                                stance.holder_entity, vocabulary.targets[stance.target],
                                vocabulary.polarities[stance.polarity], bool(stance.explicit)])
            evidence.append({own[where[index]] for index in stance.evidence})
    relation_rows = [(pk, *row) for pk, row in zip(bulk.allocate_ids(SuggestedRelation, len(relation_rows)),
                                                   relation_rows, strict=True)]
    stance_rows = [(pk, *row) for pk, row in zip(bulk.allocate_ids(SuggestedStance, len(stance_rows)), stance_rows,
                                                 strict=True)]
    bulk.insert_rows(SuggestedSpan, SPAN_COLUMNS, span_rows)
    bulk.insert_rows(SuggestedRelation, RELATION_COLUMNS, relation_rows)
    bulk.insert_rows(SuggestedStance, STANCE_COLUMNS, stance_rows)
    bulk.insert_rows(EVIDENCE, ("suggestedstance_id", "suggestedspan_id"), [
        (row[0], span_id) for row, spans in zip(stance_rows, evidence, strict=True) for span_id in sorted(spans)])
    refresh_uncertainty(ids)  # the uncertainty queue order reads it (uncertainty.py)
    return Stored(spans=len(span_rows), relations=len(relation_rows), stances=len(stance_rows))
