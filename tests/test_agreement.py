"""Agreement figures checked against values worked out by hand; 0/0 is null with its reason, never 1.0."""
import random

import krippendorff
import numpy as np
import pytest
import requests
import schemathesis
from django.urls import reverse

from annotate.agreement.alpha import label_units, nominal_alpha, weighted_nominal_alpha
from annotate.agreement.matching import match_overlap
from annotate.agreement.report import agreement_report, kappa
from annotate.agreement.scores import Counts, macro
from annotate.agreement.undefined import (
    NO_COMPARED_ITEMS,
    NO_ITEMS,
    NO_REFERENCE_ITEMS,
    ONE_CATEGORY,
    Undefined,
    as_json,
    mean,
)
from annotate.models import Annotation, Relation, Span, Stance
from annotate.services import figures

from .factories import api_client, make_article, make_entity, make_member, make_user

pytestmark = pytest.mark.django_db
TEXT = "0123456789abcdefghij"  # 20 characters; offsets are easy to read


def submitted_layer(article, user, spans=(), relations=(), stances=()):
    """spans: (label, start, end); relations: (type, i, j) by span index; stances: (holder entity, target, polarity)."""
    layer = Annotation.objects.create(article=article, annotator=user, status="submitted")
    project = article.project
    made = [Span.objects.create(annotation=layer, label=project.labels.get(name=label), start=s, end=e,
                                text=article.text[s:e]) for label, s, e in spans]
    for kind, i, j in relations:
        Relation.objects.create(annotation=layer, type=project.relation_types.get(name=kind),
                                from_span=made[i], to_span=made[j])
    for holder, target, polarity in stances:
        entity = project.entities.filter(name=holder).first() or make_entity(project, holder)
        Stance.objects.create(annotation=layer, holder_entity=entity, target=project.stance_targets.get(name=target),
                              polarity=project.polarities.get(name=polarity))
    return layer


T1 = "Moroccan sovereignty over Western Sahara"
T2 = "International cooperation against ISIS"


def test_identical_layers_agree_completely(project, annotator_a, annotator_b):
    article = make_article(project, text=TEXT)
    spans = [("CLAIM", 0, 10), ("SOURCE", 12, 15)]
    for user in (annotator_a, annotator_b):
        submitted_layer(article, user, spans, [("CLAIMED_BY", 0, 1)],
                        [("France", T1, "favor"), ("Spain", T2, "against")])
    report = agreement_report(project)
    assert report["spans"]["micro"]["exact"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 4}
    assert report["spans"]["per_label"]["CLAIM"]["overlap"]["f1"] == 1.0
    assert report["relations"]["exact"]["f1"] == 1.0
    assert report["spans"]["krippendorff_alpha"]["CLAIM"] == 1.0
    assert report["stances"]["krippendorff_alpha"] == 1.0
    assert report["stances"]["pairs"] == [{"a": "anna", "b": "ben", "cohen_kappa": 1.0, "items": 2}]


def test_disjoint_layers_share_nothing(project, annotator_a, annotator_b):
    article = make_article(project, text=TEXT)
    submitted_layer(article, annotator_a, [("CLAIM", 0, 5)])
    submitted_layer(article, annotator_b, [("CLAIM", 10, 15)])
    report = agreement_report(project)
    for mode in ("exact", "overlap"):
        assert report["spans"]["micro"][mode]["f1"] == 0.0
    # By hand: segments of 5 characters [A,B] = [1,0] [0,0] [0,1] [0,0]: o(in,out) = o(out,in) = 10,
    # o(out,out) = 20; n_out = 30, n_in = 10, n = 40; alpha = 1 - 39 * 20 / (2 * 30 * 10) = -0.3.
    assert report["spans"]["krippendorff_alpha"]["CLAIM"] == pytest.approx(-0.3)


