"""The queue's order (Project.queue_order): by id, a fixed shuffle, or the most uncertain suggestions first."""
import importlib
import io
import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotate.models import Article, Assignment, Label, Project, SuggestedSpan
from annotate.services.assignments import next_candidates, take_next_article
from annotate.services.importing import import_file
from annotate.suggestions.uncertainty import refresh_uncertainty, uncertainty

from .factories import make_article, make_member, make_project, make_user, take_concurrently
from .plans import explain_queryset

pytestmark = pytest.mark.django_db
TEXT = "France backs the plan, the minister said."


def queued_project(slug, order, **extra):
    project = make_project(slug, **extra)
    project.queue_order = order
    project.save(update_fields=["queue_order"])
    return project


def order_handed_out(project):
    """The articles one annotator gets, one after the other, submitting each."""
    user = make_member(project, make_user())
    handed = []
    while True:
        assignment, _ = take_next_article(project=project, user=user)
        if assignment is None:
            return handed
        Assignment.objects.filter(pk=assignment.pk).update(status="submitted")
        handed.append(assignment.article_id)


def suggest(article, recommender, *spans):
    """Store span suggestions (label, start, end, score) for an article, as a recommender's run would."""
    labels = dict(Label.objects.filter(project=article.project).values_list("name", "pk"))
    SuggestedSpan.objects.bulk_create(
        SuggestedSpan(article=article, recommender=recommender, score=score, label_id=labels[label], start=start,
                      end=end, text=article.text[start:end]) for label, start, end, score in spans)


def test_sequential_hands_articles_out_by_id():
    project = make_project("seq")
    articles = [make_article(project) for _ in range(5)]
    assert order_handed_out(project) == [a.pk for a in articles]


def test_random_is_a_fixed_shuffle_the_same_for_every_annotator():
    project = queued_project("shuffled", Project.QueueOrder.RANDOM, annotators_per_article=2)
    articles = [make_article(project) for _ in range(30)]
    first = order_handed_out(project)
    assert sorted(first) == sorted(a.pk for a in articles)  # every article, once
    assert first != sorted(first)  # shuffled (30 in id order by chance: 1 in 30!)
    keys = dict(Article.objects.filter(project=project).values_list("pk", "shuffle_key"))
    assert first == sorted(keys, key=lambda pk: (keys[pk], pk))  # the keys' order, drawn once
    assert order_handed_out(project) == first  # a second annotator: the same order


def test_imported_articles_draw_their_key_too():
    """The importer writes raw rows (services/bulk.py), past the model's default: it draws the key itself."""
    project = make_project("imported")
    lines = "".join(json.dumps({"external_id": f"a{i}", "text": TEXT}) + "\n" for i in range(20))
    import_file(io.BytesIO(lines.encode()), name="corpus.jsonl", project_slug=project.slug)
    keys = list(Article.objects.filter(project=project).values_list("shuffle_key", flat=True))
    assert len(keys) == 20 and None not in keys and len(set(keys)) > 15


def test_the_migration_draws_a_key_for_existing_articles():
    project = make_project("old")
    articles = [make_article(project) for _ in range(20)]
    Article.objects.update(shuffle_key=None)
    migration = importlib.import_module("annotate.migrations.0015_queue_order")
    with connection.cursor() as cursor:  # the migration's own statement, run as its schema editor would
        editor = SimpleNamespace(connection=connection, execute=lambda sql, params: cursor.execute(sql, params))
        migration.fill_shuffle_keys(None, editor)
    keys = list(Article.objects.filter(pk__in=[a.pk for a in articles]).values_list("shuffle_key", flat=True))
    assert all(key is not None and 0 <= key < 2**31 for key in keys) and len(set(keys)) > 15


def test_uncertainty_of_one_article():
    assert uncertainty([]) is None
    assert uncertainty([(1, 0, 6, 1.0), (2, 7, 12, 0.0)]) == 0.0  # sure, and agreed
    assert uncertainty([(1, 0, 6, 0.5)]) == 1.0  # a coin toss
    # Two recommenders label 0:6 differently (half of the two offsets disputed), scores 0.9, 0.9 and 0.75.
    assert uncertainty([(1, 0, 6, 0.9), (2, 0, 6, 0.9), (1, 7, 12, 0.75)]) == pytest.approx((0.2 + 0.2 + 0.5) / 3 + 0.5)


