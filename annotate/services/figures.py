"""Keeping the dashboards' figures: an article's contribution is recounted when its corpus changes, and the
project's totals move by the difference (models/figures.py explains the tables and the triggers).

The corpus is what the dashboards describe: annotators' submitted layers and adjudicated gold layers.
Writers that change it call `refresh` with the articles they changed, inside their transaction, so the
totals commit with the change. Whatever changed it otherwise left a stale mark that the next reader
recounts (`settle`, a bounded number per request; the page says how many are still waiting) or that
`manage.py refresh_figures` does. Recounting is idempotent: an article counted twice moves nothing.
"""
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from importlib import import_module

import orjson
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Length
from django.utils import timezone

from config.routers import primary_reads

from ..agreement.report import Layer, span_entry
from ..agreement.tally import contribution
from ..models import (
    Annotation,
    Article,
    ArticleFigures,
    MapEntry,
    ProjectFigure,
    Relation,
    RelationType,
    Span,
    StaleArticle,
    Stance,
)
from .bulk import insert_rows, json_text, timestamp


def in_corpus(layer: str = "") -> Q:
    """The corpus's layers (annotators' submitted ones, adjudicated gold), or items of them with `layer`
    the path to their layer ("annotation__")."""
    return (Q(**{f"{layer}is_gold": False, f"{layer}status": Annotation.Status.SUBMITTED})
            | Q(**{f"{layer}is_gold": True, f"{layer}status": Annotation.Status.ADJUDICATED}))


CORPUS = in_corpus()
CORPUS_STATUSES = (Annotation.Status.SUBMITTED, Annotation.Status.ADJUDICATED)
FAMILIES = ("stances", "sources", "labels", "agreement")
BATCH = 500  # articles counted together: a handful of queries each
ANALYZE_AFTER = 10_000  # articles counted at once from which PostgreSQL's statistics are refreshed
SETTLE_PER_REQUEST = 200  # stale articles a page recounts before it reads (about 0.1-0.3 s)
UNKNOWN = ("u",)  # a stance holder with neither a source nor any text


def encode(key: tuple) -> str:
    return orjson.dumps(key).decode()


def decode(text: str) -> tuple:
    return tuple(orjson.loads(text))


# Counting ------------------------------------------------------------------------------------------------


