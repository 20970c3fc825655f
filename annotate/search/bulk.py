"""Bulk annotation from search: every text hit of a query becomes a span, or a suggestion (docs/search.md).

What is covered: the occurrences of the query's free text (its words, phrases and prefixes outside NOT) in
the articles the query selects — the "text" hits of hits.py, found by the same regex at the text's own
offsets. A query whose hits are annotations (`label:`, `source:`, … an item field) or that has no free text
is refused: there is no stretch of text to mark. Article fields (`language:`, `article:`, `has:`, `-has:`)
narrow the articles as in the search. At most MAX_HITS hits; beyond that the operation is refused whole
(narrow the query), never cut at an arbitrary article.

Two targets (`into`):
- "layers": a span in every *editable* layer of each article: the annotators' layers in progress or returned
  and the gold layer while it is in progress or returned (services/locking.EDITABLE). Submitted and adjudicated
  layers are left alone (counted as `closed`): changing a layer someone handed in is a review act, done by
  returning it. Articles without a layer get nothing (use "suggestions" for them). Each span goes through
  services/annotating.add_span (the layer locked, the version checked and bumped, the span validated and
  recorded in the history as span.add with the reviewer as actor), with a client id derived from the
  operation's client id, the layer, the label and the offsets, so a retried commit applies once, and with
  provenance `[{"search": query, "operation": id, "by": username}]`. A span already in the layer with the same
  label and offsets is skipped (`present`), whatever its source.
- "suggestions": the hits are stored as suggestions (score 1.0) of the recommender `search-<operation id>`
  through suggestions/storing.replace, so every annotator of those articles sees them in the workspace and
  accepts or rejects them as any suggestion (what their layer already holds is not shown to them).

`preview` counts and samples, writing nothing; `apply` writes and records a BulkOperation; `undo` takes it back:
- a layer still at the version the operation left it in is restored to the version before it
  (services/restoring.restore: the operation's span.add events undone, recorded as span.delete events and a
  restore marker, like any restore);
- a layer that changed since is not restored (that would undo other people's work): only the operation's spans
  still there as it made them are deleted, each through annotating.delete_span (a span.delete event). A span
  changed since (label, offsets, source) or that a relation or a stance now uses is kept and listed in
  `undo_result["kept"]`: someone built on it.
- suggestions: that recommender's suggestions of those articles are deleted (storing.replace with nothing).
Undoing an undone operation is a no-op.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from annotate.access import holds_role
from annotate.models import (
    Annotation,
    Article,
    Assignment,
    BulkOperation,
    Entity,
    Label,
    Membership,
    Project,
    Relation,
    Span,
    Stance,
)
from annotate.services import annotating, restoring
from annotate.services.locking import EDITABLE, lock_rows
from annotate.suggestions import storing
from annotate.suggestions.base import Guesses, SpanGuess
from annotate.suggestions.vocabulary import Vocabulary

from .hits import Search, context, occurrences
from .query import QuerySyntaxError

MAX_HITS = 10_000
# Into layers, each span is a locked, validated, recorded write (about 6 ms on SQLite and 15 ms on PostgreSQL
# here, undo twice that): 10,000 spans is a few minutes, within the app server's --timeout (README).
MAX_SPAN_WRITES = 10_000
SAMPLE_SIZE = 20
ARTICLE_BATCH = 200  # articles read (with their text) per query
ID_BATCH = 500  # ids per IN (...): within SQLite's limit on a statement's parameters
# uuid5 namespace of the spans' client ids (any fixed UUID; never change it: retries depend on it).
NAMESPACE = uuid.UUID("0c8f6f4e-5d0b-4d59-a2c4-6b1b5f0b7a15")
INTO = tuple(BulkOperation.Into.values)


@dataclass
class Counts:
    hits: int = 0  # text occurrences
    articles: int = 0  # articles with at least one
    layers: int = 0  # into layers: editable layers that get at least one new span
    new: int = 0  # spans that would be (or were) added: hits x editable layers, minus those present
    present: int = 0  # (hit, layer) pairs whose layer holds that label at those offsets already
    closed: int = 0  # into layers: layers of those articles left alone (submitted, adjudicated)
    without_layer: int = 0  # into layers: articles with no editable layer
    suggestions: int = 0  # into suggestions: suggestions stored
    annotators: int = 0  # into suggestions: people assigned to those articles, who will see them


@dataclass
class Preview:
    counts: Counts
    sample: list[dict] = field(default_factory=list)  # the first SAMPLE_SIZE hits, in context
    problem: str = ""  # why apply would refuse it (too many spans to write), or ""


def _too_many_writes(counts: Counts) -> str:
    if counts.new <= MAX_SPAN_WRITES:
        return ""
    return (f"This would write {counts.new:,} spans ({counts.hits:,} hits in {counts.layers:,} layers); at most "
            f"{MAX_SPAN_WRITES:,} at once. Narrow the query, or store the hits as suggestions.")


@dataclass
class _Found:
    """Every hit, by article: article id -> sorted (start, end); and the sample."""
    by_article: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    sample: list[dict] = field(default_factory=list)

    @property
    def hits(self) -> int:
        return sum(len(spans) for spans in self.by_article.values())


# ----------------------------------------------------------------------------- checks


def check_may_bulk(user, project: Project) -> None:
    """Bulk annotation writes into everyone's layers: the project's reviewers and managers only."""
    if not holds_role(user, project, Membership.READS_ALL_LAYERS):
        raise PermissionDenied("Bulk annotation is for the project's reviewers and managers.")


def _label(project: Project, label) -> Label:
    if isinstance(label, Label):
        if label.project_id == project.pk:
            return label
        label = label.name
    found = Label.objects.filter(project=project, name=label).first()
    if found is None:
        raise ValidationError({"label": f"{label!r} is not a label of this project."})
    return found


def _entity(project: Project, entity) -> Entity | None:
    if entity in (None, ""):
        return None
    if isinstance(entity, Entity) and entity.project_id == project.pk:
        return entity
    digits = str(entity).isdigit() and int(entity) < 2**63  # a larger number would fail in the driver
    found = Entity.objects.filter(project=project, pk=entity).first() if digits else None
    if found is None:
        raise ValidationError({"entity": f"{entity!r} is not a source of this project."})
    return found


def _into(into: str) -> str:
    if into not in INTO:
        raise ValidationError({"into": f"one of {', '.join(INTO)}."})
    return into


def _search(project: Project, user, q: str) -> Search:
    try:
        search = Search(project=project, user=user, q=q, mode="hits")
    except QuerySyntaxError as error:
        raise ValidationError({"q": str(error)}) from error
    if search.plan.hits != "text" or not search.plan.terms:
        raise ValidationError({"q": "Bulk annotation marks the words or phrases of the query in the text: give "
                                    "free text (\"Polisario Front\", sovereign*), narrowed if you like by article "
                                    "fields (language:, article:, has:, -has:), without item fields (label:, "
                                    "source:, holder:, target:, polarity:, annotator:, status:)."})
    return search


def _find(search: Search) -> _Found:
    """Every text hit of the search, by article, reading ARTICLE_BATCH articles a query; refused beyond MAX_HITS."""
    found, first_id = _Found(), 0
    total = 0
    while True:
        rows = list(search.articles.filter(pk__gte=first_id).order_by("pk").values(
            "id", "external_id", "title", "language", "text")[:ARTICLE_BATCH])
        for row in rows:
            spans = sorted(occurrences(row, search.plan.terms))
            if not spans:
                continue  # a stemmed index match the regex does not mark (hits.py)
            total += len(spans)
            if total > MAX_HITS:
                raise ValidationError({"q": f"This query has more than {MAX_HITS:,} hits; bulk annotation takes at "
                                            "most that many at once. Narrow the query (a phrase, language:, "
                                            "article:, -has:LABEL) and run it in parts."})
            found.by_article[row["id"]] = spans
            for start, end in spans[:max(0, SAMPLE_SIZE - len(found.sample))]:
                found.sample.append({"article": row["id"], "external_id": row["external_id"], "title": row["title"],
                                     "start": start, "end": end, "text": row["text"][start:end],
                                     "context": context(row["text"], start, end)})
        if len(rows) < ARTICLE_BATCH:
            return found
        first_id = rows[-1]["id"] + 1


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), ID_BATCH):
        yield ids[i:i + ID_BATCH]


def _layers(article_ids: list[int]) -> tuple[list[tuple[int, int]], int]:
    """(layer id, article id) of the articles' editable layers, in id order; and how many others are closed."""
    editable, closed = [], 0
    for ids in _chunks(article_ids):
        for pk, article_id, status in Annotation.objects.filter(article_id__in=ids).order_by("pk").values_list(
                "pk", "article_id", "status"):
            if status in EDITABLE:
                editable.append((pk, article_id))
            else:
                closed += 1
    return sorted(editable), closed