def test_a_partial_case_worked_by_hand(project, annotator_a, annotator_b):
    article = make_article(project, text=TEXT)
    submitted_layer(article, annotator_a, [("CLAIM", 0, 10), ("SOURCE", 12, 15)], [("CLAIMED_BY", 0, 1)],
                    [("France", T1, "favor"), ("Spain", T1, "favor"), ("Israel", T1, "against"),
                     ("Algeria", T1, "neutral")])
    submitted_layer(article, annotator_b, [("CLAIM", 0, 8), ("SOURCE", 12, 15), ("QUOTE", 16, 18)],
                    [("CLAIMED_BY", 0, 1)],
                    [("France", T1, "favor"), ("Spain", T1, "against"), ("Israel", T1, "against"),
                     ("Algeria", T1, "neutral")])
    report = agreement_report(project)
    spans = report["spans"]
    # Exact: only SOURCE matches; A has 2 spans, B 3: P = 1/3, R = 1/2, F1 = 2 * 1 / 5.
    assert spans["micro"]["exact"] == {"precision": 0.333333, "recall": 0.5, "f1": 0.4, "support": 5}
    # Overlap: CLAIM [0,10) and [0,8) overlap too: P = 2/3, R = 1, F1 = 4/5.
    assert spans["micro"]["overlap"] == {"precision": 0.666667, "recall": 1.0, "f1": 0.8, "support": 5}
    assert spans["macro"]["exact"]["f1"] == pytest.approx(1 / 3, abs=1e-6)  # CLAIM 0, QUOTE 0, SOURCE 1
    # The relation's CLAIM end matches only under overlap.
    assert report["relations"]["exact"]["f1"] == 0.0 and report["relations"]["overlap"]["f1"] == 1.0
    # Stances: A = [f, f, a, n], B = [f, a, a, n]: p_o = 3/4, p_e = .5*.25 + .25*.5 + .25*.25 = .3125,
    # kappa = (.75 - .3125) / (1 - .3125) = 7/11.
    [pair] = report["stances"]["pairs"]
    assert (pair["items"], pair["cohen_kappa"]) == (4, pytest.approx(7 / 11, abs=1e-6))
    # Alpha: o_ff = 2, o_fa = o_af = 1, o_aa = 2, o_nn = 2; n_f = 3, n_a = 3, n_n = 2, n = 8;
    # alpha = 1 - 7 * 2 / (2 * (9 + 6 + 6)) = 2/3.
    assert report["stances"]["krippendorff_alpha"] == pytest.approx(2 / 3, abs=1e-6)
    assert report["pairs"][0]["articles"] == 1 and report["pairs"][0]["exact"]["f1"] == 0.4


def test_overlap_matching_is_one_to_one_largest_first():
    # a[0] overlaps b[0] by 2 and b[1] by 5; b[1] also overlaps a[1] by 1: the larger overlap wins.
    assert match_overlap([(0, 10), (9, 12)], [(0, 2), (5, 11)]) == {0: 1}


def test_weighted_alpha_equals_the_package_on_expanded_characters():
    rng = random.Random(4)
    for _ in range(20):
        length = rng.randint(10, 60)
        layers = []
        for _coder in range(rng.choice([2, 3])):
            ranges = []
            for _ in range(rng.randint(0, 3)):
                start = rng.randrange(length - 1)
                ranges.append((start, rng.randint(start + 1, length)))
            layers.append(ranges)
        ours = weighted_nominal_alpha(label_units(layers, length), 2)
        units_list = [(w, c) for c, w in label_units(layers, length).items()]
        assert weighted_nominal_alpha(units_list, 2) == ours  # both input forms agree
        data = np.array([[float(any(s <= c < e for s, e in ranges)) for c in range(length)] for ranges in layers])
        if len(np.unique(data)) < 2:
            assert ours == Undefined(ONE_CATEGORY)  # the package refuses one value too: alpha is 0/0
            continue
        assert ours == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def test_nominal_alpha_handles_missing_values():
    # Items 2 and 3 are coded once: only items 1 and 4 are pairable, and they agree.
    assert nominal_alpha([["f", None, "a", "a"], ["f", "a", None, "a"]]) == 1.0
    assert nominal_alpha([["f", None, "a"], ["f", "a", None]]) == Undefined(ONE_CATEGORY)  # only item 1 pairs
    assert nominal_alpha([[None], ["f"]]) == Undefined(NO_ITEMS)


# Undefined figures: null with a reason, never 1.0 ----------------------------------------------------------


def test_scores_with_nothing_on_either_side_are_undefined():
    assert Counts().as_dict() == {"precision": None, "recall": None, "f1": None, "support": 0,
                                  "undefined": dict.fromkeys(("precision", "recall", "f1"), NO_ITEMS)}