def count_articles(projects: dict[int, int], entries: list | None = None) -> dict[int, dict[str, Counter]]:
    """{article id: {family: Counter of keys}} for the given articles ({id: project id}), in eight queries.
    `entries`, if given, receives the stance map's entries of these articles (MapEntry's columns).

    * stances: (holder, target, polarity) of the stance map, from the gold layer where the article has an
      adjudicated one, else from its submitted layers. The holder is ("e", source) for the stance's source
      or its holder span's, else ("t", the holder span's text), else ("u",).
    * sources: (source, "mentions" | "articles" | "quotes" | "stances") over all corpus layers.
    * labels: (label,) spans per label over all corpus layers.
    * agreement: see agreement/tally.py.
    """
    found: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    layers = list(Annotation.objects.filter(article_id__in=projects).filter(CORPUS)
                  .values_list("pk", "article_id", "annotator_id", "is_gold"))
    if not layers:
        return found
    article_of = {pk: article for pk, article, _, _ in layers}
    gold_layer = {article: pk for pk, article, _, gold in layers if gold}
    annotators = defaultdict(dict)  # article -> {user id: layer id}
    for pk, article, user, gold in layers:
        if not gold:
            annotators[article][user] = pk

    mentioned = defaultdict(set)
    for layer, label, entity, n in (Span.objects.filter(annotation_id__in=article_of)
                                    .values_list("annotation_id", "label_id", "entity_id")
                                    .annotate(n=Count("id")).order_by()):
        counts = found[article_of[layer]]
        counts["labels"][(label,)] += n
        if entity is not None:
            counts["sources"][(entity, "mentions")] += n
            mentioned[article_of[layer]].add(entity)
    for article, entities in mentioned.items():
        for entity in entities:
            found[article]["sources"][(entity, "articles")] += 1
    # The quote type by id, and no "entity IS NOT NULL": PostgreSQL may answer that from the entity index by
    # walking every mention of the corpus (as it did for the workspace, see Entity.objects.of_layer).
    quoting = list(RelationType.objects.filter(project_id__in=set(projects.values()), name="ATTRIBUTED_TO")
                   .values_list("pk", flat=True))
    for layer, entity, n in (Relation.objects.filter(annotation_id__in=article_of, type_id__in=quoting)
                             .values_list("annotation_id", "to_span__entity_id").annotate(n=Count("id")).order_by()):
        if entity is not None:
            found[article_of[layer]]["sources"][(entity, "quotes")] += n

    stance_layers = defaultdict(Layer)  # layer id -> its stances as the agreement lines them up
    for pk, layer, entity, span_entity, span_text, target, polarity in (
            Stance.objects.filter(annotation_id__in=article_of).order_by("pk").values_list(
                "pk", "annotation_id", "holder_entity_id", "holder_span__entity_id", "holder_span__text", "target_id",
                "polarity_id")):
        article = article_of[layer]
        counts = found[article]
        # A stance counts once for its source: held as an entity, or through its holder span's other source.
        if entity is not None:
            counts["sources"][(entity, "stances")] += 1
        if span_entity is not None and span_entity != entity:
            counts["sources"][(span_entity, "stances")] += 1
        if gold_layer.get(article, layer) == layer:
            text = (span_text or "").strip(" ")
            holder = ("e", entity or span_entity) if (entity or span_entity) else ("t", text) if text else UNKNOWN
            counts["stances"][(*holder, target, polarity)] += 1
            if entries is not None:
                entries.append((pk, article, projects[article], target, encode(holder)))
        if span_entity or entity:
            stance_layers[layer].stances[(span_entity or entity, target)] = polarity  # the latest stance wins

    _count_agreement(found, annotators, gold_layer, stance_layers)
    return found


def _count_agreement(found, annotators, gold_layer, stance_layers) -> None:
    """Spans and relations are read only for articles with two annotators' layers or a gold one."""
    compared = {article for article, users in annotators.items() if len(users) >= 2 or article in gold_layer}
    detailed = {pk for article in compared for pk in annotators[article].values()}
    detailed |= {gold_layer[article] for article in compared if article in gold_layer}
    layers = {pk: stance_layers[pk] for pk in detailed}  # the stances are in; add the spans and relations
    for layer, label, start, end, pk, fragments in (
            Span.objects.filter(annotation_id__in=detailed)
            .values_list("annotation_id", "label_id", "start", "end", "pk", "fragments")):
        layers[layer].spans[label].append(span_entry(start, end, pk, fragments))
    for layer, kind, from_span, to_span in (Relation.objects.filter(annotation_id__in=detailed)
                                            .values_list("annotation_id", "type_id", "from_span_id", "to_span_id")):
        layers[layer].relations.append((kind, from_span, to_span))
    lengths = dict(Article.objects.filter(pk__in=compared).annotate(length=Length("text"))
                   .values_list("pk", "length"))
    users = {user for article in annotators for user in annotators[article]}
    usernames = dict(get_user_model().objects.filter(pk__in=users).values_list("pk", "username"))
    for article, by_user in annotators.items():
        gold = layers[gold_layer[article]] if article in gold_layer and article in compared else None
        mine = {user: layers.get(pk) or stance_layers[pk] for user, pk in by_user.items()}
        found[article]["agreement"] = contribution(mine, gold, lengths.get(article, 0), usernames)


# Keeping the totals ------------------------------------------------------------------------------------


def refresh(article_ids: Iterable[int]) -> None:
    """Recount these articles and move their projects' totals by the difference, in the caller's transaction."""
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), BATCH):
        with transaction.atomic(), primary_reads():  # what is counted is read where it is written
            _refresh(ids[start:start + BATCH])


