"""The record iterator: annotation layers of a project as interchange records, read in keyset batches.

Every export format is written from these records, so what a layer looks
like outside the database is decided here once.

Reads are keyset batches (`pk > last ORDER BY pk LIMIT n` over layers), not
a server-side cursor: a cursor needs one connection and one transaction for
the whole stream, which pgbouncer in transaction mode does not give, and
Django's `.iterator()` on SQLite still holds the batch's rows. Each batch
costs a fixed number of queries whatever its number of spans: the layers
(with their article and annotator joined), then spans, relations, stances
and stance evidence for all of the batch's layers at once; the vocabulary's
names are read once per export. Plain
`values_list` tuples, no model instances: at ~70 spans a layer, instances are
most of the time. Memory is one batch, so it stays flat as the corpus grows.

A span's claim cluster (docs/claims.md) rides in the spans query as a scalar subquery on the
memberships' unique span index: no query more per batch, and no join that would cost the spans
their index order.
"""
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterator
from typing import NamedTuple

import orjson
from django.db.models import OuterRef, Subquery, TextField
from django.db.models.functions import Cast

from config.routers import replica_reads

from ..interchange import SCHEMA_VERSION
from ..models import (
    Annotation,
    Article,
    ArticleAnswer,
    ClaimMember,
    Label,
    Polarity,
    Project,
    Relation,
    RelationType,
    Span,
    Stance,
    StanceTarget,
)
from .filters import ExportFilters

# Layers per batch: about 17k spans at the benchmark corpus's density, a few
# tens of MB at most in flight. Read at call time so tests can shrink it.
BATCH_SIZE = 250

_EMPTY_JSON = frozenset({"{}", None})  # most spans have no attributes: skip the decoder
# Provenance, likewise, is empty but on gold items and items accepted from suggestions; an empty one is
# not written at all, so the export of hand-made items keeps the shape it always had.
_NO_PROVENANCE = frozenset({"[]", None})

# The filters when none are given: submitted layers, all of them. ExportFilters is frozen, so every
# call can share this one instance.
UNFILTERED = ExportFilters()

LAYER_FIELDS = (
    "pk", "annotator__username", "status", "updated_at",
    "article__external_id", "article__title", "article__outlet", "article__url", "article__published",
    "article__language", "article__caption", "article__metadata", "article__text",
)


class _NamesById(dict):
    """A vocabulary table's names by id, read once per export.

    Looked up in Python rather than joined: joining the label table in every
    spans query cost it the index order (a full sort of each batch instead of
    an incremental one) and sent the same few names 700k times. An id created
    while the export runs (a label added mid-stream) is fetched on first use.
    """

    def __init__(self, model, project: Project):
        super().__init__(model.objects.filter(project=project).values_list("pk", "name"))
        self.model = model

    def __missing__(self, pk: int) -> str:
        self[pk] = name = self.model.objects.values_list("name", flat=True).get(pk=pk)
        return name


class _Names(NamedTuple):
    labels: _NamesById
    relation_types: _NamesById
    targets: _NamesById
    polarities: _NamesById

    @classmethod
    def of(cls, project: Project) -> "_Names":
        return cls(*(_NamesById(model, project) for model in (Label, RelationType, StanceTarget, Polarity)))


def layers_of(project: Project, filters: ExportFilters):
    """The project's annotation layers that `filters` selects."""
    return Annotation.objects.filter(article__project=project).filter(filters.q())


def iter_records(
    project: Project,
    filters: ExportFilters = UNFILTERED,
    *,
    batch_size: int | None = None,
    up_to: int | None = None,
) -> Iterator[dict]:
    """Yield one interchange record per selected layer, in layer id order.

    `up_to` caps the layer ids: pass the highest id counted for the response
    headers so layers created while the stream runs do not join it halfway.
    """
    layers = layers_of(project, filters)
    if up_to is not None:
        layers = layers.filter(pk__lte=up_to)
    build = _records_with_comments if filters.comments else _records
    yield from in_batches(layers.order_by("pk").values_list(*LAYER_FIELDS), project, build,
                          batch_size or BATCH_SIZE)


def in_batches(rows_in_order, project: Project, build, size: int) -> Iterator[dict]:
    """`build(rows, names)`'s records over `rows_in_order` (values_list rows, primary key first, in its order),
    read a keyset batch at a time: `pk > last ORDER BY pk LIMIT size`."""
    names, last = None, 0
    while True:
        # Each batch is read (from the read replica, when there is one) before it is handed out, so
        # the replica routing never stays switched on while the caller runs between records.
        with replica_reads():
            rows = list(rows_in_order.filter(pk__gt=last)[:size])
            if not rows:
                return
            if names is None:
                names = _Names.of(project)
            batch = list(build(rows, names))
        yield from batch
        if len(rows) < size:
            return  # a short batch is the last one: no query to find out that nothing follows
        last = rows[-1][0]


