"""The dashboards' kept figures (services/figures.py): always what a count over the corpus would say.

Random corpora are written row by row (as fixtures, admin edits or raw SQL would: the triggers mark
them), and then changed through the services (which recount what they change). After each step the
kept totals must equal a recount from scratch, and the reports built from them must equal the ones
computed from the layers themselves.
"""
import random
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.urls import reverse

from annotate import dashboards
from annotate.agreement.report import agreement_report
from annotate.models import (
    Annotation,
    ArticleFigures,
    Entity,
    ProjectFigure,
    Relation,
    Span,
    StaleArticle,
    Stance,
)
from annotate.services import annotating, figures, review
from annotate.services.editing import delete_layers
from synthetic.corpus import TARGETS

from .factories import make_article, make_project, make_user

pytestmark = pytest.mark.django_db

TEXT = "Officials met in Rabat. France backs the plan, the minister said. Spain agreed! 🇲🇦 قال الوزير"


def _kept(project) -> dict:
    return {(row.family, row.key): row.n for row in ProjectFigure.objects.filter(project=project)}


def _recounted(project) -> dict:
    """The totals a count from scratch gives: every article of the project counted afresh and summed."""
    total = Counter()
    projects = dict(project.articles.values_list("pk", "project_id"))
    for found in figures.count_articles(projects).values():
        for family, counts in found.items():
            for key, n in counts.items():
                total[(family, figures.encode(key))] += n
    return {key: n for key, n in total.items() if n}


def _settled(project) -> dict:
    while figures.settle(project, limit=7):
        pass
    return _kept(project)


def random_corpus(seed: int, *, articles: int = 10):
    rng = random.Random(seed)
    project = make_project(f"figures-{seed}", targets=TARGETS)
    users = [make_user(f"{name}{seed}") for name in ("cleo", "adam", "bea")]
    entities = [Entity.objects.create(project=project, name=name) for name in ("France", "Spain", "Morocco")]
    labels = list(project.labels.all())
    types = list(project.relation_types.all())
    targets, polarities = list(project.stance_targets.all()), list(project.polarities.all())
    length = len(TEXT)

    def fill(layer):
        spans = []
        for _ in range(rng.randint(0, 6)):
            start = rng.randrange(0, length - 1)
            end = rng.randint(start + 1, min(length, start + 20))
            spans.append(Span.objects.create(annotation=layer, label=rng.choice(labels), start=start, end=end,
                                             text=TEXT[start:end], entity=rng.choice([None, *entities])))
        pairs = rng.randint(0, 3) if len(spans) >= 2 else 0
        related = {(*rng.sample(spans, 2), rng.choice(types)) for _ in range(pairs)}
        for a, b, kind in related:
            Relation.objects.create(annotation=layer, type=kind, from_span=a, to_span=b)
        for _ in range(rng.randint(0, 3)):
            holder_span = rng.choice([None, *spans]) if spans else None
            holder_entity = rng.choice([None, *entities]) if holder_span else rng.choice(entities)
            Stance.objects.create(annotation=layer, holder_span=holder_span, holder_entity=holder_entity,
                                  target=rng.choice(targets), polarity=rng.choice(polarities))

    for _ in range(articles):
        article = make_article(project, text=TEXT)
        for user in rng.sample(users, rng.randint(0, 3)):
            fill(Annotation.objects.create(article=article, annotator=user,
                                           status=rng.choice(["submitted", "submitted", "in_progress", "returned"])))
        if rng.random() < 0.4:
            fill(Annotation.objects.create(article=article, is_gold=True,
                                           status=rng.choice(["adjudicated", "in_progress"])))
    return project, users, entities


@pytest.mark.parametrize("seed", range(8))
def test_kept_totals_and_the_reports_from_them_equal_a_count_from_scratch(seed):
    project, users, entities = random_corpus(seed)
    assert StaleArticle.objects.filter(project_id=project.pk).exists()  # rows written directly: marked
    assert _settled(project) == _recounted(project)
    assert not StaleArticle.objects.filter(project_id=project.pk).exists()

    every_label = list(project.labels.values_list("name", flat=True))
    assert dashboards.agreement(project) == agreement_report(project)
    assert dashboards.agreement(project, labels=every_label) == agreement_report(project, labels=every_label)

    # Through the services: each recounts what it changed in its own transaction, nothing is left stale.
    rng = random.Random(seed)
    layers = list(Annotation.objects.filter(article__project=project).order_by("pk"))
    for layer in rng.sample(layers, min(4, len(layers))):
        layer.refresh_from_db()
        if not layer.is_gold and layer.status == "submitted":
            review.return_to_annotator(annotation=layer, reviewer=users[0], comment="again")
        elif not layer.is_gold:
            annotating.submit(annotation=layer, expected_version=layer.version, confirm_missing_evidence=True)
        elif layer.status != "adjudicated":
            review.adjudicate(gold=layer, expected_version=layer.version, reviewer=users[0])
        assert not StaleArticle.objects.filter(article_id=layer.article_id).exists()
        assert _kept(project) == _recounted(project)
    review.merge_entities(keep=entities[0], absorb=entities[1])
    assert not StaleArticle.objects.filter(project_id=project.pk).exists()
    assert _kept(project) == _recounted(project)
    delete_layers(layers[:2])
    assert _kept(project) == _recounted(project)
    assert dashboards.agreement(project) == agreement_report(project)


