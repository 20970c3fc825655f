"""Accepting and rejecting suggestions.

Accepting writes ordinary layer items through services/annotating.py (lock, version, validation,
history), so an accepted item is like one made by hand, except its provenance:
`[{"recommender", "version", "score"}]`. A relation or a stance brings its spans along. Each item
gets a client id made from the layer and the suggestion's key, so a retried accept finds the items
it made and writes nothing again; a span the layer holds already (same label and offsets) is used
as it is. Rejecting writes no item: it records the decision, and the suggestion is not shown to that
person on that article again (reading.py). Every accept and reject is recorded per recommender
(SuggestionDecision), which is what the acceptance rates count.
"""
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import (
    Annotation,
    Relation,
    Span,
    Stance,
    SuggestedRelation,
    SuggestedSpan,
    SuggestedStance,
    SuggestionDecision,
)
from ..services import annotating
from ..services.locking import check_layer, hold_layer, replay_version
from .keys import relation_key, span_key, stance_key

# uuid5 namespace of accepted suggestions' client ids (any fixed UUID; never change it).
ACCEPTED = uuid.UUID("6b7c1f0e-3d1a-4c58-9a57-2f4f3b1e9d21")

Kind = SuggestionDecision.Kind


def client_id(annotation: Annotation, key: str) -> uuid.UUID:
    return uuid.uuid5(ACCEPTED, f"{annotation.pk}|{key}")


def provenance(suggestion) -> list[dict]:
    return [{"recommender": suggestion.recommender, "version": suggestion.version, "score": suggestion.score}]


@dataclass
class Chosen:
    """The suggestions one accept or reject is about, with their keys."""
    spans: dict[int, SuggestedSpan] = field(default_factory=dict)
    relations: list[SuggestedRelation] = field(default_factory=list)
    stances: list[SuggestedStance] = field(default_factory=list)
    keys: dict[tuple[str, int], str] = field(default_factory=dict)  # (kind, suggestion id) -> key
    named: set[int] = field(default_factory=set)  # the spans asked for, not brought along as ends

    def key(self, kind: str, suggestion) -> str:
        return self.keys[(kind, suggestion.pk)]

    def __len__(self):
        return len(self.spans) + len(self.relations) + len(self.stances)


def choose(annotation: Annotation, *, user, spans=(), relations=(), stances=(), label: str | None = None,
           min_score: float | None = None) -> Chosen:
    """The article's suggestions by id (an id of another article is an error), or every suggestion of
    `label` that `user` still sees on this layer (at least `min_score`), with the spans their relations and
    stances need."""
    article_id = annotation.article_id
    chosen = Chosen()
    found = {row.pk: row for row in SuggestedSpan.objects.filter(article_id=article_id, pk__in=list(spans))
             .select_related("label")}
    _refuse_missing("spans", spans, found)
    chosen.spans.update(found)
    chosen.named.update(found)
    if label is not None:
        from .reading import suggestions_of  # the same rule as what is shown

        shown = suggestions_of(annotation.article, min_score=min_score, layer=annotation, user=user)
        ids = [span["id"] for span in shown["spans"] if span["label"] == label]
        # With those `user` accepted already: a retried "accept all" finds what it made (a replay), not nothing.
        accepted = set(SuggestionDecision.objects.filter(
            article_id=article_id, user=user, kind=Kind.SPAN, label=label,
            decision=SuggestionDecision.Decision.ACCEPTED).values_list("key", flat=True))
        if accepted:
            ids += [pk for pk, start, end in SuggestedSpan.objects.filter(article_id=article_id, label__name=label)
                    .values_list("pk", "start", "end") if span_key(label, start, end) in accepted]
        if not ids:
            raise ValidationError({"label": f"no {label} suggestion is left to decide here."})
        chosen.spans.update({row.pk: row for row in SuggestedSpan.objects.filter(pk__in=ids).select_related("label")})
        chosen.named.update(ids)
    found = {row.pk: row for row in SuggestedRelation.objects.filter(article_id=article_id, pk__in=list(relations))
             .select_related("type", "from_span__label", "to_span__label")}
    _refuse_missing("relations", relations, found)
    chosen.relations = list(found.values())
    found = {row.pk: row for row in SuggestedStance.objects.filter(article_id=article_id, pk__in=list(stances))
             .select_related("target", "polarity", "holder_span__label").prefetch_related("evidence__label")}
    _refuse_missing("stances", stances, found)
    chosen.stances = list(found.values())
    for relation in chosen.relations:
        chosen.spans.setdefault(relation.from_span_id, relation.from_span)
        chosen.spans.setdefault(relation.to_span_id, relation.to_span)
    for stance in chosen.stances:
        if stance.holder_span is not None:
            chosen.spans.setdefault(stance.holder_span_id, stance.holder_span)
        for span in stance.evidence.all():
            chosen.spans.setdefault(span.pk, span)
    for pk, span in chosen.spans.items():
        chosen.keys[(Kind.SPAN, pk)] = span_key(span.label.name, span.start, span.end)
    for relation in chosen.relations:
        chosen.keys[(Kind.RELATION, relation.pk)] = relation_key(
            relation.type.name, chosen.key(Kind.SPAN, relation.from_span), chosen.key(Kind.SPAN, relation.to_span))
    for stance in chosen.stances:
        holder = chosen.key(Kind.SPAN, stance.holder_span) if stance.holder_span is not None else None
        chosen.keys[(Kind.STANCE, stance.pk)] = stance_key(stance.target.name, stance.polarity.name, holder,
                                                           stance.holder_entity_id)
    return chosen