def _refresh(ids: list[int]) -> None:
    projects = dict(Article.objects.filter(pk__in=ids).values_list("pk", "project_id"))
    # Hold every article's stale mark, making it if there is none. A writer's trigger marks the article in
    # the writer's own transaction, so a writer changing one of them now waits for this count to commit
    # (and its own change is then counted after it), and one that changed it before is waited for here.
    _upsert(StaleArticle, ("article_id", "project_id"), list(projects.items()), "ON CONFLICT (article_id) DO NOTHING")
    list(StaleArticle.objects.select_for_update().filter(article_id__in=ids).order_by("article_id")
         .values_list("article_id"))
    kept = {row.article_id: row for row in ArticleFigures.objects.filter(article_id__in=ids)}
    entries = []
    fresh = count_articles(projects, entries)
    deltas = defaultdict(Counter)  # (project id, family) -> {key: change}
    rows, now = [], timestamp(timezone.now())
    for article in ids:
        old = kept[article].counts if article in kept else {}
        new = {family: {encode(key): n for key, n in fresh[article][family].items()}
               for family in FAMILIES if fresh.get(article, {}).get(family)} if article in projects else {}
        if old == new:
            continue
        project = projects.get(article) or kept[article].project_id
        for family in FAMILIES:
            before, after = old.get(family, {}), new.get(family, {})
            for key in before.keys() | after.keys():
                if change := after.get(key, 0) - before.get(key, 0):
                    deltas[(project, family)][key] += change
        if article in projects:
            rows.append((article, project, json_text(new), now))
    add_to_totals(deltas)
    _upsert(ArticleFigures, ("article_id", "project_id", "counts", "counted_at"), rows,
            "ON CONFLICT (article_id) DO UPDATE SET project_id = excluded.project_id, counts = excluded.counts,"
            " counted_at = excluded.counted_at")
    ArticleFigures.objects.filter(article_id__in=[a for a in ids if a not in projects]).delete()
    MapEntry.objects.filter(article_id__in=ids).delete()
    insert_rows(MapEntry, ("stance_id", "article_id", "project", "target_id", "holder"), entries)
    StaleArticle.objects.filter(article_id__in=ids).delete()


def _upsert(model, columns: tuple[str, ...], rows: list[tuple], conflict: str) -> None:
    """INSERT ... ON CONFLICT, 200 rows a statement, with bound parameters (COPY, bulk.insert_rows, takes no
    ON CONFLICT; bulk_create sends arrays whose literals are escaped character by character: 1-4 s per 500
    articles' JSON counts)."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 200):
            chunk = rows[start:start + 200]
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * len(chunk))} {conflict}",
                           [value for values in chunk for value in values])


def add_to_totals(deltas: dict[tuple[int, str], Counter]) -> None:
    """n += change for each (project, family, key), made if missing; in one sorted order, so that two
    writers moving the same totals never deadlock. Totals that reach 0 are removed."""
    table = connection.ops.quote_name(ProjectFigure._meta.db_table)
    rows = sorted((project, family, key, change) for (project, family), changes in deltas.items()
                  for key, change in changes.items() if change)
    _upsert(ProjectFigure, ("project_id", "family", "key", "n"), rows,
            f'ON CONFLICT (project_id, family, "key") DO UPDATE SET n = {table}.n + excluded.n')
    emptied = defaultdict(list)
    for project, family, key, change in rows:
        if change < 0:
            emptied[(project, family)].append(key)
    for (project, family), keys in emptied.items():
        for start in range(0, len(keys), 500):
            ProjectFigure.objects.filter(project_id=project, family=family, key__in=keys[start:start + 500],
                                         n=0).delete()


@contextmanager
def item_triggers_paused():
    """Inside the caller's transaction, SQLite's span, relation and stance triggers are taken off and put
    back: for a bulk writer that marks the articles it writes itself (mark_stale). SQLite's schema changes
    are transactional, so a rollback (a failed import, a crash) brings them back too, and no one else can
    write meanwhile (one writer at a time). An import of 10k articles took 27 s with them, 14 s without;
    PostgreSQL's statement triggers cost little and stay. No-op elsewhere."""
    if connection.vendor != "sqlite":
        yield
        return
    triggers = import_module("annotate.migrations.0008_figures")
    with connection.cursor() as cursor:
        for sql in triggers.SQLITE_ITEM_REVERSE:
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in triggers.SQLITE_ITEMS:
                cursor.execute(sql)