def _present(layer_ids: list[int], label: Label) -> set[tuple[int, int, int]]:
    """(layer, start, end) of the spans of this label the layers hold already."""
    held = set()
    for ids in _chunks(layer_ids):
        held.update(Span.objects.filter(annotation_id__in=ids, label=label).order_by().values_list(
            "annotation_id", "start", "end"))
    return held


def _annotators(article_ids: list[int]) -> int:
    people = set()
    for ids in _chunks(article_ids):
        people.update(Assignment.objects.filter(article_id__in=ids).exclude(status=Assignment.Status.SKIPPED)
                      .order_by().values_list("annotator_id", flat=True))
    return len(people)


def _plan(found: _Found, into: str, label: Label) -> tuple[Counts, list[tuple[int, int]], set]:
    """The counts, and for layers: the editable layers and the spans they hold already."""
    counts = Counts(hits=found.hits, articles=len(found.by_article))
    article_ids = sorted(found.by_article)
    if into == BulkOperation.Into.SUGGESTIONS:
        counts.suggestions = counts.hits
        counts.annotators = _annotators(article_ids)
        return counts, [], set()
    layers, counts.closed = _layers(article_ids)
    held = _present([pk for pk, _ in layers], label)
    with_layer, touched = set(), set()
    for pk, article_id in layers:
        with_layer.add(article_id)
        for start, end in found.by_article[article_id]:
            if (pk, start, end) in held:
                counts.present += 1
            else:
                counts.new += 1
                touched.add(pk)
    counts.layers = len(touched)
    counts.without_layer = len(found.by_article) - len(with_layer)
    return counts, layers, held


