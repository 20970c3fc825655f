"""The record iterator: annotation layers of a project as interchange records, read in keyset batches.

Every export format is written from these records, so what a layer looks
like outside the database is decided here once.

Reads are keyset batches (`pk > last ORDER BY pk LIMIT n` over layers), not
a server-side cursor: a cursor needs one connection and one transaction for
the whole stream, which pgbouncer in transaction mode does not give, and
Django's `.iterator()` on SQLite still holds the batch's rows. Each batch
costs a fixed number of queries whatever its number of spans: the layers
(with their article and annotator joined), then spans, relations, stances
and stance evidence for all of the batch's layers at once. Plain
`values_list` tuples, no model instances: at ~70 spans a layer, instances are
most of the time. Memory is one batch, so it stays flat as the corpus grows.
"""
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from ..interchange import SCHEMA_VERSION
from ..models import Annotation, Project, Relation, Span, Stance
from .filters import ExportFilters

# Layers per batch: about 17k spans at the benchmark corpus's density, a few
# tens of MB at most in flight. Read at call time so tests can shrink it.
BATCH_SIZE = 250

LAYER_FIELDS = (
    "pk", "annotator__username", "status", "updated_at",
    "article__external_id", "article__title", "article__outlet", "article__url", "article__published",
    "article__language", "article__caption", "article__metadata", "article__text",
)


def layers_of(project: Project, filters: ExportFilters):
    """The project's annotation layers that `filters` selects."""
    return Annotation.objects.filter(article__project=project).filter(filters.q())


def iter_records(
    project: Project,
    filters: ExportFilters = ExportFilters(),
    *,
    batch_size: int | None = None,
    up_to: int | None = None,
) -> Iterator[dict]:
    """Yield one interchange record per selected layer, in layer id order.

    `up_to` caps the layer ids: pass the highest id counted for the response
    headers so layers created while the stream runs do not join it halfway.
    """
    size = batch_size or BATCH_SIZE
    layers = layers_of(project, filters)
    if up_to is not None:
        layers = layers.filter(pk__lte=up_to)
    layers = layers.order_by("pk").values_list(*LAYER_FIELDS)
    last = 0
    while True:
        rows = list(layers.filter(pk__gt=last)[:size])
        if not rows:
            return
        yield from _records(rows)
        if len(rows) < size:
            return  # a short batch is the last one: no query to find out that nothing follows
        last = rows[-1][0]


def _records(layers: list[tuple]) -> Iterator[dict]:
    ids = [row[0] for row in layers]
    spans, local = _spans(ids)
    relations = _relations(ids, local)
    stances = _stances(ids, local)
    for (pk, annotator, status, updated_at, external_id, title, outlet, url, published, language, caption,
         metadata, text) in layers:
        yield {
            "external_id": external_id,
            "title": title,
            "source": outlet,
            "url": url,
            "published": published.isoformat() if published else None,
            "language": language,
            "caption": caption,
            "metadata": metadata if metadata is not None else {},
            "text": text,
            "annotations": {
                "spans": spans.get(pk, []),
                "relations": relations.get(pk, []),
                "stances": stances.get(pk, []),
            },
            "annotator": annotator,  # None for the gold layer (it has no annotator)
            "status": status,
            "annotation_id": pk,
            "updated_at": _utc(updated_at),
            "schema_version": SCHEMA_VERSION,
        }


def _utc(value: dt.datetime) -> str:
    # Fixed width (always microseconds, always Z) so the column sorts as text too.
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _spans(ids: list[int]) -> tuple[dict[int, list[dict]], dict[int, tuple[int, str]]]:
    """Spans by layer, and each span's (position, local id) by database id.

    Local ids are "s1", "s2", ... in (start, end, db id) order within the
    layer: stable for a given layer and short, whatever the database ids.
    """
    rows = (
        Span.objects.filter(annotation_id__in=ids)
        .order_by("annotation_id", "start", "end", "id")
        .values_list("annotation_id", "id", "start", "end", "label__name", "text", "entity__name", "attributes")
    )
    by_layer: dict[int, list[dict]] = {}
    local: dict[int, tuple[int, str]] = {}
    current, spans = None, None
    for annotation_id, pk, start, end, label, text, entity, attributes in rows:
        if annotation_id != current:
            current, spans = annotation_id, []
            by_layer[annotation_id] = spans
        n = len(spans) + 1
        local[pk] = (n, span_id := f"s{n}")
        spans.append({"id": span_id, "start": start, "end": end, "label": label, "text": text, "entity": entity,
                      "attributes": attributes if attributes is not None else {}})
    return by_layer, local


def _relations(ids: list[int], local: dict) -> dict[int, list[dict]]:
    rows = (
        Relation.objects.filter(annotation_id__in=ids)
        .order_by("annotation_id", "id")
        .values_list("annotation_id", "from_span_id", "to_span_id", "type__name")
    )
    by_layer = defaultdict(list)
    for annotation_id, from_id, to_id, type_name in rows:
        by_layer[annotation_id].append({"from": local[from_id][1], "to": local[to_id][1], "type": type_name})
    return by_layer


def _stances(ids: list[int], local: dict) -> dict[int, list[dict]]:
    evidence = defaultdict(list)
    for stance_id, span_id in Stance.evidence.through.objects.filter(stance__annotation_id__in=ids).values_list(
        "stance_id", "span_id"
    ):
        evidence[stance_id].append(local[span_id])
    rows = (
        Stance.objects.filter(annotation_id__in=ids)
        .order_by("annotation_id", "id")
        .values_list("annotation_id", "id", "holder_span_id", "holder_entity__name", "target__name",
                     "polarity__name", "explicit")
    )
    by_layer = defaultdict(list)
    for annotation_id, pk, holder_id, holder_entity, target, polarity, explicit in rows:
        by_layer[annotation_id].append({
            "holder": local[holder_id][1] if holder_id is not None else None,
            "holder_entity": holder_entity,
            "target": target,
            "polarity": polarity,
            "explicit": explicit,
            # Evidence is a set in the database; written in span order so files are stable.
            "evidence": [span_id for _, span_id in sorted(evidence.get(pk, ()))],
        })
    return by_layer
