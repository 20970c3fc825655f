"""Article.needs_annotators, the flag "next article" reads, stays the truth through every door that
writes assignments: taking, assigning, skipping, submitting, returning, importing, admin edits and
deletes, a change of the project's overlap, and the migration that filled it.
"""
import importlib
import io
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from annotate.models import Article, Assignment, Project
from annotate.services import annotating, review
from annotate.services.assignments import assign_articles, next_candidates, take_next_article
from annotate.services.importing import import_file
from synthetic.corpus import TARGETS, annotated_records, to_jsonl

from .factories import make_article, make_assignment, make_member, make_project, make_user
from .plans import explain_queryset, rows_of

pytestmark = pytest.mark.django_db


def truth(project) -> dict[int, bool]:
    """Each article's flag as it should be: fewer active (not skipped) assignments than the project asks."""
    return {
        article.pk: article.assignments.exclude(status="skipped").count() < project.annotators_per_article
        for article in Article.objects.filter(project=project)
    }


def flags(project) -> dict[int, bool]:
    return dict(Article.objects.filter(project=project).values_list("pk", "needs_annotators"))


def assert_flags_right(project):
    project.refresh_from_db()
    assert flags(project) == truth(project)


@pytest.fixture
def overlap():
    """A project asking for two annotators per article, with three annotators and three articles."""
    project = make_project("overlap", targets=TARGETS, annotators_per_article=2)
    people = [make_member(project, make_user(name)) for name in ("ann", "ben", "cy")]
    return project, people, [make_article(project) for _ in range(3)]


def test_a_new_article_needs_annotators(overlap):
    project, _, _ = overlap
    assert set(flags(project).values()) == {True}


def test_take_skip_submit_and_return_keep_the_flag(overlap):
    project, (ann, ben, cy), (first, *_) = overlap
    a, _ = take_next_article(project=project, user=ann)
    b, _ = take_next_article(project=project, user=ben)
    assert a.article_id == b.article_id == first.pk
    assert_flags_right(project)
    assert Article.objects.get(pk=first.pk).needs_annotators is False  # full: two of two

    annotating.skip(assignment=b, reason="off topic")
    assert_flags_right(project)
    assert Article.objects.get(pk=first.pk).needs_annotators is True  # ben's slot is free again

    c, _ = take_next_article(project=project, user=cy)
    assert c.article_id == first.pk  # cy gets it; ben never gets it back
    assert_flags_right(project)

    # A skipped assignment whose layer is submitted (the API allows it) takes its slot back: three of two.
    layer = annotating.open_layer(assignment=c)
    annotating.skip(assignment=Assignment.objects.get(pk=c.pk), reason="later")
    assert_flags_right(project)
    annotating.submit(annotation=layer, expected_version=layer.version)
    assert_flags_right(project)

    # Sent back after a skip of the same annotator's assignment: the slot is taken again.
    Assignment.objects.filter(pk=c.pk).update(status="skipped", skip_reason="x")
    Article.objects.filter(pk=first.pk).update(needs_annotators=True)
    review.return_to_annotator(annotation=layer, reviewer=ann, comment="check the quote")
    assert_flags_right(project)


def test_take_corrects_a_stale_flag_under_its_lock(overlap):
    project, (ann, ben, cy), (first, second, _) = overlap
    make_assignment(first, ann), make_assignment(first, ben)  # written around the services: flag stale
    assert Article.objects.get(pk=first.pk).needs_annotators is True
    taken, _ = take_next_article(project=project, user=cy)
    assert taken.article_id == second.pk  # never a third active assignment on `first`
    assert_flags_right(project)


def test_assign_articles_keeps_the_flag(overlap):
    project, people, articles = overlap
    assign_articles(articles=articles[:2], annotators=people[:2])
    assert_flags_right(project)
    assert [flags(project)[a.pk] for a in articles] == [False, False, True]


def test_import_keeps_the_flag(overlap):
    project, (ann, ben, _), (first, *_) = overlap
    project.annotators_per_article = 1
    project.save()
    # ann skipped the file's first article; the import's layer for it makes her assignment active again.
    record = annotated_records(1)[0]
    article = make_article(project, external_id=record["external_id"], text=record["text"])
    make_assignment(article, ann, status="skipped", skip_reason="off topic")
    Article.objects.filter(pk=article.pk).update(needs_annotators=True)
    import_file(io.BytesIO(to_jsonl(annotated_records(3))), name="corpus.jsonl", project_slug=project.slug,
                annotator=ann, update=True)
    assert_flags_right(project)
    assert Article.objects.get(pk=article.pk).needs_annotators is False
    assert Article.objects.filter(project=project, needs_annotators=False).count() == 3