def test_scores_with_one_side_empty_are_zero_f1_and_an_undefined_ratio():
    # a has 3 items, b none: nothing was compared, so precision (0/0) has no value; missing all 3 is F1 0.
    assert Counts(0, 3, 0).as_dict() == {"precision": None, "recall": 0.0, "f1": 0.0, "support": 3,
                                         "undefined": {"precision": NO_COMPARED_ITEMS}}
    assert Counts(0, 0, 2).as_dict() == {"precision": 0.0, "recall": None, "f1": 0.0, "support": 2,
                                         "undefined": {"recall": NO_REFERENCE_ITEMS}}
    assert "undefined" not in Counts(1, 2, 2).as_dict()


def test_macro_skips_undefined_labels_and_is_undefined_with_none():
    assert macro({}) == {"precision": None, "recall": None, "f1": None,
                         "undefined": dict.fromkeys(("precision", "recall", "f1"), NO_ITEMS)}
    # QUOTE: nobody used it, it does not count as a perfect 1.0; SOURCE: only a marked some, no precision.
    scores = macro({"CLAIM": Counts(1, 2, 2), "QUOTE": Counts(), "SOURCE": Counts(0, 2, 0)})
    assert scores == {"precision": 0.5, "recall": 0.25, "f1": 0.25}
    assert macro({"SOURCE": Counts(0, 2, 0)})["undefined"] == {"precision": NO_COMPARED_ITEMS}


def test_mean_skips_undefined_and_keeps_a_shared_reason():
    assert mean([0.5, Undefined(NO_ITEMS), 1.0]) == 0.75
    assert mean([]) == Undefined(NO_ITEMS)
    assert mean([Undefined(ONE_CATEGORY), Undefined(ONE_CATEGORY)]) == Undefined(ONE_CATEGORY)
    assert mean([Undefined(ONE_CATEGORY), Undefined(NO_ITEMS)]) == Undefined(NO_ITEMS)


def test_as_json_puts_each_reason_beside_its_null():
    assert as_json(a="anna", cohen_kappa=Undefined(ONE_CATEGORY), items=3) == {
        "a": "anna", "cohen_kappa": None, "items": 3, "undefined": {"cohen_kappa": ONE_CATEGORY}}
    assert as_json(alpha={"CLAIM": 0.5, "QUOTE": Undefined(NO_ITEMS)}) == {
        "alpha": {"CLAIM": 0.5, "QUOTE": None}, "undefined": {"alpha": {"QUOTE": NO_ITEMS}}}
    assert as_json(f1=0.0) == {"f1": 0.0}


def test_alpha_is_undefined_without_pairable_values_or_with_one_category():
    assert nominal_alpha([[], []]) == Undefined(NO_ITEMS)
    assert nominal_alpha([["f", "f"], ["f", "f"]]) == Undefined(ONE_CATEGORY)
    assert weighted_nominal_alpha({}, 2) == Undefined(NO_ITEMS)
    assert weighted_nominal_alpha({(1, 0): 20}, 2) == Undefined(NO_ITEMS)  # coded once: nothing pairs
    # A label nobody marked: every character is "outside" for both coders.
    assert weighted_nominal_alpha(label_units([[], []], 20), 2) == Undefined(ONE_CATEGORY)


def test_kappa_is_undefined_without_items_or_with_one_category():
    assert kappa([], []) == Undefined(NO_ITEMS)
    assert kappa(["favor", "favor"], ["favor", "favor"]) == Undefined(ONE_CATEGORY)
    # One category each, but not the same: chance agreement is 0, kappa is defined (and 0).
    assert kappa(["favor", "favor"], ["against", "against"]) == 0.0


def test_a_report_with_nothing_to_compare_says_so(project, annotator_a, annotator_b):
    article = make_article(project, text=TEXT)
    for user in (annotator_a, annotator_b):
        submitted_layer(article, user, [("CLAIM", 0, 10)], stances=[("France", T1, "favor")])
    report = agreement_report(project)
    no_items = dict.fromkeys(("precision", "recall", "f1"), NO_ITEMS)
    # Nobody drew a relation: no relation agreement to speak of, not a perfect 1.0.
    assert report["relations"]["exact"] == {"precision": None, "recall": None, "f1": None, "support": 0,
                                            "undefined": no_items}
    # Both said favor on the one stance item: one category only, for alpha and for kappa alike.
    assert report["stances"]["krippendorff_alpha"] is None
    assert report["stances"]["undefined"] == {"krippendorff_alpha": ONE_CATEGORY}
    assert report["stances"]["pairs"] == [{"a": "anna", "b": "ben", "cohen_kappa": None, "items": 1,
                                           "undefined": {"cohen_kappa": ONE_CATEGORY}}]
    assert report["spans"]["micro"]["exact"]["f1"] == 1.0 and "undefined" not in report["spans"]