def _records_with_comments(layers: list[tuple], names: _Names) -> Iterator[dict]:
    """include=comments: each record with its layer's discussion threads (comments.py)."""
    return _records(layers, names, comments=True)


def _records(layers: list[tuple], names: _Names, *, comments: bool = False) -> Iterator[dict]:
    ids = [row[0] for row in layers]
    spans, local = _spans(ids, names.labels)
    if comments:
        from .comments import threads_by_layer  # it reads this module's time format

        threads = threads_by_layer(ids, local)
    relations = _relations(ids, local, names.relation_types)
    stances = _stances(ids, local, names)
    answers = _article_labels(ids)
    for (pk, annotator, status, updated_at, external_id, title, outlet, url, published, language, caption,
         metadata, text) in layers:
        record = {
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
            "article_labels": answers.get(pk, {}),
            "annotator": annotator,  # None for the gold layer (it has no annotator)
            "status": status,
            "annotation_id": pk,
            "updated_at": _utc(updated_at),
            "schema_version": SCHEMA_VERSION,
        }
        if comments:
            record["threads"] = threads.get(pk, [])
        yield record


ARTICLE_FIELDS = ("pk", "external_id", "title", "outlet", "url", "published", "language", "caption", "metadata",
                  "text")


def iter_unannotated(project: Project, *, batch_size: int | None = None) -> Iterator[dict]:
    """Records for the project's articles that have no layer at all, with empty annotations.

    A backup (`export_annotations --status all --with-unannotated`) needs them; the
    import reads such a record as an article without annotations.
    """
    size = batch_size or BATCH_SIZE
    articles = (Article.objects.filter(project=project, annotations__isnull=True)
                .order_by("pk").values_list(*ARTICLE_FIELDS))
    last = 0
    while True:
        with replica_reads():
            rows = list(articles.filter(pk__gt=last)[:size])
        for _pk, external_id, title, outlet, url, published, language, caption, metadata, text in rows:
            yield {
                "external_id": external_id, "title": title, "source": outlet, "url": url,
                "published": published.isoformat() if published else None, "language": language,
                "caption": caption, "metadata": metadata if metadata is not None else {}, "text": text,
                "annotations": {"spans": [], "relations": [], "stances": []}, "article_labels": {},
                "annotator": None, "status": None, "annotation_id": None, "updated_at": None,
                "schema_version": SCHEMA_VERSION,
            }
        if len(rows) < size:
            return
        last = rows[-1][0]


def _utc(value: dt.datetime) -> str:
    # Fixed width (always microseconds, always Z) so the column sorts as text too.
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _local_ids(count: int) -> list[str]:
    """"s1", "s2", ...: made once and shared, not formatted again for each of 700k spans."""
    while len(_LOCAL_IDS) < count:
        _LOCAL_IDS.extend(f"s{n}" for n in range(len(_LOCAL_IDS) + 1, 2 * len(_LOCAL_IDS) + 1))
    return _LOCAL_IDS


_LOCAL_IDS = [f"s{n}" for n in range(1, 1025)]


def _spans(ids: list[int], labels: dict[int, str]) -> tuple[dict[int, list[dict]], dict[int, str]]:
    """Spans by layer, and each span's local id by database id.

    Local ids are "s1", "s2", ... in (start, end, db id) order within the
    layer: stable for a given layer and short, whatever the database ids.
    """
    rows = (
        Span.objects.filter(annotation_id__in=ids)
        # The JSON column as text, decoded by orjson below: Django's JSONField
        # converter (json.loads per row) was a third of the export's time.
        .annotate(attributes_json=Cast("attributes", TextField()), provenance_json=Cast("provenance", TextField()),
                  fragments_json=Cast("fragments", TextField()),
                  claim_cluster=Subquery(ClaimMember.objects.filter(span_id=OuterRef("pk")).values("cluster_id")))
        .order_by("annotation_id", "start", "end", "id")
        .values_list("annotation_id", "id", "start", "end", "label_id", "text", "entity__name", "attributes_json",
                     "provenance_json", "claim_cluster", "fragments_json", "needs_review")
    )
    by_layer: dict[int, list[dict]] = {}
    local: dict[int, str] = {}
    current, spans, names = None, None, _LOCAL_IDS
    loads, empty, unmade = orjson.loads, _EMPTY_JSON, _NO_PROVENANCE
    for annotation_id, pk, start, end, label, text, entity, attributes, provenance, cluster, pieces, flagged in rows:
        if annotation_id != current:
            current, spans, n = annotation_id, [], 0
            by_layer[annotation_id] = spans
        if n == len(names):
            names = _local_ids(n + 1)
        local[pk] = span_id = names[n]
        n += 1
        # Every span shows its pieces: NULL is the ordinary one-piece span.
        span = {"id": span_id, "start": start, "end": end,
                "fragments": [[start, end]] if pieces is None else loads(pieces), "label": labels[label],
                "text": text, "entity": entity, "attributes": {} if attributes in empty else loads(attributes)}
        if provenance not in unmade:
            span["provenance"] = loads(provenance)
        if cluster is not None:  # a CLAIM or QUOTE in a claim cluster; other spans keep their shape
            span["claim_cluster"] = cluster
        if flagged:  # re-anchoring flagged it; ordinary spans keep their shape
            span["needs_review"] = True
        spans.append(span)
    return by_layer, local


