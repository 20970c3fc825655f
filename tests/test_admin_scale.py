"""The admin at corpus scale: changelists of the big tables count up to a cap, sort by indexes and
search through indexes (annotate/admin/large.py, search.py, migration 0009).

What a search finds is checked on both databases; on PostgreSQL the plans of the queries a search
page runs are read too, with a few thousand rows analysed: the span and article searches must reach
their rows through the trigram indexes, never a scan of the table.
"""
import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.admin.large import CappedPaginator, round_estimate
from annotate.models import (
    Annotation,
    AnnotationEvent,
    Article,
    Assignment,
    Label,
    Relation,
    Span,
    Stance,
)
from annotate.services.editing import delete_layers

from .factories import make_annotation, make_article, make_entity, make_span, make_user
from .plans import explain

pytestmark = pytest.mark.django_db

LARGE = [Article, Assignment, Annotation, Span, Relation, Stance, AnnotationEvent]
TEXT = "Bellouan said that Morocco backs the autonomy plan. Officials met in Marrakech on Wednesday."


def url_of(model, **query):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def found(client, model, q) -> set:
    response = client.get(url_of(model, q=q))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.fixture
def world(project, annotator_a, annotator_b):
    """Two articles, each with a layer: sources, claims, a relation, stances, history."""
    rabat = make_article(project, external_id="rabat-001", title="Rabat backs the autonomy plan", text=TEXT,
                         outlet="Le Matin", url="https://lematin.example/politics/rabat-001")
    short = make_article(project, external_id="AB", title="Meeting in Marrakech", text=TEXT, outlet="Hespress")
    first, second = make_annotation(rabat, annotator_a), make_annotation(short, annotator_b)
    source = make_span(first, "SOURCE", 0, len("Bellouan"))
    claim = make_span(first, "CLAIM", TEXT.index("Morocco"), TEXT.index("."))
    place = make_span(second, "CLAIM", TEXT.index("Marrakech"), TEXT.index(" on Wednesday"))
    relation = Relation.objects.create(annotation=first, type=project.relation_types.get(name="CLAIMED_BY"),
                                       from_span=claim, to_span=source)
    target, favor = project.stance_targets.first(), project.polarities.get(name="favor")
    by_entity = Stance.objects.create(annotation=second, holder_entity=make_entity(project, "Hassan Bellouan"),
                                      target=target, polarity=favor)
    by_span = Stance.objects.create(annotation=first, holder_span=source, target=target, polarity=favor)
    events = [AnnotationEvent.objects.create(annotation_id=layer.pk, actor=layer.annotator, action=action,
                                             version=2) for layer, action in ((first, "span.add"),
                                                                              (second, "status.submit"))]
    return {"rabat": rabat, "short": short, "first": first, "second": second, "source": source, "claim": claim,
            "place": place, "relation": relation, "by_entity": by_entity, "by_span": by_span, "events": events,
            "anna": annotator_a, "ben": annotator_b}


# What a search finds ---------------------------------------------------------------------------


def test_spans_are_found_by_their_text_or_their_articles_external_id(admin_client, world):
    assert found(admin_client, Span, "morocco") == {world["claim"].pk}  # any case
    assert found(admin_client, Span, "Morocco autonomy") == {world["claim"].pk}  # every word
    assert found(admin_client, Span, '"autonomy plan"') == {world["claim"].pk}  # a quoted phrase
    assert found(admin_client, Span, "RABAT-001") == {world["source"].pk, world["claim"].pk}
    assert found(admin_client, Span, "rabat-00") == set()  # an external id matches whole, not in part


def test_a_word_too_short_for_the_index_matches_an_external_id_only(admin_client, world):
    assert found(admin_client, Span, "in") == set()  # "Marrakech on", "autonomy plan": not searched
    assert found(admin_client, Span, "ab") == {world["place"].pk}  # the article whose external id is AB
    assert found(admin_client, Article, "ab") == {world["short"].pk}
    assert found(admin_client, Article, "Ma") == set()


def test_articles_are_found_by_external_id_title_outlet_or_url(admin_client, world):
    rabat, short = world["rabat"].pk, world["short"].pk
    assert found(admin_client, Article, "autonomy") == {rabat}
    assert found(admin_client, Article, "rabat-0") == {rabat}  # part of an external id (or of the URL)
    assert found(admin_client, Article, "hespress") == {short}
    assert found(admin_client, Article, "lematin.example/politics") == {rabat}
    assert found(admin_client, Article, "Marrakech meeting") == {short}


def test_layers_and_assignments_are_found_by_article_or_annotator(admin_client, world):
    Assignment.objects.create(article=world["rabat"], annotator=world["anna"])
    Assignment.objects.create(article=world["short"], annotator=world["ben"])
    assert found(admin_client, Annotation, "anna") == {world["first"].pk}
    assert found(admin_client, Annotation, "autonomy") == {world["first"].pk}
    assert found(admin_client, Annotation, "ab") == {world["second"].pk}
    assert found(admin_client, Assignment, "ben") == set(Assignment.objects.filter(annotator=world["ben"])
                                                         .values_list("pk", flat=True))
    assert len(found(admin_client, Assignment, "Marrakech")) == 1