def test_an_empty_project_reports_no_items(project):
    report = agreement_report(project, labels=["CLAIM"])
    assert report["spans"]["per_label"]["CLAIM"]["exact"]["f1"] is None
    assert report["spans"]["macro"]["exact"]["undefined"]["f1"] == NO_ITEMS
    assert report["spans"]["krippendorff_alpha"] == {"CLAIM": None}
    assert report["spans"]["undefined"] == {"krippendorff_alpha": {"CLAIM": NO_ITEMS}}
    assert report["stances"]["krippendorff_alpha"] is None
    assert report["stances"]["undefined"] == {"krippendorff_alpha": NO_ITEMS}


def test_gold_stance_accuracy_without_shared_items_is_undefined(project, annotator_a):
    article = make_article(project, text=TEXT)
    submitted_layer(article, annotator_a, [("CLAIM", 0, 10)])
    gold = Annotation.objects.create(article=article, is_gold=True, status="adjudicated")
    Span.objects.create(annotation=gold, label=project.labels.get(name="CLAIM"), start=0, end=10, text=TEXT[:10])
    [row] = agreement_report(project)["gold"]
    assert row["stance_accuracy"] is None and row["undefined"] == {"stance_accuracy": NO_ITEMS}
    assert row["exact"]["f1"] == 1.0 and row["relations"]["exact"]["f1"] is None


def test_gold_is_the_reference_for_annotator_quality(project, annotator_a, annotator_b):
    article = make_article(project, text=TEXT)
    submitted_layer(article, annotator_a, [("CLAIM", 0, 10)], stances=[("France", T1, "favor")])
    submitted_layer(article, annotator_b, [("CLAIM", 0, 8)], stances=[("France", T1, "against")])
    gold = Annotation.objects.create(article=article, is_gold=True, status="adjudicated")
    Span.objects.create(annotation=gold, label=project.labels.get(name="CLAIM"), start=0, end=10, text=TEXT[:10])
    Stance.objects.create(annotation=gold, holder_entity=project.entities.get(name="France"),
                          target=project.stance_targets.get(name=T1), polarity=project.polarities.get(name="favor"))
    quality = {row["annotator"]: row for row in agreement_report(project)["gold"]}
    assert quality["anna"]["exact"]["f1"] == 1.0 and quality["anna"]["stance_accuracy"] == 1.0
    assert quality["ben"]["exact"]["f1"] == 0.0 and quality["ben"]["overlap"]["f1"] == 1.0
    assert quality["ben"]["stance_accuracy"] == 0.0


def test_filters_narrow_the_report(project, annotator_a, annotator_b):
    third = make_member(project, make_user("cleo"))
    article = make_article(project, text=TEXT)
    for user in (annotator_a, annotator_b, third):
        submitted_layer(article, user, [("CLAIM", 0, 10), ("SOURCE", 12, 15)])
    report = agreement_report(project, annotators=["anna", "cleo"], labels=["SOURCE"])
    assert report["annotators"] == ["anna", "cleo"]
    assert list(report["spans"]["per_label"]) == ["SOURCE"]
    assert [(p["a"], p["b"]) for p in report["pairs"]] == [("anna", "cleo")]


def agreement_schema(client):
    """The live OpenAPI schema's agreement operation, to check answers against."""
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return schemathesis.openapi.from_dict(schema)["/api/v1/projects/{slug}/agreement/"]["GET"]


def conforms(operation, response) -> None:
    """Raises unless the Django test response matches the operation's documented 200 answer."""
    request = requests.Request("GET", "http://testserver" + response.wsgi_request.get_full_path()).prepare()
    operation.validate_response(schemathesis.Response(
        status_code=response.status_code, headers={"content-type": [response["Content-Type"]]},
        content=response.content, request=request, elapsed=0.0, verify=True))


