"""Each layer item's shape is written once; every place that shows or stores an item agrees with it.

The API's shape (api/serializers/annotations.py: SPAN, RELATION, STANCE) drives the serializers and the
layer detail's fast path; the history's shape (services/history.py: STORED) drives the event states
and what a restore writes back.
"""
import pytest
from rest_framework import serializers as drf

from annotate.models import Relation, Span, Stance
from annotate.services import annotating
from annotate.services.history import STORED, column, stored_state
from annotate.services.importing import rows
from api.serializers.annotations import (
    RELATION,
    SPAN,
    STANCE,
    RelationSerializer,
    SpanSerializer,
    StanceSerializer,
    layer_items,
)
from api.views.annotations import RELATIONS, SPANS, STANCES

from .factories import make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db
TEXT = "Hassan Bellouan said 🌍 that “التعاون الدولي ضروري”. France backs the plan."
KINDS = [("spans", SpanSerializer, SPANS, SPAN), ("relations", RelationSerializer, RELATIONS, RELATION),
         ("stances", StanceSerializer, STANCES, STANCE)]


@pytest.fixture
def full_layer(project, annotator_a):
    layer = annotating.open_layer(assignment=make_assignment(make_article(project, text=TEXT), annotator_a))

    def span(label, fragment, **extra):
        start = TEXT.index(fragment)
        return annotating.add_span(annotation=layer, expected_version=layer.version, label=label, start=start,
                                   end=start + len(fragment), **extra)

    source = span("SOURCE", "Hassan Bellouan", entity=make_entity(project))
    quote = span("QUOTE", "التعاون الدولي ضروري", attributes={"quote_type": "direct"})
    france = span("SOURCE", "France")
    annotating.add_relation(annotation=layer, expected_version=layer.version, type="ATTRIBUTED_TO",
                            from_span=quote, to_span=source)
    annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=france, polarity="favor",
                          target="Moroccan sovereignty over Western Sahara", evidence=[quote, source])
    annotating.add_stance(annotation=layer, expected_version=layer.version, holder_entity=source.entity,
                          polarity="against", target="Moroccan sovereignty over Western Sahara", explicit=False)
    return layer


@pytest.mark.parametrize("key,serializer,rows,shape", KINDS)
def test_the_detail_fast_path_the_serializer_and_drf_agree(full_layer, key, serializer, rows, shape):
    objects = list(rows.filter(annotation=full_layer).order_by(*shape.order))
    assert objects
    by_serializer = [serializer(obj).data for obj in objects]
    by_drf = [dict(drf.ModelSerializer.to_representation(serializer(), obj)) for obj in objects]
    assert layer_items(full_layer.pk)[key] == by_serializer == by_drf
    assert all(list(item) == shape.keys == serializer.Meta.fields for item in by_serializer)


@pytest.mark.parametrize("model", [Span, Relation, Stance])
def test_the_history_state_holds_every_stored_field(full_layer, model):
    """A field the history left out would not come back with a restore."""
    fields = {f.name for f in model._meta.concrete_fields} - {"id", "annotation"}
    assert set(STORED[model]) == fields
    item = model.objects.filter(annotation=full_layer).first()
    assert set(stored_state(item)) == {"id", *fields}


@pytest.mark.parametrize("model,columns", [(Span, rows.SPAN_COLUMNS), (Relation, rows.RELATION_COLUMNS),
                                           (Stance, rows.STANCE_COLUMNS)])
def test_the_importers_raw_columns_are_the_stored_fields(model, columns):
    """The import writes every stored field but the client id (its fast path leaves it NULL, as for items
    older than client ids); a new field left out of the raw rows fails here, not silently in production."""
    wanted = {column(model, name) for name in STORED[model]} - {"client_id"}
    assert set(columns) - {"id", "annotation_id"} == wanted