def test_the_stance_map_registry_and_labels_are_the_corpus_counted_directly():
    project, users, entities = random_corpus(99, articles=14)
    gold = set(Annotation.objects.filter(article__project=project, is_gold=True, status="adjudicated")
               .values_list("article_id", flat=True))
    corpus = [layer for layer in Annotation.objects.filter(article__project=project)
              if layer.status == ("adjudicated" if layer.is_gold else "submitted")]
    cells, mentions, held, labels = defaultdict(Counter), Counter(), Counter(), Counter()
    in_cell = defaultdict(set)
    for layer in corpus:
        for stance in layer.stances.select_related("holder_entity", "holder_span__entity", "target", "polarity"):
            span = stance.holder_span
            if layer.is_gold or layer.article_id not in gold:
                holder = ((stance.holder_entity and stance.holder_entity.name)
                          or (span and span.entity and span.entity.name)
                          or (span and span.text.strip(" ")) or dashboards.UNKNOWN_HOLDER)
                cells[(holder, stance.target.name)][stance.polarity.name] += 1
                in_cell[(holder, stance.target.name)].add(stance.pk)
            if stance.holder_entity:
                held[stance.holder_entity.name] += 1
            if span and span.entity and span.entity != stance.holder_entity:
                held[span.entity.name] += 1
        for span in layer.spans.select_related("label", "entity"):
            labels[span.label.name] += 1
            if span.entity:
                mentions[span.entity.name] += 1
    assert dashboards.stance_map(project)["cells"] == {key: dict(counts) for key, counts in cells.items()}
    for (holder, target), expected in in_cell.items():  # each cell's evidence, page by page, is its stances
        listed, after = [], 0
        while after is not None:
            page = dashboards.stance_evidence(project, holder, target, after=after, limit=2)
            listed += [entry["stance"] for entry in page.found]
            after = page.next_after
        assert sorted(listed) == sorted(expected)
    registry = {entity.name: (entity.mention_count, entity.stance_count)
                for entity in dashboards.source_registry(project)}
    assert registry == {entity.name: (mentions[entity.name], held[entity.name]) for entity in entities}
    assert dict(dashboards.label_distribution(project)) == {label.name: labels[label.name]
                                                            for label in project.labels.all()}


def test_only_changes_to_the_corpus_mark_an_article(project, annotator_a):
    draft = Annotation.objects.create(article=make_article(project, text=TEXT), annotator=annotator_a)
    label = project.labels.get(name="CLAIM")
    Span.objects.create(annotation=draft, label=label, start=0, end=9, text=TEXT[0:9])
    assert not StaleArticle.objects.exists()  # a draft is not the corpus: annotating costs nothing here
    Annotation.objects.filter(pk=draft.pk).update(status="submitted")
    assert StaleArticle.objects.filter(article_id=draft.article_id).exists()
    figures.settle(project)
    Span.objects.filter(annotation=draft).update(end=10)
    assert StaleArticle.objects.filter(article_id=draft.article_id).exists()


def test_a_rename_changes_no_count_and_the_pages_show_the_new_name(project, annotator_a):
    layer = Annotation.objects.create(article=make_article(project, text=TEXT), annotator=annotator_a,
                                      status="submitted")
    france = Entity.objects.create(project=project, name="France")
    Stance.objects.create(annotation=layer, holder_entity=france, target=project.stance_targets.first(),
                          polarity=project.polarities.get(name="favor"))
    figures.settle(project)
    Entity.objects.filter(pk=france.pk).update(name="République française")
    project.labels.filter(name="CLAIM").update(name="ASSERTION")
    assert not StaleArticle.objects.exists()
    assert dashboards.stance_map(project)["holders"] == ["République française"]
    assert "ASSERTION" in dict(dashboards.label_distribution(project))


