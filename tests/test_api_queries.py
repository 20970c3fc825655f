"""Queries are a budget: lists and details run the same number of queries whatever their size."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.services import annotating

from .factories import api_client, make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db


def count_queries(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return len(queries), queries


def layer_with(project, user, n_spans):
    text = " ".join(f"word{i}" for i in range(n_spans + 2))
    assignment = make_assignment(make_article(project, text=text), user)
    layer = annotating.open_layer(assignment=assignment)
    entity = make_entity(project, f"Source {layer.pk}")
    spans, position = [], 0
    for i in range(n_spans):
        word = f"word{i}"
        start = text.index(word, position)
        position = start + len(word)
        spans.append(annotating.add_span(annotation=layer, expected_version=layer.version, label="SOURCE",
                                         start=start, end=position, entity=entity if i % 2 else None))
    for i in range(0, n_spans - 1, 2):
        claim = annotating.update_span(span=spans[i], expected_version=layer.version, label="CLAIM")
        annotating.add_relation(annotation=layer, expected_version=layer.version, type="CLAIMED_BY",
                                from_span=claim, to_span=spans[i + 1])
        annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=spans[i + 1],
                              target="Moroccan sovereignty over Western Sahara", polarity="favor",
                              evidence=[spans[i]])
    return layer


def same_queries(small, large):
    (n_small, _), (n_large, queries) = small, large
    assert n_small == n_large, "\n".join(q["sql"] for q in queries)
    return n_large


def test_annotation_detail_is_constant_in_its_size(project, annotator_a):
    client = api_client(annotator_a)
    small, large = layer_with(project, annotator_a, 4), layer_with(project, annotator_a, 70)
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
        layer_with(project, annotator_a, 3)
    small = count_queries(client, reverse(name), **params)
    for _ in range(12):
        layer_with(project, annotator_a, 3)
    same_queries(small, count_queries(client, reverse(name), **params))


def test_entity_list_is_constant(project, annotator_a):
    client = api_client(annotator_a)
    url = reverse("api:entity-list", args=[project.slug])
    make_entity(project, "One")
    small = count_queries(client, url)
    for i in range(20):
        make_entity(project, f"Entity {i}")
    same_queries(small, count_queries(client, url))