def test_admin_edits_and_deletes_of_assignments_keep_the_flag(overlap, admin_client):
    project, (ann, ben, _), (first, second, _) = overlap
    assign_articles(articles=[first], annotators=[ann, ben])
    a = Assignment.objects.get(article=first, annotator=ann)
    url = reverse("admin:annotate_assignment_change", args=[a.pk])
    response = admin_client.post(url, {"article": second.pk, "annotator": ann.pk, "status": "assigned",
                                       "skip_reason": ""})
    assert response.status_code == 302
    assert_flags_right(project)  # moved: `first` has a slot again, `second` one fewer
    assert flags(project)[first.pk] is True

    b = Assignment.objects.get(article=first, annotator=ben)
    response = admin_client.post(url, {"article": first.pk, "annotator": ann.pk, "status": "skipped",
                                       "skip_reason": "off topic"})
    assert response.status_code == 302
    assert_flags_right(project)

    admin_client.post(reverse("admin:annotate_assignment_delete", args=[b.pk]), {"post": "yes"})
    assert_flags_right(project)
    assign_articles(articles=[second], annotators=[ben])
    admin_client.post(reverse("admin:annotate_assignment_changelist"),
                      {"action": "delete_selected", "_selected_action": [a.pk], "post": "yes"})
    assert_flags_right(project)


def test_a_change_of_the_projects_overlap_in_admin_moves_the_flags(overlap):
    project, (ann, ben, _), articles = overlap
    assign_articles(articles=articles[:2], annotators=[ann])
    project_admin = admin.site._registry[Project]
    request = RequestFactory().post("/")
    for overlap_now in (1, 2):  # one annotator each: full at 1, a slot again at 2
        project.annotators_per_article = overlap_now
        project_admin.save_model(request, project, SimpleNamespace(changed_data=["annotators_per_article"]),
                                 change=True)
        assert_flags_right(project)
    assert flags(project) == {a.pk: True for a in articles}


def test_the_migration_fills_the_flag_in_one_statement(overlap, django_assert_num_queries):
    project, (ann, ben, _), articles = overlap
    assign_articles(articles=articles[:1], annotators=[ann, ben])
    assign_articles(articles=articles[1:2], annotators=[ann])
    Article.objects.update(needs_annotators=False)
    migration = importlib.import_module("annotate.migrations.0006_needs_annotators")
    with django_assert_num_queries(1):  # one UPDATE, whatever the number of articles
        migration.fill_needs_annotators(apps, None)
    assert_flags_right(project)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
def test_the_next_candidate_is_read_from_the_partial_index_past_the_full_articles(overlap):
    """300 full articles, done by ann and cy: cy's next is found without reading them or ann's assignments.

    Whether "had it before?" probes the (article, annotator) index per candidate or hashes cy's own
    assignments once is the planner's choice; either is bounded by cy's history, not the project.
    """
    project, (ann, ben, cy), _ = overlap
    full = [make_article(project) for _ in range(300)]
    assign_articles(articles=full, annotators=[ann, cy])
    Assignment.objects.filter(annotator=cy).update(status="submitted")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_article, annotate_assignment")
    plan = explain_queryset(next_candidates(project=project, user=cy)[:1], analyze=True)
    text = "\n".join(plan)
    article_reads = [line for line in plan if " on annotate_article" in line]
    assert article_reads and all("article_needs_annotators" in line for line in article_reads), text
    assert all(rows_of(line) <= 3 for line in article_reads), text  # the three free ones at most
    assignment_reads = [i for i, line in enumerate(plan) if " on annotate_assignment" in line]
    for i in assignment_reads:  # by annotator or by article, never all of the project's 600
        assert "annotator_id = " in plan[i + 1] or "article_id = " in plan[i + 1], text
        assert rows_of(plan[i]) <= 300, text
    assert "Aggregate" not in text, text  # no count of assignments per article



