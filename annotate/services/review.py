"""Reviewing: building the gold layer from annotators' layers, sending work back, merging sources."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import webhooks
from ..models import Annotation, Assignment, Entity, Relation, Span, Stance
from ..review import Item, layers_of, line_up, span_key
from . import article_labels, figures
from .assignments import refresh_needs_annotators
from .history import record, relation_state, span_state, stance_state
from .locking import bump_versions, lock_layer


@transaction.atomic
def start_gold(*, article, reviewer, source: Annotation | None = None) -> Annotation:
    """Create the article's gold layer: a copy of `source`, or (source None) the items every annotator agrees on.

    Every copied item keeps its provenance: the usernames of the annotators who had it.
    """
    if Annotation.objects.filter(article=article, is_gold=True).exists():
        raise ValidationError({"gold": "this article already has a gold layer."})
    layers, _ = layers_of(article)
    if source is not None and source.pk not in {layer.pk for layer in layers}:
        raise ValidationError({"source": "start from a submitted layer of this article."})
    if not layers:
        raise ValidationError({"source": "no submitted layer to adjudicate yet."})
    gold = Annotation.objects.create(article=article, is_gold=True, reviewer=reviewer)
    items = line_up(layers, None)
    everyone = {layer.annotator.get_username() for layer in layers}
    if source is None:
        chosen = {kind: [i for i in group.values() if set(i.by) == everyone and _same_value(i)]
                  for kind, group in items.items()}
        origin = None
    else:
        origin = source.annotator.get_username()
        chosen = {kind: [i for i in group.values() if origin in i.by] for kind, group in items.items()}
    copier = _GoldCopier(gold, items)
    for kind in ("span", "relation", "stance"):
        for item in chosen[kind]:
            copier.copy(item, origin)
    record(gold, "gold.start", actor=reviewer, after={"source": source.pk if source else None})
    copier.record(reviewer)
    # The article-level answers: the source layer's, or those every annotator gave alike.
    article_labels.copy_into_new_gold(gold, article_labels.agreed_answers(
        [source.pk] if source is not None else [layer.pk for layer in layers]), actor=reviewer)
    return gold


def _same_value(item: Item) -> bool:
    """Agreement on a stance item includes its polarity; spans and relations agree by key alone."""
    if item.kind != "stance":
        return True
    return len({(s.polarity.name, s.explicit) for s in item.by.values()}) == 1


class _GoldCopier:
    """Copies annotators' items into gold, bringing along the spans a relation or stance needs."""

    def __init__(self, gold: Annotation, items: dict):
        self.gold = gold
        self.items = items
        self.spans = {span_key(s): s for s in Span.objects.filter(annotation=gold).select_related("label")}
        self.created: list[tuple[str, object]] = []  # (kind, object), for the history

    def record(self, actor) -> None:
        states = {"span": span_state, "relation": relation_state, "stance": stance_state}
        for kind, obj in self.created:
            record(self.gold, f"{kind}.add", actor=actor, after=states[kind](obj))

    def copy(self, item: Item, origin: str | None = None):
        source = item.by[origin] if origin in item.by else item.by[sorted(item.by)[0]]
        provenance = item.annotators
        if item.kind == "span":
            return self.span(source, provenance)
        if item.kind == "relation":
            relation, created = Relation.objects.get_or_create(
                annotation=self.gold, type=source.type, from_span=self.span_for(source.from_span),
                to_span=self.span_for(source.to_span), defaults={"provenance": provenance})
            if created:
                self.created.append(("relation", relation))
            return relation
        stance = Stance.objects.create(
            annotation=self.gold, holder_span=self.span_for(source.holder_span) if source.holder_span_id else None,
            holder_entity=source.holder_entity, target=source.target, polarity=source.polarity,
            explicit=source.explicit, provenance=provenance)
        stance.evidence.set([self.span_for(span) for span in source.evidence.all()])
        self.created.append(("stance", stance))
        return stance

    def span(self, source: Span, provenance: list[str]) -> Span:
        key = span_key(source)
        if key not in self.spans:
            self.spans[key] = Span.objects.create(
                annotation=self.gold, label=source.label, start=source.start, end=source.end, text=source.text,
                fragments=source.fragments, entity=source.entity, attributes=source.attributes, provenance=provenance,
                # A flagged span's text is its old snapshot: gold keeps the flag (and the invariant that an
                # unflagged span's text is what its pieces cover).
                needs_review=source.needs_review)
            self.created.append(("span", self.spans[key]))
        return self.spans[key]

    def span_for(self, source: Span) -> Span:
        """The gold span with the same key, copied with its own provenance when gold lacks it."""
        item = self.items["span"].get(span_key(source))
        return self.span(source, item.annotators if item else [])


MODELS = {"span": Span, "relation": Relation, "stance": Stance}