# ----------------------------------------------------------------------------- preview, apply, undo


def preview(*, project: Project, user, q: str, label, into: str, entity=None) -> Preview:
    """What apply would do: the counts and a sample of the hits. Writes nothing.

    Queries: the search's own (the vocabulary it resolves), one per ARTICLE_BATCH articles, then per ID_BATCH
    articles one for their layers and one for the spans they hold (into suggestions: one for the assignments).
    """
    check_may_bulk(user, project)
    label, _ = _label(project, label), _entity(project, entity)
    found = _find(_search(project, user, q))
    counts, _, _ = _plan(found, _into(into), label)
    return Preview(counts=counts, sample=found.sample, problem=_too_many_writes(counts))


def span_client_id(operation: BulkOperation, layer_id: int, label_id: int, start: int, end: int) -> uuid.UUID:
    """The span's client id: the same operation writing the same span twice finds it made (a retry)."""
    return uuid.uuid5(NAMESPACE, f"{operation.client_id}|{layer_id}|{label_id}|{start}|{end}")


def recommender_name(operation: BulkOperation) -> str:
    return f"search-{operation.pk}"


def _record(*, project, user, q, label, entity, attributes, into, client_id) -> tuple[BulkOperation, bool]:
    """The operation's row, or the one this client id made already (True: a retry, nothing to do)."""
    if client_id is not None:
        done = BulkOperation.objects.filter(project=project, client_id=client_id).first()
        if done is not None:
            return done, True
    try:
        # A savepoint: two identical commits at once meet at the unique (project, client_id) index; the
        # second waits for the first and, once it commits, answers with its operation.
        with transaction.atomic():
            operation = BulkOperation.objects.create(
                project=project, created_by=user, query=q, label=label, entity=entity, attributes=attributes or {},
                into=into, **({"client_id": client_id} if client_id is not None else {}))
    except IntegrityError:
        return BulkOperation.objects.get(project=project, client_id=client_id), True
    return operation, False


