"""Random sequences of writes, retries and restores keep the layer equal to what was intended.

Hypothesis drives the service layer with creates, changes and deletes of
spans and stances, each possibly retried as a page whose reply was lost would
(same client id, same old version), and restores to earlier versions. A plain
model of the intended layer is kept beside it. After every step the stored
layer equals the model with no duplicates, and at the end every version the
layer went through restores to exactly what it was.
"""
import uuid

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.models import Annotation, Span, Stance
from annotate.services import annotating
from annotate.services.restoring import restore
from synthetic.corpus import TARGETS

from .factories import make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db

TEXT = "Bellouan said 🌍 that “التعاون ضروري”. France backs the plan."
LABELS = ["CLAIM", "SOURCE", "CUE"]

spans = st.tuples(st.integers(0, len(TEXT) - 1), st.integers(1, 12)).map(
    lambda pair: (pair[0], min(len(TEXT), pair[0] + pair[1])))
steps = st.one_of(
    st.tuples(st.just("add_span"), st.sampled_from(LABELS), spans, st.booleans()),
    st.tuples(st.just("relabel"), st.integers(0, 50), st.sampled_from(LABELS), st.booleans()),
    st.tuples(st.just("delete_span"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("add_stance"), st.lists(st.integers(0, 50), max_size=3), st.booleans()),
    st.tuples(st.just("set_evidence"), st.integers(0, 50), st.lists(st.integers(0, 50), max_size=3), st.booleans()),
    st.tuples(st.just("delete_stance"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("restore"), st.integers(0, 50)),
)


class Model:
    """The intended layer: spans by client id -> (label, start, end); stances by client id -> evidence ids."""

    def __init__(self):
        self.spans: dict[str, tuple] = {}
        self.stances: dict[str, frozenset] = {}

    def snapshot(self):
        return dict(self.spans), dict(self.stances)

    def load(self, snapshot):
        self.spans, self.stances = dict(snapshot[0]), dict(snapshot[1])


def stored(layer) -> tuple[dict, dict]:
    spans = Span.objects.filter(annotation_id=layer.pk)
    span_rows = list(spans.values_list("client_id", "label__name", "start", "end"))
    client_ids = [str(row[0]) for row in span_rows]
    assert len(client_ids) == len(set(client_ids)), "a span is stored twice"
    by_pk = dict(spans.values_list("pk", "client_id"))
    stances = {}
    for stance in Stance.objects.filter(annotation_id=layer.pk).prefetch_related("evidence"):
        assert str(stance.client_id) not in stances, "a stance is stored twice"
        stances[str(stance.client_id)] = frozenset(str(by_pk[span.pk]) for span in stance.evidence.all())
    return {str(c): (label, start, end) for c, label, start, end in span_rows}, stances


def pick(items, index):
    keys = sorted(items)
    return keys[index % len(keys)] if keys else None


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=12))
def test_random_writes_retries_and_restores_keep_the_layer_as_intended(project, annotator_a, script):
    layer = annotating.open_layer(assignment=make_assignment(make_article(project, text=TEXT), annotator_a))
    holder = make_entity(project, f"France {uuid.uuid4()}")
    model = Model()
    versions = {1: model.snapshot()}  # the layer's version -> what it held then

    def version():
        layer.refresh_from_db(fields=["version"])
        return layer.version

    def span_of(client_id):
        return Span.objects.get(annotation_id=layer.pk, client_id=client_id)

    for step in script:
        kind, before = step[0], version()
        if kind == "add_span":
            _, label, (start, end), retry = step
            client_id = str(uuid.uuid4())
            made = annotating.add_span(annotation=layer, expected_version=before, label=label, start=start,
                                       end=end, client_id=client_id)
            model.spans[client_id] = (label, start, end)
            if retry:
                again = annotating.add_span(annotation=Annotation.objects.get(pk=layer.pk), expected_version=before,
                                            label=label, start=start, end=end, client_id=client_id)
                assert again.pk == made.pk and again.replayed
        elif kind == "relabel":
            _, index, label, retry = step
            if (client_id := pick(model.spans, index)) is None:
                continue
            annotating.update_span(span=span_of(client_id), expected_version=before, label=label)
            model.spans[client_id] = (label, *model.spans[client_id][1:])
            if retry:
                again = annotating.update_span(span=span_of(client_id), expected_version=before, label=label)
                assert again.replayed
        elif kind == "delete_span":
            _, index, retry = step
            if (client_id := pick(model.spans, index)) is None:
                continue
            span = span_of(client_id)
            pk = span.pk  # delete() forgets it
            annotating.delete_span(span=span, expected_version=before)
            del model.spans[client_id]
            model.stances = {c: evidence - {client_id} for c, evidence in model.stances.items()}
            if retry:
                assert annotating.deleted_before(annotation=layer, model=Span, item_id=pk,
                                                 expected_version=before) == before + 1
        elif kind == "add_stance":
            _, indexes, retry = step
            evidence = {pick(model.spans, i) for i in indexes} - {None}
            client_id = str(uuid.uuid4())
            fields = dict(holder_entity=holder, target=TARGETS[0], polarity="favor", client_id=client_id,
                          evidence=[span_of(c) for c in evidence])
            made = annotating.add_stance(annotation=layer, expected_version=before, **fields)
            model.stances[client_id] = frozenset(evidence)
            if retry:
                again = annotating.add_stance(annotation=Annotation.objects.get(pk=layer.pk),
                                              expected_version=before, **fields)
                assert again.pk == made.pk
        elif kind == "set_evidence":
            _, index, indexes, retry = step
            if (client_id := pick(model.stances, index)) is None:
                continue
            evidence = {pick(model.spans, i) for i in indexes} - {None}
            stance = Stance.objects.get(annotation_id=layer.pk, client_id=client_id)
            annotating.update_stance(stance=stance, expected_version=before, evidence=[span_of(c) for c in evidence])
            model.stances[client_id] = frozenset(evidence)
            if retry:
                stance = Stance.objects.get(annotation_id=layer.pk, client_id=client_id)
                again = annotating.update_stance(stance=stance, expected_version=before,
                                                 evidence=[span_of(c) for c in evidence])
                assert again.replayed
        elif kind == "delete_stance":
            _, index, retry = step
            if (client_id := pick(model.stances, index)) is None:
                continue
            stance = Stance.objects.get(annotation_id=layer.pk, client_id=client_id)
            pk = stance.pk
            annotating.delete_stance(stance=stance, expected_version=before)
            del model.stances[client_id]
            if retry:
                assert annotating.deleted_before(annotation=layer, model=Stance, item_id=pk,
                                                 expected_version=before) == before + 1
        elif kind == "restore":
            earlier = sorted(v for v in versions if v < before)
            if not earlier:
                continue
            target = earlier[step[1] % len(earlier)]
            restore(annotation=layer, version=target, expected_version=before)
            model.load(versions[target])
        after = version()
        assert after >= before
        versions[after] = model.snapshot()
        assert stored(layer) == model.snapshot(), f"after {step}"

    # Every version the layer went through comes back exactly. Each restore is tried from the final state
    # and rolled back, so that one check's restore is not part of the next one's history.
    final = version()
    for target in sorted(v for v in versions if v < final):
        with pytest.raises(RolledBack), transaction.atomic():
            restore(annotation=Annotation.objects.get(pk=layer.pk), version=target, expected_version=final)
            assert stored(layer) == versions[target], f"restoring version {target}"
            raise RolledBack


class RolledBack(Exception):
    pass
