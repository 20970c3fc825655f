"""An article's suggestions as the API and the workspace show them.

For a person working on a layer, what they decided already (accepted or rejected, by key: keys.py)
and what their layer holds already (the same label and offsets) is left out, and so are relations
and stances whose spans were rejected. A fixed number of queries whatever the article's size.
"""
from ..models import (
    Annotation,
    Span,
    SuggestedRelation,
    SuggestedSpan,
    SuggestedStance,
    SuggestionDecision,
)
from .keys import relation_key, span_key, stance_key

SPAN_FIELDS = ("pk", "label__name", "start", "end", "text", "score", "recommender", "version", "entity_id",
               "attributes")


def _rows(model, article, recommender, min_score, fields):
    rows = model.objects.filter(article_id=article.pk)
    if recommender:
        rows = rows.filter(recommender__in=recommender)
    if min_score is not None:
        rows = rows.filter(score__gte=min_score)
    return rows.order_by("pk").values_list(*fields)


def suggestions_of(article, *, recommender: list[str] | None = None, min_score: float | None = None,
                   layer: Annotation | None = None, user=None) -> dict:
    """`{"spans", "relations", "stances"}` of the article; with `user` (and their `layer`), without what
    they decided or hold already."""
    spans = {}
    for pk, label, start, end, text, score, name, version, entity, attributes in _rows(
            SuggestedSpan, article, recommender, min_score, SPAN_FIELDS):
        spans[pk] = {"id": pk, "label": label, "start": start, "end": end, "text": text, "score": score,
                     "recommender": name, "version": version, "entity": entity, "attributes": attributes,
                     "key": span_key(label, start, end)}
    decided: dict[str, str] = {}
    if user is not None:
        decided = dict(SuggestionDecision.objects.filter(article_id=article.pk, user=user)
                       .values_list("key", "decision"))
    held = set()
    if layer is not None:
        held = {span_key(label, start, end) for label, start, end in  # one-piece spans: as suggestions are
                Span.objects.filter(annotation_id=layer.pk, fragments__isnull=True)
                .values_list("label__name", "start", "end")}
    rejected = {pk for pk, span in spans.items() if decided.get(span["key"]) == SuggestionDecision.Decision.REJECTED}
    shown_spans = {pk: span for pk, span in spans.items() if span["key"] not in decided and span["key"] not in held}

    relations = []
    for pk, type_name, from_id, to_id, score, name, version in _rows(
            SuggestedRelation, article, recommender, min_score,
            ("pk", "type__name", "from_span_id", "to_span_id", "score", "recommender", "version")):
        if from_id not in spans or to_id not in spans or from_id in rejected or to_id in rejected:
            continue  # an end below the threshold, or rejected: the relation goes with it
        key = relation_key(type_name, spans[from_id]["key"], spans[to_id]["key"])
        if key in decided:
            continue
        relations.append({"id": pk, "type": type_name, "from": from_id, "to": to_id, "score": score,
                          "recommender": name, "version": version, "key": key})

    stance_rows = list(_rows(SuggestedStance, article, recommender, min_score,
                             ("pk", "target__name", "polarity__name", "holder_span_id", "holder_entity_id",
                              "explicit", "score", "recommender", "version")))
    evidence: dict[int, list[int]] = {}
    if stance_rows:
        links = SuggestedStance.evidence.through.objects.filter(suggestedstance_id__in=[row[0] for row in stance_rows])
        for stance_id, span_id in links.order_by("suggestedspan_id").values_list("suggestedstance_id",
                                                                                 "suggestedspan_id"):
            evidence.setdefault(stance_id, []).append(span_id)
    stances = []
    for pk, target, polarity, holder, holder_entity, explicit, score, name, version in stance_rows:
        needed = ([holder] if holder else []) + evidence.get(pk, [])
        if any(span_id not in spans or span_id in rejected for span_id in needed):
            continue
        key = stance_key(target, polarity, spans[holder]["key"] if holder else None, holder_entity)
        if key in decided:
            continue
        stances.append({"id": pk, "target": target, "polarity": polarity, "holder": holder,
                        "holder_entity": holder_entity, "evidence": evidence.get(pk, []), "explicit": explicit,
                        "score": score, "recommender": name, "version": version, "key": key})
    # A span a shown relation or stance needs stays shown (as an end) even if the layer holds it already.
    return {"spans": list(shown_spans.values()), "relations": relations, "stances": stances,
            "ends": {pk: spans[pk] for pk in _ends(relations, stances) if pk not in shown_spans}}


def _ends(relations, stances):
    for relation in relations:
        yield relation["from"]
        yield relation["to"]
    for stance in stances:
        if stance["holder"]:
            yield stance["holder"]
        yield from stance["evidence"]
