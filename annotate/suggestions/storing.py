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

from django.db import transaction

from ..models import Article, SuggestedRelation, SuggestedSpan, SuggestedStance
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


@transaction.atomic
def replace(*, vocabulary: Vocabulary, recommender: str, version: str,
            answers: Sequence[tuple[Article, Guesses]]) -> Stored:
    """`recommender`'s suggestions for these articles become `answers`: checked whole, then written, and the
    articles' uncertainty (the queue's active-learning order) counted again."""
    for article, guesses in answers:
        _check(guesses, article, vocabulary, recommender)
    ids = [article.pk for article, _ in answers]
    # Relations and stances go with their spans (CASCADE); deleting them first keeps it to three queries.
    SuggestedStance.objects.filter(article_id__in=ids, recommender=recommender).delete()
    SuggestedRelation.objects.filter(article_id__in=ids, recommender=recommender).delete()
    SuggestedSpan.objects.filter(article_id__in=ids, recommender=recommender).delete()
    stored = Stored()
    span_rows, positions = [], []
    for article, guesses in answers:
        kept, where = _unique_spans(guesses)
        rows = [SuggestedSpan(article=article, recommender=recommender, version=version, score=float(span.score),
                              label_id=vocabulary.labels[span.label], start=span.start, end=span.end,
                              text=article.text[span.start:span.end], entity_id=span.entity,
                              attributes=span.attributes or {}) for span in kept]
        positions.append((len(span_rows), where))
        span_rows.extend(rows)
    SuggestedSpan.objects.bulk_create(span_rows, batch_size=1000)
    stored.spans = len(span_rows)
    relation_rows, stance_rows, evidence = [], [], []
    for (article, guesses), (offset, where) in zip(answers, positions, strict=True):
        def row(index, offset=offset, where=where):
            return span_rows[offset + where[index]]

        seen = set()
        for relation in guesses.relations:
            source, target = row(relation.source), row(relation.target)
            key = (relation.type, source.pk, target.pk)
            if key in seen or source.pk == target.pk:
                continue
            seen.add(key)
            relation_rows.append(SuggestedRelation(
                article=article, recommender=recommender, version=version, score=float(relation.score),
                type_id=vocabulary.relation_types[relation.type][0], from_span=source, to_span=target))
        for stance in guesses.stances:
            stance_rows.append(SuggestedStance(
                article=article, recommender=recommender, version=version, score=float(stance.score),
                holder_span=row(stance.holder) if stance.holder is not None else None,
                holder_entity_id=stance.holder_entity, target_id=vocabulary.targets[stance.target],
                polarity_id=vocabulary.polarities[stance.polarity], explicit=bool(stance.explicit)))
            evidence.append({row(index).pk for index in stance.evidence})
    SuggestedRelation.objects.bulk_create(relation_rows, batch_size=1000)
    SuggestedStance.objects.bulk_create(stance_rows, batch_size=1000)
    links = SuggestedStance.evidence.through
    links.objects.bulk_create([links(suggestedstance_id=stance.pk, suggestedspan_id=span_id)
                               for stance, spans in zip(stance_rows, evidence, strict=True) for span_id in spans],
                              batch_size=1000)
    stored.relations, stored.stances = len(relation_rows), len(stance_rows)
    refresh_uncertainty(ids)  # the uncertainty queue order reads it (uncertainty.py)
    return stored
