"""Taking the next article: never one you had, never beyond the project's overlap, safe under concurrency."""

import pytest
from django.db import connection
from django.urls import reverse

from annotate.models import Assignment, Membership
from annotate.services.assignments import take_next_article

from .factories import api_client, make_article, make_member, make_project, make_user, take_concurrently


@pytest.mark.django_db
def test_next_resumes_open_work_then_takes_new_articles_in_order(project, annotator_a):
    first, second = make_article(project), make_article(project)
    client = api_client(annotator_a)
    url = reverse("api:next-article", args=[project.slug])
    taken = client.post(url)
    assert taken.status_code == 201 and taken.json()["article"]["id"] == first.pk
    again = client.post(url)
    assert again.status_code == 200 and again.json()["id"] == taken.json()["id"]  # resume, don't hoard

    Assignment.objects.filter(pk=taken.json()["id"]).update(status="submitted")
    assert client.post(url).json()["article"]["id"] == second.pk
    Assignment.objects.filter(article=second).update(status="skipped", skip_reason="off topic")
    assert client.post(url).status_code == 204  # the skipped one is never handed back to her


@pytest.mark.django_db
def test_next_respects_the_overlap(annotator_a, annotator_b):
    project = make_project("overlap", annotators_per_article=2)
    third = make_user("cleo")
    for user in (annotator_a, annotator_b, third):
        Membership.objects.create(project=project, user=user, role="annotator")
    article = make_article(project)
    a, created_a = take_next_article(project=project, user=annotator_a)
    b, created_b = take_next_article(project=project, user=annotator_b)
    assert (a.article, b.article, created_a, created_b) == (article, article, True, True)
    assert take_next_article(project=project, user=third) == (None, False)


@pytest.mark.django_db
def test_next_is_for_members_only(project, outsider):
    assert api_client(outsider).post(reverse("api:next-article", args=[project.slug])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_never_overfill_an_article():
    """Eight annotators ask at once for five articles that each need two of them (PostgreSQL row locks)."""
    if connection.vendor != "postgresql":
        pytest.skip("row-level locking is PostgreSQL's; SQLite serialises writers with IMMEDIATE transactions")
    project = make_project("rush", annotators_per_article=2)
    users = [make_member(project, make_user(f"u{i}")) for i in range(8)]
    articles = [make_article(project) for _ in range(5)]
    results, errors = take_concurrently(project, users)
    assert errors == []
    per_article = {a.pk: Assignment.objects.filter(article=a).count() for a in articles}
    assert per_article == {a.pk: 2 for a in articles}  # all ten slots filled, none twice
    assert len(results) == len(set(results)) == 10