def test_a_label_nobody_used_is_null_in_the_api_not_perfect(project, annotator_a, annotator_b, reviewer, client):
    article = make_article(project, text=TEXT)
    submitted_layer(article, annotator_a, [("CLAIM", 0, 10)], stances=[("France", T1, "favor")])
    submitted_layer(article, annotator_b, [("CLAIM", 0, 8)], stances=[("France", T1, "favor")])
    url = reverse("api:agreement", args=[project.slug])
    response = api_client(reviewer).get(url, {"labels": "CLAIM,QUOTE"})
    body = response.json()
    quote = body["spans"]["per_label"]["QUOTE"]
    for mode in ("exact", "overlap"):
        assert quote[mode] == {"precision": None, "recall": None, "f1": None, "support": 0,
                               "undefined": {"precision": "no items", "recall": "no items", "f1": "no items"}}
    assert body["spans"]["krippendorff_alpha"]["QUOTE"] is None
    assert body["spans"]["undefined"] == {"krippendorff_alpha": {"QUOTE": "one category only"}}
    # CLAIM is used: segments 8 (both in), 2 (one), 10 (none) give alpha = 1 - 39 * 4 / (2 * 18 * 22).
    assert body["spans"]["krippendorff_alpha"]["CLAIM"] == pytest.approx(1 - 156 / 792, abs=1e-6)
    # The macro mean skips QUOTE instead of counting it as a perfect 1.0: exact CLAIM F1 is 0.
    assert body["spans"]["macro"]["exact"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert body["pairs"][0]["per_label"]["QUOTE"]["exact"]["f1"] is None
    assert body["relations"]["exact"]["undefined"]["f1"] == "no items"
    assert body["stances"]["pairs"][0]["undefined"] == {"cohen_kappa": "one category only"}
    conforms(agreement_schema(client), response)  # nulls and reasons are what the OpenAPI schema says


def test_the_schema_marks_undefined_figures_nullable(client):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    for name, fields in (("AgreementScores", ("precision", "recall", "f1")),
                         ("AgreementStancePair", ("cohen_kappa",)), ("AgreementStances", ("krippendorff_alpha",)),
                         ("AgreementGold", ("stance_accuracy",))):
        for field in fields:
            assert components[name]["properties"][field]["nullable"] is True, (name, field)
        assert "undefined" in components[name]["properties"] and "undefined" not in components[name]["required"]
    assert components["AgreementSpans"]["properties"]["krippendorff_alpha"]["additionalProperties"]["nullable"]
    assert set(components["UndefinedReasonEnum"]["enum"]) == {
        NO_ITEMS, NO_COMPARED_ITEMS, NO_REFERENCE_ITEMS, ONE_CATEGORY}


def test_the_agreement_endpoint_runs_a_fixed_number_of_queries(project, annotator_a, annotator_b, reviewer,
                                                               django_assert_max_num_queries):
    for _ in range(5):
        article = make_article(project, text=TEXT)
        for user in (annotator_a, annotator_b):
            submitted_layer(article, user, [("CLAIM", 0, 10), ("SOURCE", 12, 15)], [("CLAIMED_BY", 0, 1)],
                            [("France", T1, "favor")])
    client = api_client(reviewer)
    url = reverse("api:agreement", args=[project.slug])
    figures.settle(project)  # written without a service: counted first
    # Token and user (1), project (1), role (1), then the project's labels, none stale, the kept totals and
    # the annotators' names (4).
    with django_assert_max_num_queries(7):
        assert client.get(url).status_code == 200


def test_agreement_endpoint_shape_and_permissions(project, annotator_a, annotator_b, reviewer, outsider):
    article = make_article(project, text=TEXT)
    submitted_layer(article, annotator_a, [("CLAIM", 0, 10)])
    submitted_layer(article, annotator_b, [("CLAIM", 0, 10)])
    url = reverse("api:agreement", args=[project.slug])
    body = api_client(reviewer).get(url, {"annotators": "anna,ben", "labels": "CLAIM"}).json()
    assert set(body) >= {"spans", "relations", "stances", "pairs"}
    assert body["spans"]["per_label"]["CLAIM"]["exact"]["f1"] == 1.0
    assert body["pairs"][0]["a"] == "anna" and body["stances"]["items"] == 0
    assert api_client(annotator_a).get(url).status_code == 403
    assert api_client(outsider).get(url).status_code == 404
    assert api_client().get(url).status_code == 401
    assert api_client(reviewer).get(url, {"articles": "x"}).status_code == 400