def test_a_deleted_layer_and_article_leave_nothing_in_the_totals(project, annotator_a):
    article = make_article(project, text=TEXT)
    layer = Annotation.objects.create(article=article, annotator=annotator_a, status="submitted")
    Span.objects.create(annotation=layer, label=project.labels.get(name="CLAIM"), start=0, end=9, text=TEXT[0:9])
    figures.settle(project)
    assert _kept(project)
    layer.delete()  # not through a service: the trigger marks it, the article goes before anyone counts
    article.delete()
    assert _settled(project) == {} and not ArticleFigures.objects.exists()


def test_a_page_counts_a_bounded_number_of_stale_articles_and_says_how_many_wait(
        project, annotator_a, reviewer, client, monkeypatch):
    label = project.labels.get(name="CLAIM")
    for _ in range(5):
        layer = Annotation.objects.create(article=make_article(project, text=TEXT), annotator=annotator_a,
                                          status="submitted")
        Span.objects.create(annotation=layer, label=label, start=0, end=9, text=TEXT[0:9])
    monkeypatch.setattr(figures, "SETTLE_PER_REQUEST", 2)
    client.force_login(reviewer)
    page = client.get(reverse("review:stances", args=[project.slug])).content.decode()
    assert "3 articles changed since these figures were counted" in page
    assert StaleArticle.objects.count() == 3
    assert dict(dashboards.label_distribution(project))["CLAIM"] == 4  # this read counted two more


def test_refresh_figures_rebuilds_a_project_from_scratch(project, annotator_a, annotator_b):
    from django.core.management import call_command

    project_b = make_project("other", targets=TARGETS)
    for target in (project, project_b):
        article = make_article(target, text=TEXT)
        for user in (annotator_a, annotator_b):  # two layers on one article: the article is marked once
            layer = Annotation.objects.create(article=article, annotator=user, status="submitted")
            Span.objects.create(annotation=layer, label=target.labels.get(name="CLAIM"), start=0, end=9,
                                text=TEXT[0:9])
    call_command("refresh_figures")
    expected = _kept(project)
    ProjectFigure.objects.filter(project=project).update(n=42)  # a total gone wrong (a bug, a manual edit)
    call_command("refresh_figures", "--project", project.slug, "--rebuild")
    assert _kept(project) == expected == _recounted(project)
    assert _kept(project_b) == _recounted(project_b)