def _refuse_missing(field_name: str, wanted, found: dict) -> None:
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ValidationError({field_name: f"no suggestion {', '.join(map(str, missing))} on this article."})


def _decide(annotation: Annotation, user, chosen: Chosen, decision: str, items: dict[str, int]) -> None:
    """Record one decision per chosen suggestion (a later decision about the same key replaces the earlier)."""
    rows: dict[str, SuggestionDecision] = {}  # by key: two recommenders may propose the same item
    for kind, suggestions, label in ((Kind.SPAN, chosen.spans.values(), lambda s: s.label.name),
                                     (Kind.RELATION, chosen.relations, lambda r: r.type.name),
                                     (Kind.STANCE, chosen.stances, lambda s: s.target.name)):
        for suggestion in suggestions:
            key = chosen.key(kind, suggestion)
            if key in rows and rows[key].score >= suggestion.score:
                continue
            rows[key] = (SuggestionDecision(
                project_id=annotation.article.project_id, article_id=annotation.article_id, user=user, kind=kind,
                key=key, label=label(suggestion), recommender=suggestion.recommender, version=suggestion.version,
                score=suggestion.score, decision=decision, item_id=items.get(key)))
    SuggestionDecision.objects.filter(article_id=annotation.article_id, user=user, key__in=list(rows)).delete()
    SuggestionDecision.objects.bulk_create(rows.values())


@dataclass
class Accepted:
    spans: list[Span]
    relations: list[Relation]
    stances: list[Stance]
    version: int
    replayed: bool = False


