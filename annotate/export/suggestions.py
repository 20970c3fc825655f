"""Suggestions as export records (`status=suggestions`): one record per article that has any, in the
interchange shape, the suggestions under "predictions" as the import reads them (docs/format.md,
"Predictions"), so that export -> import carries them to another project or instance.

Read as records.py reads layers: keyset batches over the project's articles (`pk > last ORDER BY pk
LIMIT n`), then the batch's suggested spans, relations, stances and stance evidence at once: five
queries a batch whatever its number of suggestions, plus the vocabulary's names once an export.
Plain tuples, no model instances; memory is one batch.

A relation or stance is written only with the spans it points at: with `min_score`, one whose end or
holder span scored below it is left out (it could not be written without it), and an evidence span
below it is left out of the evidence.
"""
import hashlib
from collections import defaultdict
from collections.abc import Iterator

import orjson
from django.db.models import Count, Exists, Max, OuterRef, Q, TextField
from django.db.models.functions import Cast

from config.routers import replica_reads

from ..interchange import SCHEMA_VERSION
from ..models import Article, Project, SuggestedRelation, SuggestedSpan, SuggestedStance
from . import records as layers
from .filters import ExportFilters
from .records import _EMPTY_JSON, ARTICLE_FIELDS, _in_text_order, _local_ids, _Names
from .summary import ExportSummary


def articles_with_suggestions(project: Project, filters: ExportFilters):
    """The project's articles holding a suggestion the filters keep (a span, or a stance held by a source
    alone: every kept relation and span-held stance has a kept span too)."""
    kept = filters.suggestion_q()
    spans = SuggestedSpan.objects.filter(kept, article_id=OuterRef("pk"))
    stances = SuggestedStance.objects.filter(kept, article_id=OuterRef("pk"), holder_span__isnull=True)
    articles = Article.objects.filter(project=project).filter(Exists(spans) | Exists(stances))
    if filters.article is not None:
        articles = articles.filter(external_id=filters.article)
    return articles


@replica_reads()
def summarise_suggestions(project: Project, filters: ExportFilters) -> ExportSummary:
    """The count and version of a suggestions export: six aggregate queries, no suggestion read.

    Suggestions are replaced, never edited: a run adds rows with new ids and deletes the old ones, so
    each table's row count and highest id together change whenever its suggestions do.
    """
    selected = articles_with_suggestions(project, filters).aggregate(count=Count("pk"), last_id=Max("pk"))
    state = [SCHEMA_VERSION, project.pk, "suggestions", filters.canonical(),
             project.articles.aggregate(last=Max("updated_at"))["last"]]
    for model in (SuggestedSpan, SuggestedRelation, SuggestedStance):
        state += model.objects.filter(article__project=project).aggregate(n=Count("pk"), last=Max("pk")).values()
    return ExportSummary(count=selected["count"], last_id=selected["last_id"],
                         version=hashlib.sha256("|".join(map(str, state)).encode()).hexdigest()[:32])


def iter_suggestion_records(project: Project, filters: ExportFilters, *, batch_size: int | None = None,
                            up_to: int | None = None) -> Iterator[dict]:
    """One record per selected article, in article id order; `up_to` caps the article ids (the summary's
    last id), so an article that gets its first suggestions meanwhile is left for the next export."""
    articles = articles_with_suggestions(project, filters)
    if up_to is not None:
        articles = articles.filter(pk__lte=up_to)
    yield from layers.in_batches(articles.order_by("pk").values_list(*ARTICLE_FIELDS), project,
                                 lambda rows, names: _records(rows, names, filters),
                                 batch_size or layers.BATCH_SIZE)  # read at call time, as records.py does


