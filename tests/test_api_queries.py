"""Queries are a budget: lists and details run the same number of queries whatever their size."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .factories import api_client, make_entity, make_layer_with_spans

pytestmark = pytest.mark.django_db


def count_queries(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return len(queries), queries


def same_queries(small, large):
    (n_small, _), (n_large, queries) = small, large
    assert n_small == n_large, "\n".join(q["sql"] for q in queries)
    return n_large


def test_annotation_detail_is_constant_in_its_size(project, annotator_a):
    client = api_client(annotator_a)
    small, large = make_layer_with_spans(project, annotator_a, 4), make_layer_with_spans(project, annotator_a, 70)
    n = same_queries(count_queries(client, reverse("api:annotation-detail", args=[small.pk])),
                     count_queries(client, reverse("api:annotation-detail", args=[large.pk])))
    # token auth, access check, layer with article/project/annotator, spans, relations, stances, evidence
    assert n <= 8
    for name in ("api:span-list", "api:relation-list", "api:stance-list"):
        same_queries(count_queries(client, reverse(name, args=[small.pk])),
                     count_queries(client, reverse(name, args=[large.pk])))


@pytest.mark.parametrize("name,params", [
    ("api:annotation-list", {}), ("api:article-list", {}), ("api:assignment-list", {}), ("api:project-list", {}),
    ("api:article-list", {"search": "word1", "assignment_status": "in_progress"}),
])
def test_lists_are_constant_in_their_length(project, annotator_a, reviewer, name, params):
    client = api_client(reviewer)
    for _ in range(3):
        make_layer_with_spans(project, annotator_a, 3)
    small = count_queries(client, reverse(name), **params)
    for _ in range(12):
        make_layer_with_spans(project, annotator_a, 3)
    same_queries(small, count_queries(client, reverse(name), **params))


def test_entity_list_is_constant(project, annotator_a):
    client = api_client(annotator_a)
    url = reverse("api:entity-list", args=[project.slug])
    make_entity(project, "One")
    small = count_queries(client, url)
    for i in range(20):
        make_entity(project, f"Entity {i}")
    same_queries(small, count_queries(client, url))