@transaction.atomic
def accept_item(*, gold: Annotation, expected_version, kind: str, item_id: int, actor=None) -> object:
    """Copy one annotator item (span, relation, stance or article label, by id) of the same article into gold."""
    if kind not in MODELS and kind != "article_label":
        raise ValidationError({"kind": f"one of {', '.join(MODELS)}, article_label"})
    if not gold.is_gold:
        raise ValidationError({"annotation": "items are accepted into the gold layer only."})
    if kind == "article_label":
        return article_labels.accept_answer(gold=gold, expected_version=expected_version, answer_id=item_id,
                                            actor=actor)
    lock_layer(gold, expected_version)
    source = MODELS[kind].objects.filter(pk=item_id, annotation__article_id=gold.article_id,
                                         annotation__is_gold=False).select_related("annotation__annotator").first()
    if source is None:
        raise ValidationError({"item_id": f"no {kind} {item_id} in this article's annotator layers."})
    layers, _ = layers_of(gold.article)
    items = line_up(layers, None)
    origin = source.annotation.annotator.get_username()
    wanted = next((item for item in items[kind].values() if item.by.get(origin) and item.by[origin].pk == source.pk),
                  None)
    if wanted is None:  # the source layer is not submitted: line_up only sees submitted layers
        raise ValidationError({"item_id": f"{kind} {item_id} is not in a submitted layer of this article."})
    copier = _GoldCopier(gold, items)
    copied = copier.copy(wanted, origin)
    bump_versions([gold.pk])
    gold.version += 1
    copier.record(actor)
    return copied


@transaction.atomic
def adjudicate(*, gold: Annotation, expected_version, reviewer) -> Annotation:
    """Mark the gold layer final: it is what `status=gold` exports."""
    lock_layer(gold, expected_version)
    if not gold.is_gold:
        raise ValidationError({"annotation": "only the gold layer is adjudicated."})
    article_labels.check_required(gold, doing="adjudicating")
    now = timezone.now()
    before = gold.status
    Annotation.objects.filter(pk=gold.pk).update(status=Annotation.Status.ADJUDICATED, reviewer=reviewer,
                                                 submitted_at=now, updated_at=now, version=gold.version + 1)
    gold.refresh_from_db()
    record(gold, "status.adjudicate", actor=reviewer, before={"status": before}, after={"status": gold.status})
    figures.refresh([gold.article_id])
    webhooks.emit(gold.article.project_id, "gold.adjudicated", webhooks.layer_data(gold))
    return gold


@transaction.atomic
def return_to_annotator(*, annotation: Annotation, reviewer, comment: str) -> Annotation:
    """Send a submitted layer back with a comment; the annotator sees it in My work and can edit again."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "say what should change."})
    if annotation.is_gold or annotation.status != Annotation.Status.SUBMITTED:
        raise ValidationError({"status": "only a submitted annotator layer can be sent back."})
    now = timezone.now()
    Annotation.objects.filter(pk=annotation.pk).update(
        status=Annotation.Status.RETURNED, reviewer=reviewer, review_comment=comment, updated_at=now,
        version=annotation.version + 1)
    Assignment.objects.filter(article_id=annotation.article_id, annotator_id=annotation.annotator_id).update(
        status=Assignment.Status.IN_PROGRESS, finished_at=None, updated_at=now)
    refresh_needs_annotators([annotation.article_id])  # a skipped assignment sent back takes its slot again
    annotation.refresh_from_db()
    record(annotation, "status.return", actor=reviewer, before={"status": Annotation.Status.SUBMITTED},
           after={"status": annotation.status, "comment": comment})
    figures.refresh([annotation.article_id])
    webhooks.emit(annotation.article.project_id, "layer.returned", webhooks.layer_data(annotation))
    return annotation


@transaction.atomic
def merge_entities(*, keep: Entity, absorb: Entity, actor=None) -> Entity:
    """Make `absorb` part of `keep`: every mention and stance moves, names become aliases; nothing is lost."""
    if keep.pk == absorb.pk or keep.project_id != absorb.project_id:
        raise ValidationError({"absorb": "merge two different sources of the same project."})
    touched = set(Span.objects.filter(entity=absorb).values_list("annotation_id", flat=True))
    touched |= set(Stance.objects.filter(holder_entity=absorb).values_list("annotation_id", flat=True))
    Span.objects.filter(entity=absorb).update(entity=keep)
    Stance.objects.filter(holder_entity=absorb).update(holder_entity=keep)
    aliases = list(dict.fromkeys([*keep.aliases, absorb.name, *absorb.aliases]))
    keep.aliases = [alias for alias in aliases if alias != keep.name]
    if not keep.description:
        keep.description = absorb.description
    keep.save(update_fields=["aliases", "description"])
    detail = {"kept": keep.pk, "kept_name": keep.name, "absorbed": absorb.pk, "absorbed_name": absorb.name}
    absorb.delete()
    bump_versions(touched, action="entity.merge", actor=actor, detail=detail)
    figures.refresh(Annotation.objects.filter(pk__in=touched).values_list("article_id", flat=True).distinct())
    return keep
