"""Per-article paths must not touch the rest of the corpus: their queries reach a layer's rows by index.

On PostgreSQL the plan is read with sequential scans discouraged: every read of the span and stance
tables must then be bounded by the layer (an index condition on annotation_id). A join that walks the
whole table through another index, as the old "mentions OR held stances" query did, fails here at any
table size.
"""
import pytest
from django.db import connection

from annotate.models import Entity
from annotate.services import annotating

from .factories import make_article, make_assignment, make_entity, make_user
from .plans import explain_queryset

pytestmark = pytest.mark.django_db
TEXT = "France backs the plan, the minister said. Morocco agrees."


@pytest.fixture
def layers(project, annotator_a):
    """Anna's layer, mentioning France and giving Morocco a stance; another layer mentioning a third source."""
    layer = annotating.open_layer(assignment=make_assignment(make_article(project, text=TEXT), annotator_a))
    france, morocco, elsewhere = (make_entity(project, name) for name in ("France", "Morocco", "Elsewhere"))
    annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=6, entity=france)
    annotating.add_stance(annotation=layer, expected_version=2, holder_entity=morocco, polarity="favor",
                          target="Moroccan sovereignty over Western Sahara")
    other = annotating.open_layer(assignment=make_assignment(make_article(project, text=TEXT), make_user()))
    annotating.add_span(annotation=other, expected_version=1, label="SOURCE", start=0, end=6, entity=elsewhere)
    return layer


def test_a_layers_sources_are_those_it_mentions_or_gives_stances_to(layers):
    assert sorted(Entity.objects.of_layer(layers.pk).values_list("name", flat=True)) == ["France", "Morocco"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
def test_a_layers_sources_are_found_without_scanning_every_span(layers):
    plan = explain_queryset(Entity.objects.of_layer(layers.pk))
    for table in ("annotate_span", "annotate_stance"):
        assert reads_bounded_by_layer(plan, table), plan


def reads_bounded_by_layer(plan: list[str], table: str) -> bool:
    """Every plan node reading `table` has a condition on annotation_id (its own or its bitmap index's)."""
    reads = [
        i for i, line in enumerate(plan) if f" on {table} " in f"{line} " or line.rstrip().endswith(f" on {table}")
    ]
    if not reads:
        return False
    for i in reads:
        node = [plan[i]]
        for line in plan[i + 1:]:
            if "->" in line and "Bitmap Index Scan" not in line:
                break
            node.append(line)
        if not any("Cond:" in line and "annotation_id" in line for line in node):
            return False
    return True