@transaction.atomic
def apply(*, project: Project, user, q: str, label, into: str, entity=None, attributes: dict | None = None,
          client_id: uuid.UUID | str | None = None) -> BulkOperation:
    """Mark every hit (see the module's docstring); the operation, with `replayed` True for a retry."""
    check_may_bulk(user, project)
    label, entity, into = _label(project, label), _entity(project, entity), _into(into)
    if attributes is not None and not isinstance(attributes, dict):
        raise ValidationError({"attributes": "an object."})
    if client_id is not None:
        try:
            client_id = uuid.UUID(str(client_id))
        except ValueError as error:
            raise ValidationError({"client_id": "a UUID."}) from error
    found = _find(_search(project, user, q))
    if not found.by_article:
        raise ValidationError({"q": "This query has no hits in the text: nothing to annotate."})
    operation, replayed = _record(project=project, user=user, q=q, label=label, entity=entity, attributes=attributes,
                                  into=into, client_id=client_id)
    if replayed:
        operation.replayed = True
        return operation
    if into == BulkOperation.Into.LAYERS:
        counts = _into_layers(operation, found, user)
    else:
        counts = _into_suggestions(operation, found, project)
    operation.counts = asdict(counts)
    operation.articles = sorted(found.by_article)
    operation.save(update_fields=["counts", "articles", "layers"])
    operation.replayed = False
    return operation


def _into_layers(operation: BulkOperation, found: _Found, user) -> Counts:
    label = operation.label
    layer_ids = [pk for pk, _ in _layers(sorted(found.by_article))[0]]
    # Lock every layer first, in id order, so two bulk operations (or a bulk operation and a person's
    # writes, which lock one layer) never deadlock; the plan is then made from what is locked.
    lock_rows(layer_ids)
    counts, layers, held = _plan(found, BulkOperation.Into.LAYERS, label)
    if problem := _too_many_writes(counts):
        raise ValidationError({"q": problem})
    annotations = {}
    for ids in _chunks(layer_ids):
        annotations.update(Annotation.objects.select_related("article").in_bulk(ids))
    provenance = [{"search": operation.query, "operation": operation.pk, "by": user.get_username()}]
    records = []
    for pk, article_id in layers:
        annotation = annotations[pk]
        before, added = annotation.version, []
        for start, end in found.by_article[article_id]:
            if (pk, start, end) in held:
                continue
            span = annotating.add_span(
                annotation=annotation, expected_version=annotation.version, label=label, start=start, end=end,
                entity=operation.entity, attributes=operation.attributes, provenance=provenance, actor=user,
                client_id=span_client_id(operation, pk, label.pk, start, end))
            added.append(span.pk)
        if added:
            records.append({"annotation": pk, "article": article_id, "before": before, "after": annotation.version,
                            "spans": added})
    operation.layers = records
    return counts


def _into_suggestions(operation: BulkOperation, found: _Found, project: Project) -> Counts:
    counts, _, _ = _plan(found, BulkOperation.Into.SUGGESTIONS, operation.label)
    vocabulary = Vocabulary.of(project)
    answers = []
    for ids in _chunks(sorted(found.by_article)):
        for article in Article.objects.filter(pk__in=ids).only("id", "external_id", "text").order_by("pk"):
            answers.append((article, Guesses(spans=[
                SpanGuess(operation.label.name, start, end, 1.0, entity=operation.entity_id,
                          attributes=dict(operation.attributes))
                for start, end in found.by_article[article.pk]])))
    stored = storing.replace(vocabulary=vocabulary, recommender=recommender_name(operation), version="1",
                             answers=answers)
    counts.suggestions = stored.spans
    return counts


def _as_made(span: Span, operation: BulkOperation) -> bool:
    return span.label_id == operation.label_id and span.entity_id == operation.entity_id