def test_the_assignment_forms_article_picker_searches_the_same_way(admin_client, world):
    url = reverse("admin:autocomplete") + "?app_label=annotate&model_name=assignment&field_name=article&term="
    assert [item["id"] for item in admin_client.get(url + "autonomy").json()["results"]] == [str(world["rabat"].pk)]
    assert [item["id"] for item in admin_client.get(url + "ab").json()["results"]] == [str(world["short"].pk)]


def test_relations_stances_and_history_are_found_by_article_holder_or_actor(admin_client, world):
    assert found(admin_client, Relation, "rabat-001") == {world["relation"].pk}
    assert found(admin_client, Relation, "AB") == set()
    assert found(admin_client, Stance, "rabat-001") == {world["by_span"].pk}
    assert found(admin_client, Stance, "bellouan") == {world["by_entity"].pk}  # the canonical source's name
    assert found(admin_client, AnnotationEvent, "ben") == {world["events"][1].pk}
    assert found(admin_client, AnnotationEvent, "rabat-001") == {world["events"][0].pk}


def test_the_history_lists_the_events_of_a_deleted_layer(admin_client, world):
    delete_layers([world["second"]], actor=None)
    response = admin_client.get(url_of(AnnotationEvent))
    listed = {event.pk: event for event in response.context["cl"].result_list}
    assert world["events"][1].pk in listed and len(listed) == AnnotationEvent.objects.count()
    assert f"deleted layer {world['second'].pk}" in response.content.decode()
    assert admin_client.get(reverse("admin:annotate_annotationevent_change",
                                    args=[world["events"][1].pk])).status_code == 200


def test_the_history_filters_by_kind_of_change(admin_client, world):
    response = admin_client.get(url_of(AnnotationEvent, kind="span"))
    assert {event.pk for event in response.context["cl"].result_list} == {world["events"][0].pk}


# Counting --------------------------------------------------------------------------------------


@pytest.fixture
def small_cap(monkeypatch):
    """A count cap of 5 and pages of 2 rows, so that a handful of rows is past the cap."""
    monkeypatch.setattr(CappedPaginator, "cap", 5)
    monkeypatch.setattr(admin.site.get_model_admin(Span), "list_per_page", 2)


def many_spans(project, n):
    layer = make_annotation(make_article(project, text=TEXT))
    label = Label.objects.get(project=project, name="CLAIM")
    return Span.objects.bulk_create(Span(annotation=layer, label=label, start=0, end=8, text="Bellouan")
                                    for _ in range(n))