def test_the_triggers_are_installed():
    names = {"postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
             "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'"}[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(names)
        installed = {row[0] for row in cursor.fetchall()}
    for table in ("annotate_span", "annotate_relation", "annotate_stance", "annotate_annotation"):
        assert {f"{table}_stale_{event}" for event in ("insert", "update", "delete")} <= installed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_a_cells_evidence_page_reads_only_its_page_from_the_map_index(project, annotator_a):
    """300 stances, 5 of them France's: the first page of France's cell reads its entries by the cell index,
    not the other cell's (whichever index the planner picks, it must not walk Spain's entries)."""
    from .plans import explain_queryset, rows_of

    france, spain = (Entity.objects.create(project=project, name=name) for name in ("France", "Spain"))
    target, favor = project.stance_targets.first(), project.polarities.get(name="favor")
    for i in range(300):
        layer = Annotation.objects.create(article=make_article(project, text=TEXT), annotator=annotator_a,
                                          status="submitted")
        Stance.objects.create(annotation=layer, holder_entity=france if i % 60 == 59 else spain, target=target,
                              polarity=favor)
    while figures.settle(project):
        pass
    from annotate.models import MapEntry

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_mapentry")
    holder = figures.encode(("e", france.pk))
    page = (MapEntry.objects.filter(project=project, target_id__in={target.pk}, holder__in={holder}, stance_id__gt=0)
            .order_by("stance_id").values_list("stance_id", flat=True)[:3])
    plan = explain_queryset(page, analyze=True)
    text = "\n".join(plan)
    reads = [line for line in plan if " on annotate_mapentry" in line]
    assert reads and all("map_entry_cell" in line for line in reads), text
    assert all(rows_of(line) <= 3 for line in reads) and "Rows Removed" not in text, text


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_and_readers_keep_the_totals_exact():
    """Four annotators submit at once while two readers settle: the same totals rows move in every
    transaction (row locks, in one order), readers skip what a writer holds; nothing is lost or doubled."""
    if connection.vendor != "postgresql":
        pytest.skip("row-level locking is PostgreSQL's; SQLite serialises writers")
    import threading

    from django.db import connections

    project = make_project("rush-figures", targets=TARGETS)
    users = [make_user(f"w{i}") for i in range(4)]
    label, entity = project.labels.get(name="SOURCE"), Entity.objects.create(project=project, name="France")
    target, favor = project.stance_targets.first(), project.polarities.get(name="favor")
    layers = {user.pk: [] for user in users}
    for _ in range(6):
        article = make_article(project, text=TEXT)
        for user in users:
            layer = Annotation.objects.create(article=article, annotator=user)
            span = Span.objects.create(annotation=layer, label=label, start=24, end=30, text=TEXT[24:30],
                                       entity=entity)
            Stance.objects.create(annotation=layer, holder_span=span, target=target, polarity=favor)
            layers[user.pk].append(layer)
        make_article(project, text=TEXT)
    # A few stale articles for the readers to count meanwhile: layers submitted by a raw update.
    extra = [Annotation.objects.create(article=make_article(project, text=TEXT), annotator=users[0])
             for _ in range(10)]
    barrier, errors = threading.Barrier(len(users) + 2), []

    def submit_all(user):
        try:
            barrier.wait()
            for layer in layers[user.pk]:
                layer.refresh_from_db()
                annotating.submit(annotation=layer, expected_version=layer.version, confirm_missing_evidence=True)
        except Exception as error:  # reported below, in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    def read():
        try:
            barrier.wait()
            for _ in range(5):
                figures.settle(project, limit=3)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    Annotation.objects.filter(pk__in=[layer.pk for layer in extra]).update(status="submitted")
    threads = [threading.Thread(target=submit_all, args=(user,)) for user in users]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _settled(project) == _recounted(project)
    assert figures.totals(project, "sources")[(entity.pk, "mentions")] == 24


def test_the_import_command_counts_what_it_imported(tmp_path, project, annotator_a):
    """The import marks its articles stale in its own transaction; the command then counts them."""
    from django.core.management import call_command

    from synthetic.corpus import annotated_records, to_jsonl

    path = tmp_path / "batch.jsonl"
    path.write_bytes(to_jsonl(annotated_records(12)))
    call_command("import_articles", str(path), project="demo", annotator="anna")
    assert not StaleArticle.objects.exists()
    assert _kept(project) == _recounted(project) and _kept(project)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_a_sources_page_reads_its_first_mentions_along_the_index(project, annotator_a, reviewer, client):
    """A source with 120 mentions among 1200: its page's mention list reads the source's own rows by its
    index, never the corpus's. (With a LIMIT the planner walks that index in order once the source has
    many mentions; for one as common as half the spans, walking the primary key and skipping the others
    is as good: either way the page reads about 100 rows.)"""
    from django.test.utils import CaptureQueriesContext

    from .plans import explain, rows_of

    france, spain = (Entity.objects.create(project=project, name=name) for name in ("France", "Spain"))
    label = project.labels.get(name="SOURCE")
    for _ in range(60):
        layer = Annotation.objects.create(article=make_article(project, text=TEXT), annotator=annotator_a,
                                          status="submitted")
        Span.objects.bulk_create([Span(annotation=layer, label=label, start=24, end=30, text=TEXT[24:30],
                                       entity=france if n % 10 == 0 else spain) for n in range(20)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_span, annotate_annotation")
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("review:source", args=[project.slug, france.pk])).status_code == 200
    [mentions] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "annotate_span"."id"')]
    plan = explain(mentions, analyze=True)
    text = "\n".join(plan)
    reads = [line for line in plan if " on annotate_span" in line or " on span_entity_in_order" in line]
    assert "span_entity_in_order" in text and "Seq Scan" not in text and "annotate_span_pkey" not in text, text
    assert reads and all(rows_of(line) <= 120 for line in reads), text


def test_an_import_marks_its_articles_itself_and_puts_the_triggers_back(project, annotator_a):
    """On SQLite the import takes the item triggers off in its own transaction (one per span) and marks each
    batch's articles itself; after it, and after a failed one, the triggers are back."""
    import io

    from annotate.services.importing import ImportFailed, import_file
    from synthetic.corpus import annotated_records, to_jsonl

    report = import_file(io.BytesIO(to_jsonl(annotated_records(6))), name="six.jsonl", project_slug="demo",
                         annotator=annotator_a)
    assert report.articles_created == 6
    assert set(StaleArticle.objects.values_list("article_id", flat=True)) == set(
        project.articles.values_list("pk", flat=True))
    test_the_triggers_are_installed()
    with pytest.raises(ImportFailed):
        import_file(io.BytesIO(to_jsonl(annotated_records(2)) + b'{"not": "a record"}\n'), name="bad.jsonl",
                    project_slug="demo")
    test_the_triggers_are_installed()
    assert _settled(project) == _recounted(project)
    Span.objects.filter(annotation__article__project=project).first().delete()  # outside an import: marked
    assert StaleArticle.objects.exists()
