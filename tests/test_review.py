"""Reviewing: differences between layers, building gold with provenance, sending back, merging sources."""
import pytest
from django.core.exceptions import ValidationError

from annotate.models import Annotation, Assignment, Entity, Relation, Span, Stance
from annotate.review import differences, layers_of
from annotate.services import annotating
from annotate.services.review import accept_item, adjudicate, merge_entities, return_to_annotator, start_gold

from .factories import make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db
TEXT = "Bellouan said the plan works. France backs the plan."
T1 = "Moroccan sovereignty over Western Sahara"


def layer_for(article, user, build):
    """An annotator's submitted layer, built through the same services the API uses."""
    layer = annotating.open_layer(assignment=make_assignment(article, user))
    build(layer)
    annotating.submit(annotation=layer, expected_version=layer.version)
    layer.refresh_from_db()
    return layer


def span(layer, label, fragment, **extra):
    start = TEXT.index(fragment)
    return annotating.add_span(annotation=layer, expected_version=layer.version, label=label, start=start,
                               end=start + len(fragment), **extra)


@pytest.fixture
def article(project):
    return make_article(project, text=TEXT)


@pytest.fixture
def two_layers(project, article, annotator_a, annotator_b):
    bellouan = make_entity(project, "Hassan Bellouan")

    def anna(layer):
        source = span(layer, "SOURCE", "Bellouan", entity=bellouan)
        quote = span(layer, "QUOTE", "the plan works")
        annotating.add_relation(annotation=layer, expected_version=layer.version, type="ATTRIBUTED_TO",
                                from_span=quote, to_span=source)
        france = span(layer, "SOURCE", "France")
        evidence = span(layer, "STANCE_EVIDENCE", "backs the plan")
        annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=france, target=T1,
                              polarity="favor", evidence=[evidence])

    def ben(layer):
        source = span(layer, "SOURCE", "Bellouan")  # no entity link
        quote = span(layer, "QUOTE", "the plan")  # shorter quote
        annotating.add_relation(annotation=layer, expected_version=layer.version, type="ATTRIBUTED_TO",
                                from_span=quote, to_span=source)
        france = span(layer, "SOURCE", "France")
        evidence = span(layer, "STANCE_EVIDENCE", "backs the plan")
        span(layer, "CLAIM", "backs the plan")  # same range, another label
        annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=france, target=T1,
                              polarity="against", evidence=[evidence])

    return layer_for(article, annotator_a, anna), layer_for(article, annotator_b, ben)


def test_differences_show_every_kind_of_disagreement(article, two_layers):
    layers, gold = layers_of(article)
    diff = differences(layers, gold)
    assert diff["annotators"] == ["anna", "ben"]
    spans = diff["state"]["span"]
    assert spans[("SOURCE", 0, 8)] == "agreed" and spans[("QUOTE", 14, 28)] == "partial"
    start = TEXT.index("backs the plan")
    assert diff["label_conflicts"] == {(start, start + 14): ["CLAIM", "STANCE_EVIDENCE"]}
    assert diff["boundary_conflicts"] == [(("QUOTE", 14, 22), ("QUOTE", 14, 28))]
    assert diff["entity_conflicts"] == [("SOURCE", 0, 8)]
    assert diff["polarity_conflicts"] == [(("span", "SOURCE", 30, 36), T1)]


def test_gold_from_agreed_items_only(article, two_layers, reviewer):
    gold = start_gold(article=article, reviewer=reviewer)
    spans = {(s.label.name, s.start, s.end): s.provenance for s in gold.spans.select_related("label")}
    start = TEXT.index("backs the plan")
    assert spans == {("SOURCE", 0, 8): ["anna", "ben"], ("SOURCE", 30, 36): ["anna", "ben"],
                     ("STANCE_EVIDENCE", start, start + 14): ["anna", "ben"]}
    assert not gold.relations.exists() and not gold.stances.exists()  # quote bounds and polarity differ
    assert gold.reviewer == reviewer and gold.status == "in_progress"
    with pytest.raises(ValidationError):
        start_gold(article=article, reviewer=reviewer)