def mark_stale(project_id: int, article_ids: Iterable[int]) -> None:
    """Mark articles stale, as the triggers would: for writers that took them off."""
    _upsert(StaleArticle, ("article_id", "project_id"), [(article, project_id) for article in set(article_ids)],
            "ON CONFLICT (article_id) DO NOTHING")


def settle(project, *, limit: int | None = None) -> int:
    """Recount up to `limit` of the project's stale articles (skipping any another transaction is counting);
    how many are still stale afterwards, for the page to say."""
    if not StaleArticle.objects.filter(project_id=project.pk).exists():
        return 0  # the usual case: one indexed look
    with transaction.atomic():
        ids = list(StaleArticle.objects.select_for_update(skip_locked=True).filter(project_id=project.pk)
                   .order_by("article_id").values_list("article_id", flat=True)[:limit or SETTLE_PER_REQUEST])
        refresh(ids)
    return stale_count(project)


def stale_count(project) -> int:
    """How many of the project's articles wait to be counted."""
    return StaleArticle.objects.filter(project_id=project.pk).count()


def settle_all(project, *, progress=None) -> int:
    """Count every stale article of the project, a batch per transaction (after an import, a rebuild, a
    migration); `progress(n)` is told each batch's size. How many were counted."""
    counted = 0
    while left := stale_count(project):
        now_left = settle(project, limit=BATCH)
        if progress:
            progress(left - now_left)
        counted += left - now_left
        if now_left >= left:  # all held by another transaction counting them: it will finish them
            break
    if counted >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # As the import does for its tables: until autovacuum gets to them, plans would be made for
        # the figures' tables as they were before this bulk count.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(model._meta.db_table)
                                                  for model in (ArticleFigures, MapEntry, ProjectFigure)))
    return counted


def rebuild(project) -> int:
    """Forget the project's figures and mark every article with a corpus layer stale (the repair after a
    bug or a manual edit of the database); `settle` or `manage.py refresh_figures` then counts them.
    How many were marked."""
    with transaction.atomic():
        ArticleFigures.objects.filter(project=project).delete()
        ProjectFigure.objects.filter(project=project).delete()
        MapEntry.objects.filter(project=project).delete()
        StaleArticle.objects.filter(project_id=project.pk).delete()
        articles = Annotation.objects.filter(article__project=project).filter(CORPUS).order_by().values_list(
            "article_id", flat=True).distinct()
        marks = [(article, project.pk) for article in articles.iterator()]
        _upsert(StaleArticle, ("article_id", "project_id"), marks, "ON CONFLICT (article_id) DO NOTHING")
    return len(marks)


def totals(project, family: str, keys: Iterable[tuple] | None = None) -> dict[tuple, int]:
    """The project's totals of one family (or only those `keys`), keys decoded: one indexed read."""
    rows = ProjectFigure.objects.filter(project=project, family=family)
    if keys is not None:
        rows = rows.filter(key__in=[encode(key) for key in keys])
    return {decode(key): n for key, n in rows.values_list("key", "n")}


def recount_layer(annotation: Annotation) -> None:
    """A writer changed this layer: recount its article if the layer is part of the corpus."""
    if annotation.status in CORPUS_STATUSES:
        refresh([annotation.article_id])