@transaction.atomic
def undo(*, operation: BulkOperation, user) -> BulkOperation:
    """Take the operation back (see the module's docstring); a no-op for an operation already undone."""
    check_may_bulk(user, operation.project)
    operation = BulkOperation.objects.select_for_update().select_related("project", "label").get(pk=operation.pk)
    if operation.status == BulkOperation.Status.UNDONE:
        operation.replayed = True
        return operation
    if operation.into == BulkOperation.Into.LAYERS:
        result = _undo_layers(operation, user)
    else:
        result = _undo_suggestions(operation)
    operation.status = BulkOperation.Status.UNDONE
    operation.undone_at, operation.undone_by, operation.undo_result = timezone.now(), user, result
    operation.save(update_fields=["status", "undone_at", "undone_by", "undo_result"])
    operation.replayed = False
    return operation


def _undo_layers(operation: BulkOperation, user) -> dict:
    ids = [entry["annotation"] for entry in operation.layers]
    versions = lock_rows(ids)
    annotations = {}
    for chunk in _chunks(ids):
        annotations.update(Annotation.objects.select_related("article").in_bulk(chunk))
    restored, removed, kept = 0, 0, []
    for entry in operation.layers:
        annotation = annotations.get(entry["annotation"])
        if annotation is None:
            continue  # the layer was deleted since (with its spans)
        if versions[annotation.pk] == entry["after"]:
            # Nothing happened to the layer since: undo exactly the operation's events.
            restoring.restore(annotation=annotation, version=entry["before"], expected_version=entry["after"],
                              actor=user)
            restored += 1
            removed += len(entry["spans"])
            continue
        spans = Span.objects.filter(annotation_id=annotation.pk, pk__in=entry["spans"])
        used = set(Relation.objects.filter(annotation_id=annotation.pk).filter(
            from_span__in=entry["spans"]).values_list("from_span_id", flat=True))
        used |= set(Relation.objects.filter(annotation_id=annotation.pk).filter(
            to_span__in=entry["spans"]).values_list("to_span_id", flat=True))
        used |= set(Stance.objects.filter(annotation_id=annotation.pk, holder_span__in=entry["spans"])
                    .values_list("holder_span_id", flat=True))
        used |= set(Stance.evidence.through.objects.filter(span_id__in=entry["spans"])
                    .values_list("span_id", flat=True))
        for span in spans.order_by("pk"):
            if span.pk in used or not _as_made(span, operation) or not _same_place(span, operation):
                kept.append(span.pk)
                continue
            annotating.delete_span(span=span, expected_version=annotation.version, actor=user)
            removed += 1
    return {"layers_restored": restored, "spans_removed": removed, "kept": kept}


def _same_place(span: Span, operation: BulkOperation) -> bool:
    """Whether the span is still at offsets the operation wrote: its client id is the one it was made with."""
    return span.client_id == span_client_id(operation, span.annotation_id, operation.label_id, span.start, span.end)


def _undo_suggestions(operation: BulkOperation) -> dict:
    vocabulary = Vocabulary.of(operation.project)
    articles = []
    for ids in _chunks(operation.articles):
        articles += list(Article.objects.filter(pk__in=ids).only("id", "external_id", "text"))
    storing.replace(vocabulary=vocabulary, recommender=recommender_name(operation), version="1",
                    answers=[(article, Guesses()) for article in articles])
    return {"suggestions_removed": operation.counts.get("suggestions", 0)}


def operation_of(user, project: Project, pk: int) -> BulkOperation:
    """One of the project's operations, for its reviewers and managers (404 for an id of another project)."""
    check_may_bulk(user, project)
    operation = (BulkOperation.objects.filter(project=project, pk=pk)
                 .select_related("project", "label", "entity", "created_by", "undone_by").first())
    if operation is None:
        raise Http404("No such operation.")
    return operation


def operations_of(project: Project):
    return (BulkOperation.objects.filter(project=project)
            .select_related("label", "entity", "created_by", "undone_by").order_by("-created_at", "-id"))