@pytest.mark.parametrize("model", LARGE, ids=lambda model: model.__name__)
def test_a_large_tables_changelist_never_counts_all_its_rows(admin_client, world, model):
    table = model._meta.db_table
    counted = []
    for query in ({}, {"q": "Bellouan"}, {"q": "rabat-001"}):
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url_of(model, **query)).status_code == 200
        counted += [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(") and f'"{table}"' in q["sql"]]
    assert counted
    assert all("LIMIT 10001" in sql for sql in counted), counted


def test_past_the_cap_the_list_says_more_than_and_its_pages_stop(admin_client, project, small_cap):
    many_spans(project, 12)
    response = admin_client.get(url_of(Span, q="Bellouan"))
    changelist = response.context["cl"]
    assert changelist.result_count == 6 and changelist.paginator.num_pages == 3
    assert len(changelist.result_list) == 2
    page = response.content.decode()
    assert "more than 5 spans" in page and "more than 5 results" in page
    assert "Select all more than 5 spans" in page
    assert admin_client.get(url_of(Span, q="Bellouan", p=4)).status_code == 302  # past the counted pages


def test_under_the_cap_the_count_is_exact(admin_client, project, small_cap):
    many_spans(project, 4)
    response = admin_client.get(url_of(Span, q="Bellouan"))
    assert response.context["cl"].paginator.count_text == "4"
    assert "4 spans" in response.content.decode()


def test_an_unfiltered_large_table_says_the_planners_estimate_on_postgresql(admin_client, project, small_cap):
    many_spans(project, 40)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE annotate_span")
    text = admin_client.get(url_of(Span)).context["cl"].paginator.count_text
    assert text == ("about 40" if connection.vendor == "postgresql" else "more than 5")


def test_estimates_keep_three_significant_digits():
    assert [round_estimate(n) for n in (7, 987, 3_379_131, 10_049)] == [7, 987, 3_380_000, 10_000]


# Query budgets of search pages ------------------------------------------------------------------

# What each list is searched for in the budget test: a word its rows match, more rows with more data
# (a relation's article is one article, whatever the corpus).
SEARCHED = {Article: "Bellouan", Assignment: "Bellouan", Annotation: "Bellouan", Span: "Bellouan",
            Relation: "wire-1", Stance: "Bellouan", AnnotationEvent: "user"}
SEARCH_BUDGETS = {
    Article: 6,  # session, user, projects, languages, capped count, rows (the article's own columns)
    Assignment: 7,  # session, user, projects, the word's articles, its users, capped count, rows
    Annotation: 7,  # likewise (span counts by subquery)
    Span: 8,  # session, user, label names, the word's layers, capped count, rows; labels, layers
    Relation: 10,  # session, user, type names, the word's layers, capped count, rows; types, spans x2, layers
    Stance: 12,  # session, user, polarity and target names, the word's layers and sources, capped count,
    # rows; holder sources, polarities, targets, layers
    AnnotationEvent: 7,  # session, user, the word's layers and users, capped count, rows; layers
}


@pytest.mark.parametrize("model", LARGE, ids=lambda model: model.__name__)
def test_a_search_page_runs_a_fixed_number_of_queries(admin_client, project, model, django_assert_max_num_queries):
    source = make_entity(project, "Hassan Bellouan")
    relation_type = project.relation_types.get(name="CLAIMED_BY")
    target, favor = project.stance_targets.first(), project.polarities.get(name="favor")

    def rows(n):
        for _ in range(n):
            number = Article.objects.count() + 1
            article = make_article(project, external_id=f"wire-{number}", title=f"Bellouan {number}", text=TEXT)
            user = make_user()
            Assignment.objects.create(article=article, annotator=user)
            layer = make_annotation(article, user)
            quoted = make_span(layer, "SOURCE", 0, len("Bellouan"))
            claim = make_span(layer, "CLAIM", TEXT.index("Morocco"), TEXT.index("."))
            Relation.objects.create(annotation=layer, type=relation_type, from_span=claim, to_span=quoted)
            Stance.objects.create(annotation=layer, holder_entity=source, target=target, polarity=favor)
            AnnotationEvent.objects.create(annotation_id=layer.pk, actor=user, action="span.add", version=2)

    def fetch():
        with django_assert_max_num_queries(SEARCH_BUDGETS[model]):
            response = admin_client.get(url_of(model, q=SEARCHED[model]))
        assert response.status_code == 200
        return response.context["cl"].result_count

    rows(3)
    few = fetch()
    rows(27)
    many = fetch()
    assert few >= 1 and (many > few or model is Relation)


# Plans on PostgreSQL ---------------------------------------------------------------------------

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
FILLER = ["Officials met in Marrakech on Wednesday", "the autonomy plan", "France", "the UN envoy",
          "security services dismantled 32 extremist cells", "Morocco's Foreign Ministry"]


@pytest.fixture
def thousands(project):
    """3,000 spans in 300 layers and 300 articles, one span naming Zerrouki; analysed."""
    articles = Article.objects.bulk_create(
        Article(project=project, external_id=f"wire-{i:04}", title=f"{FILLER[i % 6]} ({i})", text=TEXT,
                outlet="Synthetic Wire", url=f"https://wire.example/{i:04}", language="en")
        for i in range(300))
    layers = Annotation.objects.bulk_create(Annotation(article=article, annotator=make_user()) for article in articles)
    label = Label.objects.get(project=project, name="CLAIM")
    Span.objects.bulk_create(
        Span(annotation=layers[i // 10], label=label, start=0, end=5,
             text="Leïla Zerrouki, a Sahel security analyst" if i == 1234 else f"{FILLER[i % 6]} #{i}")
        for i in range(3000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_span, annotate_article, annotate_annotation")
    return articles


def plans_of_search(client, model, word) -> list[list[str]]:
    """The plans of the queries the search page runs over `model`'s table with the word.

    Sequential scans and plain index scans are discouraged: a few thousand rows are cheap to read whole
    (through the primary key, newest first), so the planner would rightly do that here. Left with
    bitmap scans, it reads the table through an index only where one answers the search's condition,
    which is what these tests pin; at 3.4M spans it picks that index for a rare word by itself, and the
    newest-first walk for a common one (bench/admin_bench.py).
    """
    table = model._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url_of(model, q=word)).status_code == 200
    reads = [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"] and word.upper() in q["sql"].upper()]
    assert reads
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
    return [explain(sql) for sql in reads]


@postgresql_only
@pytest.mark.parametrize("model,index", [(Span, "annotate_span_text_trgm"), (Article, "annotate_article_search_trgm")],
                         ids=["span", "article"])
def test_the_search_reads_the_trigram_index_not_the_table(admin_client, thousands, model, index):
    for plan in plans_of_search(admin_client, model, "Zerrouki"):
        text = "\n".join(plan)
        assert index in text, text
        assert f"Seq Scan on {model._meta.db_table}" not in text, text


@postgresql_only
def test_the_span_search_ors_the_text_index_with_the_articles_layers(admin_client, thousands):
    for plan in plans_of_search(admin_client, Span, "wire-0042"):
        text = "\n".join(plan)
        assert "BitmapOr" in text and "annotate_span_text_trgm" in text, text
        assert "Seq Scan on annotate_span" not in text, text


@postgresql_only
def test_the_language_filter_reads_its_index_not_the_articles(admin_client, thousands):
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(url_of(Article))
    languages = next(q["sql"] for q in queries if q["sql"].startswith('SELECT DISTINCT "annotate_article"."language"'))
    assert "annotate_article_language" in "\n".join(explain(languages))