# _spans_made_meanwhile: a batch's queries are separate statements, each
# seeing the data as it is when it runs (no snapshot spans them: that would
# need one long transaction, which is what keyset reads avoid). A span added
# to a layer after its batch's spans query is unknown to the relations and
# stances read next, so what points at it is left out of this export rather
# than written dangling. The write bumped the layer's updated_at, so the next
# export (or incremental pull) has it whole.


def _in_text_order(local_ids: list[str]) -> list[str]:
    # "s2" before "s10": shorter first, then as text, is numeric order without parsing.
    return sorted(local_ids, key=lambda span_id: (len(span_id), span_id))


def _relations(ids: list[int], local: dict, types: dict[int, str]) -> dict[int, list[dict]]:
    rows = (
        Relation.objects.filter(annotation_id__in=ids)
        .annotate(provenance_json=Cast("provenance", TextField()))
        .order_by("annotation_id", "id")
        .values_list("annotation_id", "from_span_id", "to_span_id", "type_id", "provenance_json")
    )
    by_layer: dict[int, list[dict]] = {}
    current, relations = None, None
    for annotation_id, from_id, to_id, type_id, provenance in rows:
        if annotation_id != current:
            current, relations = annotation_id, []
            by_layer[annotation_id] = relations
        if from_id in local and to_id in local:  # see _spans_made_meanwhile
            relation = {"from": local[from_id], "to": local[to_id], "type": types[type_id]}
            if provenance not in _NO_PROVENANCE:
                relation["provenance"] = orjson.loads(provenance)
            relations.append(relation)
    return by_layer


def _stances(ids: list[int], local: dict, names: _Names) -> dict[int, list[dict]]:
    evidence = defaultdict(list)
    for stance_id, span_id in Stance.evidence.through.objects.filter(stance__annotation_id__in=ids).values_list(
        "stance_id", "span_id"
    ):
        if span_id in local:  # see _spans_made_meanwhile
            evidence[stance_id].append(local[span_id])
    rows = (
        Stance.objects.filter(annotation_id__in=ids)
        .annotate(provenance_json=Cast("provenance", TextField()))
        .order_by("annotation_id", "id")
        .values_list("annotation_id", "id", "holder_span_id", "holder_entity__name", "target_id", "polarity_id",
                     "explicit", "provenance_json")
    )
    by_layer = defaultdict(list)
    for annotation_id, pk, holder_id, holder_entity, target, polarity, explicit, provenance in rows:
        if holder_id is not None and holder_id not in local:
            continue  # see _spans_made_meanwhile
        stance = {
            "holder": local[holder_id] if holder_id is not None else None,
            "holder_entity": holder_entity,
            "target": names.targets[target],
            "polarity": names.polarities[polarity],
            "explicit": explicit,
            # Evidence is a set in the database; written in span order so files are stable.
            "evidence": _in_text_order(evidence.get(pk, [])),
        }
        if provenance not in _NO_PROVENANCE:
            stance["provenance"] = orjson.loads(provenance)
        by_layer[annotation_id].append(stance)
    return by_layer


def _article_labels(ids: list[int]) -> dict[int, dict]:
    """The batch's answers to the article questions, {QUESTION_NAME: value} by layer, in the questions' order
    (one query a batch; the questions' table is a project's few rows)."""
    rows = (ArticleAnswer.objects.filter(annotation_id__in=ids)
            .order_by("annotation_id", "question__order", "question__name")
            .values_list("annotation_id", "question__name", "value"))
    by_layer: dict[int, dict] = defaultdict(dict)
    for annotation_id, name, value in rows:
        by_layer[annotation_id][name] = value
    return by_layer


def export_records(project, filters, summary, *, trailer: bool = False,
                   with_unannotated: bool = False) -> Iterator[dict]:
    """An export's records as every door writes them (API, command, snapshot job): the layers the summary
    counted (up to its last id, so a layer saved meanwhile is left for the next pull), then for a backup the
    articles that have no layer, then, asked for, the completion record. With status=suggestions: the
    articles' suggestions instead of layers (suggestions.py)."""
    from .completion import with_completion_record
    from .suggestions import iter_suggestion_records

    if filters.suggestions:
        if with_unannotated:
            raise ValueError("with_unannotated adds articles without layers to an export of layers")
        records = iter_suggestion_records(project, filters, up_to=summary.last_id or 0)
    else:
        records = iter_records(project, filters, up_to=summary.last_id or 0)
    if with_unannotated:
        records = itertools.chain(records, iter_unannotated(project))
    if trailer:
        records = with_completion_record(records)
    return records