def test_uncertainty_puts_the_least_certain_first_and_follows_new_suggestions():
    project = queued_project("active", Project.QueueOrder.UNCERTAINTY, annotators_per_article=3)
    plain, sure, unsure, disputed = (make_article(project, text=TEXT) for _ in range(4))
    suggest(sure, "tagger", ("SOURCE", 0, 6, 0.99))
    suggest(unsure, "tagger", ("SOURCE", 0, 6, 0.55))
    suggest(disputed, "tagger", ("SOURCE", 0, 6, 0.9))
    suggest(disputed, "string_match", ("CLAIM", 0, 6, 0.9))
    refresh_uncertainty([plain.pk, sure.pk, unsure.pk, disputed.pk])
    # Disputed: 0.2 + 1 (its one offset labelled twice); unsure 0.9; sure 0.02; none: last.
    assert order_handed_out(project) == [disputed.pk, unsure.pk, sure.pk, plain.pk]

    # The recommenders ran again: the disputed article is settled and the plain one got a coin toss.
    SuggestedSpan.objects.filter(article=disputed, recommender="string_match").delete()
    suggest(plain, "tagger", ("CLAIM", 7, 12, 0.5))
    refresh_uncertainty([disputed.pk, plain.pk])
    assert order_handed_out(project) == [plain.pk, unsure.pk, disputed.pk, sure.pk]

    SuggestedSpan.objects.filter(article=plain).delete()
    refresh_uncertainty([plain.pk])
    assert Article.objects.get(pk=plain.pk).suggestion_uncertainty is None


def test_refreshing_uncertainty_takes_a_fixed_number_of_queries(django_assert_num_queries):
    project = make_project("budget")
    articles = [make_article(project, text=TEXT) for _ in range(40)]
    for article in articles:
        suggest(article, "tagger", ("SOURCE", 0, 6, 0.7), ("CLAIM", 7, 12, 0.6))
    # SAVEPOINT, the suggestions' read, one UPDATE of every article, RELEASE.
    with django_assert_num_queries(4):
        refresh_uncertainty(a.pk for a in articles)


@pytest.mark.parametrize("order", Project.QueueOrder.values)
def test_taking_the_next_article_costs_the_same_in_every_order(order, django_assert_max_num_queries):
    project = queued_project(f"q-{order}", order)
    for _ in range(30):
        suggest(make_article(project, text=TEXT), "tagger", ("SOURCE", 0, 6, 0.7))
    refresh_uncertainty(Article.objects.filter(project=project).values_list("pk", flat=True))
    user = make_member(project, make_user())
    # SAVEPOINT, the role, an open assignment?, the candidate (locked), its slot count, the INSERT, the flag, RELEASE
    with django_assert_max_num_queries(9):
        assignment, created = take_next_article(project=project, user=user)
    assert created


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
@pytest.mark.parametrize("order,index", [("sequential", "article_needs_annotators"),
                                         ("random", "article_queue_random"),
                                         ("uncertainty", "article_queue_uncertainty")])
def test_each_order_walks_its_partial_index(order, index):
    project = queued_project(f"plan-{order}", order)
    for i in range(200):
        article = make_article(project, text=TEXT)
        if i % 2:
            suggest(article, "tagger", ("SOURCE", 0, 6, (i % 10) / 10))
    refresh_uncertainty(Article.objects.filter(project=project).values_list("pk", flat=True))
    Article.objects.filter(project=project, pk__in=Article.objects.filter(project=project).order_by("pk")
                           .values("pk")[:150]).update(needs_annotators=False)
    user = make_member(project, make_user())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_article")
    plan = explain_queryset(next_candidates(project=project, user=user)[:1], analyze=True)
    text = "\n".join(plan)
    reads = [line for line in plan if " on annotate_article" in line]
    assert reads and all(index in line for line in reads), text
    assert "Sort" not in text, text  # the index gives the order: nothing read to be sorted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("order", ["random", "uncertainty"])
def test_concurrent_callers_skip_locked_articles_in_every_order(order):
    """Eight annotators ask at once for five articles that each need two of them (PostgreSQL row locks)."""
    if connection.vendor != "postgresql":
        pytest.skip("row-level locking is PostgreSQL's; SQLite serialises writers with IMMEDIATE transactions")
    project = queued_project(f"rush-{order}", order, annotators_per_article=2)
    users = [make_member(project, make_user(f"u{i}-{order}")) for i in range(8)]
    articles = [make_article(project, text=TEXT) for _ in range(5)]
    for i, article in enumerate(articles):
        suggest(article, "tagger", ("SOURCE", 0, 6, 0.5 + i / 20))
    refresh_uncertainty(a.pk for a in articles)
    results, errors = take_concurrently(project, users)
    assert errors == []
    assert {a.pk: Assignment.objects.filter(article=a).count() for a in articles} == {a.pk: 2 for a in articles}
    assert len(results) == len(set(results)) == 10


def test_managers_choose_the_order_on_the_projects_admin_form(project, superuser):
    client = Client()
    client.force_login(superuser)
    html = client.get(reverse("admin:annotate_project_change", args=[project.pk])).content.decode()
    assert 'name="queue_order"' in html and 'value="uncertainty"' in html