@transaction.atomic
def accept(*, annotation: Annotation, expected_version, chosen: Chosen, actor) -> Accepted:
    if not len(chosen):
        raise ValidationError({"spans": "choose at least one suggestion to accept."})
    held = hold_layer(annotation)
    ids = {key: client_id(annotation, key) for key in chosen.keys.values()}
    made = {str(item.client_id): item for model in (Span, Relation, Stance)
            for item in model.objects.filter(annotation_id=annotation.pk, client_id__in=list(ids.values()))}
    if len(made) == len(ids):  # every item is there: the accept was applied and its answer lost
        return _replayed(annotation, expected_version, chosen, made, ids)
    check_layer(annotation, held, expected_version)
    # A suggestion is one piece: a split span with the same outer bounds is not the span it would make.
    by_offsets = {span_key(label, start, end): pk for pk, label, start, end in
                  Span.objects.filter(annotation_id=annotation.pk, fragments__isnull=True)
                  .values_list("pk", "label__name", "start", "end")}
    items: dict[str, int] = {}
    spans: dict[int, Span] = {}  # by suggestion id
    for pk, suggestion in chosen.spans.items():
        key = chosen.key(Kind.SPAN, suggestion)
        existing = made.get(str(ids[key]))
        if existing is None and key in by_offsets:
            existing = Span.objects.get(pk=by_offsets[key])
        spans[pk] = existing or annotating.add_span(
            annotation=annotation, expected_version=annotation.version, label=suggestion.label,
            start=suggestion.start, end=suggestion.end, entity=suggestion.entity_id,
            attributes=suggestion.attributes, client_id=ids[key], provenance=provenance(suggestion), actor=actor)
        items[key] = spans[pk].pk
    relations = []
    for suggestion in chosen.relations:
        key = chosen.key(Kind.RELATION, suggestion)
        ends = {"from_span": spans[suggestion.from_span_id], "to_span": spans[suggestion.to_span_id]}
        relation = made.get(str(ids[key])) or Relation.objects.filter(type=suggestion.type, **ends).first()
        if relation is None:
            relation = annotating.add_relation(
                annotation=annotation, expected_version=annotation.version, type=suggestion.type,
                **ends, client_id=ids[key], provenance=provenance(suggestion), actor=actor)
        relations.append(relation)
        items[key] = relation.pk
    stances = []
    for suggestion in chosen.stances:
        key = chosen.key(Kind.STANCE, suggestion)
        stance = made.get(str(ids[key])) or annotating.add_stance(
            annotation=annotation, expected_version=annotation.version, target=suggestion.target,
            polarity=suggestion.polarity, explicit=suggestion.explicit,
            holder_span=spans[suggestion.holder_span_id] if suggestion.holder_span_id else None,
            holder_entity=suggestion.holder_entity_id,
            evidence=[spans[span.pk] for span in suggestion.evidence.all()], client_id=ids[key],
            provenance=provenance(suggestion), actor=actor)
        stances.append(stance)
        items[key] = stance.pk
    _decide(annotation, actor, chosen, SuggestionDecision.Decision.ACCEPTED, items)
    return Accepted(list(spans.values()), relations, stances, annotation.version)


def _replayed(annotation, expected_version, chosen: Chosen, made: dict, ids: dict) -> Accepted:
    """The answer to an accept repeated after it was applied: the items it made, and the version to go on
    from (the one it reached, when the client's version is the one it started from)."""
    from ..models import AnnotationEvent

    versions = list(AnnotationEvent.objects.filter(
        annotation_id=annotation.pk, after__client_id__in=[str(cid) for cid in ids.values()])
        .values_list("version", flat=True))
    version = annotation.version
    if versions and expected_version is not None and int(expected_version) == min(versions) - 1:
        version = max(versions)
    else:
        version = replay_version(annotation, expected_version, None)

    def items(kind, suggestions):
        return [made[str(ids[chosen.key(kind, suggestion)])] for suggestion in suggestions]

    return Accepted(items(Kind.SPAN, chosen.spans.values()), items(Kind.RELATION, chosen.relations),
                    items(Kind.STANCE, chosen.stances), version, replayed=True)


@transaction.atomic
def reject(*, annotation: Annotation, chosen: Chosen, actor) -> int:
    """Record `actor`'s rejection of the chosen suggestions (their spans' relations and stances go too, when
    shown again: reading.py). Nothing in the layer changes; rejecting twice is the same as once."""
    if not len(chosen):
        raise ValidationError({"spans": "choose at least one suggestion to reject."})
    # A relation or stance rejected alone leaves its spans undecided: only what was named is rejected.
    named = Chosen(spans={pk: span for pk, span in chosen.spans.items() if pk in chosen.named},
                   relations=chosen.relations, stances=chosen.stances, keys=chosen.keys)
    _decide(annotation, actor, named, SuggestionDecision.Decision.REJECTED, {})
    return len(named)