def _records(articles: list[tuple], names: _Names, filters: ExportFilters) -> Iterator[dict]:
    ids = [row[0] for row in articles]
    kept = filters.suggestion_q()
    spans, local = _spans(ids, kept, names.labels)
    relations = _relations(ids, kept, local, names.relation_types)
    stances = _stances(ids, kept, local, names)
    for pk, external_id, title, outlet, url, published, language, caption, metadata, text in articles:
        yield {
            "external_id": external_id, "title": title, "source": outlet, "url": url,
            "published": published.isoformat() if published else None, "language": language,
            "caption": caption, "metadata": metadata if metadata is not None else {}, "text": text,
            "predictions": {
                "spans": spans.get(pk, []),
                "relations": relations.get(pk, []),
                "stances": stances.get(pk, []),
            },
            "schema_version": SCHEMA_VERSION,
        }


def _spans(ids: list[int], kept: Q, labels: dict[int, str]) -> tuple[dict[int, list[dict]], dict[int, str]]:
    """Suggested spans by article, and each one's local id ("s1", "s2", ... in (start, end, id) order
    within the article, whichever recommender proposed it) by database id."""
    rows = (
        SuggestedSpan.objects.filter(kept, article_id__in=ids)
        .annotate(attributes_json=Cast("attributes", TextField()))
        .order_by("article_id", "start", "end", "id")
        .values_list("article_id", "id", "start", "end", "label_id", "text", "entity__name", "attributes_json",
                     "score", "recommender", "version")
    )
    by_article: dict[int, list[dict]] = {}
    local: dict[int, str] = {}
    current, spans, n, names = None, None, 0, _local_ids(1)
    for article_id, pk, start, end, label, text, entity, attributes, score, recommender, version in rows:
        if article_id != current:
            current, spans, n = article_id, [], 0
            by_article[article_id] = spans
        if n == len(names):
            names = _local_ids(n + 1)
        local[pk] = span_id = names[n]
        n += 1
        spans.append({"id": span_id, "start": start, "end": end, "label": labels[label], "text": text,
                      "entity": entity, "attributes": {} if attributes in _EMPTY_JSON else orjson.loads(attributes),
                      "score": score, "recommender": recommender, "version": version})
    return by_article, local


def _relations(ids: list[int], kept: Q, local: dict[int, str], types: dict[int, str]) -> dict[int, list[dict]]:
    rows = (
        SuggestedRelation.objects.filter(kept, article_id__in=ids)
        .order_by("article_id", "id")
        .values_list("article_id", "from_span_id", "to_span_id", "type_id", "score", "recommender", "version")
    )
    by_article = defaultdict(list)
    for article_id, from_id, to_id, type_id, score, recommender, version in rows:
        if from_id in local and to_id in local:  # an end below min_score, or stored meanwhile
            by_article[article_id].append({"from": local[from_id], "to": local[to_id], "type": types[type_id],
                                           "score": score, "recommender": recommender, "version": version})
    return by_article


def _stances(ids: list[int], kept: Q, local: dict[int, str], names: _Names) -> dict[int, list[dict]]:
    evidence = defaultdict(list)
    links = SuggestedStance.evidence.through.objects.filter(suggestedstance__article_id__in=ids)
    for stance_id, span_id in links.values_list("suggestedstance_id", "suggestedspan_id"):
        if span_id in local:
            evidence[stance_id].append(local[span_id])
    rows = (
        SuggestedStance.objects.filter(kept, article_id__in=ids)
        .order_by("article_id", "id")
        .values_list("article_id", "id", "holder_span_id", "holder_entity__name", "target_id", "polarity_id",
                     "explicit", "score", "recommender", "version")
    )
    by_article = defaultdict(list)
    for article_id, pk, holder_id, holder_entity, target, polarity, explicit, score, recommender, version in rows:
        if holder_id is not None and holder_id not in local:
            continue  # its holder span scored below min_score (or was stored meanwhile)
        by_article[article_id].append({
            "holder": local[holder_id] if holder_id is not None else None,
            "holder_entity": holder_entity,
            "target": names.targets[target],
            "polarity": names.polarities[polarity],
            "explicit": explicit,
            "evidence": _in_text_order(evidence.get(pk, [])),
            "score": score, "recommender": recommender, "version": version,
        })
    return by_article
