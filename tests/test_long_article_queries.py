"""Long articles (issue 16): the workspace page and the layer detail read the same number of queries
for a layer of 3,000 spans on a 100k-character article as for one of 10 spans."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from synthetic.long_article import make_long_layer

from .factories import api_client

pytestmark = pytest.mark.django_db

LONG, SHORT = 3000, 10


def queries_of(client, url) -> tuple[int, list]:
    """The queries of a second request (the first one also fills per-process caches)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries), [q["sql"] for q in queries]


@pytest.fixture
def layers(project, annotator_a):
    short = make_long_layer(project, annotator_a, n_spans=SHORT, n_chars=1_000)
    long = make_long_layer(project, annotator_a, n_spans=LONG)
    assert long[1].spans.count() == LONG and len(long[1].article.text) >= 100_000
    return short, long


def test_layer_detail_reads_3000_spans_in_the_queries_of_10(layers, annotator_a, django_assert_max_num_queries):
    client = api_client(annotator_a)
    (_, short), (_, long) = layers
    n, _ = queries_of(client, reverse("api:annotation-detail", args=[short.pk]))
    # token, the access check, the layer with article/project/annotator, spans, relations, stances, evidence
    with django_assert_max_num_queries(n):
        response = client.get(reverse("api:annotation-detail", args=[long.pk]))
    assert len(response.json()["spans"]) == LONG


def test_workspace_page_of_3000_spans_reads_the_queries_of_10(layers, annotator_a, client,
                                                              django_assert_max_num_queries):
    client.force_login(annotator_a)
    (short, _), (long, layer) = layers
    n, _ = queries_of(client, reverse("annotate:workspace", args=[short.pk]))
    with django_assert_max_num_queries(n):
        response = client.get(reverse("annotate:workspace", args=[long.pk]))
    spans = response.context["state"]["layer"]["spans"]
    assert len(spans) == LONG and len(response.context["state"]["layer"]["stances"]) == LONG // 5