def test_gold_from_one_layer_then_accepting_items_keeps_provenance(article, two_layers, reviewer):
    anna, ben = two_layers
    gold = start_gold(article=article, reviewer=reviewer, source=anna)
    assert gold.spans.count() == anna.spans.count() and gold.relations.count() == 1
    stance = gold.stances.get()
    assert stance.polarity.name == "favor" and stance.provenance == ["anna", "ben"]  # both had the item
    assert gold.spans.get(label__name="QUOTE").provenance == ["anna"]

    ben_relation = ben.relations.get()
    accept_item(gold=gold, expected_version=gold.version, kind="relation", item_id=ben_relation.pk)
    copied = gold.relations.get(from_span__end=22)
    assert copied.provenance == ["ben"] and copied.from_span.provenance == ["ben"]  # its quote came along
    with pytest.raises(ValidationError):
        accept_item(gold=gold, expected_version=gold.version, kind="span", item_id=10**9)

    final = adjudicate(gold=gold, expected_version=gold.version, reviewer=reviewer)
    assert final.status == "adjudicated" and final.submitted_at is not None


def test_stale_gold_versions_are_refused(article, two_layers, reviewer):
    gold = start_gold(article=article, reviewer=reviewer)
    with pytest.raises(annotating.StaleVersion):
        adjudicate(gold=gold, expected_version=gold.version + 5, reviewer=reviewer)


def test_sending_back_reopens_the_layer_with_a_comment(article, two_layers, reviewer):
    anna, _ = two_layers
    with pytest.raises(ValidationError):
        return_to_annotator(annotation=anna, reviewer=reviewer, comment=" ")
    returned = return_to_annotator(annotation=anna, reviewer=reviewer, comment="Link the quote to its cue.")
    assert returned.status == "returned" and returned.review_comment == "Link the quote to its cue."
    assert Assignment.objects.get(annotator=anna.annotator, article=article).status == "in_progress"
    span(returned, "CUE", "said")  # editable again
    annotating.submit(annotation=returned, expected_version=returned.version)
    assert Annotation.objects.get(pk=anna.pk).status == "submitted"


def test_merging_two_sources_moves_every_link(project, article, two_layers):
    anna, ben = two_layers
    keep = Entity.objects.get(name="Hassan Bellouan")
    analyst = make_entity(project, "the political analyst", aliases=["the analyst"])
    Span.objects.filter(annotation=ben, label__name="SOURCE", start=0).update(entity=analyst)
    Stance.objects.filter(annotation=ben).update(holder_entity=analyst)
    before = Annotation.objects.get(pk=ben.pk).version
    merge_entities(keep=keep, absorb=analyst)
    keep.refresh_from_db()
    assert keep.aliases == ["the political analyst", "the analyst"]
    assert not Entity.objects.filter(name="the political analyst").exists()
    assert Span.objects.filter(entity=keep).count() == 2
    assert Stance.objects.get(annotation=ben).holder_entity == keep
    assert Annotation.objects.get(pk=ben.pk).version == before + 1
    with pytest.raises(ValidationError):
        merge_entities(keep=keep, absorb=keep)
    assert Relation.objects.count() == 2


def test_two_stances_of_one_holder_on_one_target_are_both_kept(project, article, annotator_a, reviewer):
    def build(layer):
        holder = span(layer, "SOURCE", "France")
        first = span(layer, "STANCE_EVIDENCE", "backs the plan")
        second = span(layer, "CLAIM", "the plan works")
        for evidence, polarity in ((first, "favor"), (second, "neutral")):
            annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=holder, target=T1,
                                  polarity=polarity, evidence=[evidence])

    layer = layer_for(article, annotator_a, build)
    gold = start_gold(article=article, reviewer=reviewer, source=layer)
    assert sorted(gold.stances.values_list("polarity__name", flat=True)) == ["favor", "neutral"]
