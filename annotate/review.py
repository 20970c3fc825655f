"""Lining up several annotators' layers of one article: what they agree on and where they differ.

Items are keyed by what they say, not by database ids, so two annotators'
spans, relations and stances can be compared and copied into gold:

* span:     (label, start, end), and a discontinuous span's pieces after them:
            (label, start, end, ((start, end), ...)); the pieces are part of what a
            span says, so one quote split differently by two annotators is two items
* relation: (type, from span key, to span key)
* stance:   (holder, target) with the polarity as the compared value, where the
            holder is the holder span's key (or its linked source, when it has one)
            or the stance's holder entity; a layer's second stance on the same
            (holder, target) is keyed (holder, target, 1), and so on
"""
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from .models import Annotation, ArticleAnswer, ArticleQuestion, Span, Stance


def span_key(span: Span) -> tuple:
    pieces = span.pieces
    return (span.label.name, span.start, span.end) + ((tuple(pieces),) if len(pieces) > 1 else ())


def holder_key(stance: Stance) -> tuple:
    if stance.holder_span_id is not None:
        span = stance.holder_span
        if span.entity_id is not None:
            return ("entity", span.entity.name)
        return ("span",) + span_key(span)
    return ("entity", stance.holder_entity.name)


@dataclass
class Item:
    kind: str  # span | relation | stance
    key: tuple
    by: dict = field(default_factory=dict)  # username -> the annotator's object
    gold: object = None

    @property
    def annotators(self) -> list[str]:
        return sorted(self.by)


def layers_of(article) -> tuple[list[Annotation], Annotation | None]:
    """The article's submitted annotator layers and its gold layer, with everything in them (fixed queries)."""
    spans = Span.objects.select_related("label", "entity")
    stances = Stance.objects.select_related("target", "polarity", "holder_entity", "holder_span__label",
                                            "holder_span__entity").prefetch_related(
        Prefetch("evidence", Span.objects.select_related("label")))
    layers = list(
        Annotation.objects.filter(article=article)
        .exclude(is_gold=False, status=Annotation.Status.IN_PROGRESS)
        .select_related("annotator", "reviewer")
        .prefetch_related(Prefetch("spans", spans), "relations__type",
                          Prefetch("relations__from_span", spans), Prefetch("relations__to_span", spans),
                          Prefetch("stances", stances))
        .order_by("is_gold", "annotator__username")
    )
    gold = next((layer for layer in layers if layer.is_gold), None)
    return [layer for layer in layers if not layer.is_gold], gold


def line_up(annotator_layers: list[Annotation], gold: Annotation | None) -> dict[str, dict[tuple, Item]]:
    """Every item of every layer, grouped by key: {kind: {key: Item}}."""
    items = {"span": {}, "relation": {}, "stance": {}}

    def collect(layer, who):
        spans = {s.pk: s for s in layer.spans.all()}
        for span in spans.values():
            place(items["span"], "span", span_key(span), who, span)
        for relation in layer.relations.all():
            key = (relation.type.name, span_key(spans[relation.from_span_id]), span_key(spans[relation.to_span_id]))
            place(items["relation"], "relation", key, who, relation)
        seen = defaultdict(int)
        for stance in sorted(layer.stances.all(), key=lambda s: s.pk):
            # A layer may hold several stances of one holder on one target (different evidence):
            # the second and later ones get their rank in the key, so none hides another.
            base = (holder_key(stance), stance.target.name)
            rank = seen[base]
            seen[base] += 1
            place(items["stance"], "stance", base if rank == 0 else base + (rank,), who, stance)

    for layer in annotator_layers:
        collect(layer, layer.annotator.get_username())
    if gold is not None:
        collect(gold, None)
    return items


def place(group: dict, kind: str, key: tuple, who, obj) -> None:
    item = group.setdefault(key, Item(kind, key))
    if who is None:
        item.gold = obj
    else:
        item.by[who] = obj


def differences(annotator_layers: list[Annotation], gold: Annotation | None = None) -> dict:
    """What a reviewer needs to see: agreed items, items only some annotators have, and conflicts.

    Conflicts: the same range with different labels, overlapping ranges of one label with different
    bounds, the same span linked to different sources, and different polarities for one stance item.
    """
    names = sorted(layer.annotator.get_username() for layer in annotator_layers)
    items = line_up(annotator_layers, gold)
    everyone = set(names)

    def state(item):
        return "agreed" if set(item.by) == everyone else "partial"

    spans = list(items["span"].values())
    label_conflicts = defaultdict(set)
    for item in spans:
        label_conflicts[item.key[1:]].add(item.key[0])
    boundary = []
    by_label = defaultdict(list)
    for item in spans:
        by_label[item.key[0]].append(item)
    for group in by_label.values():
        group.sort(key=lambda i: i.key[1:])
        for first, second in zip(group, group[1:]):
            if second.key[1] < first.key[2] and set(first.by) != set(second.by):
                boundary.append((first.key, second.key))
    entity_conflicts = [
        item.key for item in spans
        if len({obj.entity.name if obj.entity_id else None for obj in item.by.values()}) > 1
    ]
    polarity_conflicts = [
        item.key for item in items["stance"].values()
        if len({obj.polarity.name for obj in item.by.values()}) > 1
    ]
    return {
        "annotators": names,
        "items": items,
        "state": {kind: {key: state(item) for key, item in group.items()} for kind, group in items.items()},
        "label_conflicts": {rng: sorted(labels) for rng, labels in label_conflicts.items() if len(labels) > 1},
        "boundary_conflicts": boundary,
        "entity_conflicts": entity_conflicts,
        "polarity_conflicts": polarity_conflicts,
    }


def line_up_answers(annotator_layers: list[Annotation], gold: Annotation | None) -> list[dict]:
    """Each article question of the project with every layer's answer side by side (two queries).

    state: "agreed" when every annotator gave the same answer, "conflict" when two answers differ,
    "partial" when some annotators left it open but those who answered agree, "open" when nobody answered.
    """
    if not annotator_layers:
        return []
    article_id = annotator_layers[0].article_id
    who = {layer.pk: layer.annotator.get_username() for layer in annotator_layers}
    layer_ids = [*who, *([gold.pk] if gold is not None else [])]
    answers: dict[int, dict] = {}
    for answer in ArticleAnswer.objects.filter(annotation_id__in=layer_ids).only(
            "id", "annotation_id", "question_id", "value"):
        answers.setdefault(answer.question_id, {})[answer.annotation_id] = answer
    rows = []
    for question in ArticleQuestion.objects.filter(project__articles=article_id).order_by("order", "name"):
        given = answers.get(question.pk, {})
        by = {who[pk]: a for pk, a in given.items() if pk in who}
        values = [a.value for a in by.values()]
        if not values:
            state = "open"
        elif any(v != values[0] for v in values):
            state = "conflict"
        else:
            state = "agreed" if len(values) == len(who) else "partial"
        gold_answer = given.get(gold.pk) if gold is not None else None
        rows.append({"question": question.name, "prompt": question.prompt, "kind": question.kind,
                     "required": question.required, "state": state,
                     "answers": {name: a.value for name, a in sorted(by.items())},
                     "ids": {name: a.pk for name, a in sorted(by.items())},
                     "gold": gold_answer.value if gold_answer is not None else None})
    return rows
