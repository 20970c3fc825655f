"""Discontinuous spans in review and agreement: a span's pieces are part of what it says.

Review lines items up by key, so one quote split the same way by two annotators is one agreed item and a
different split is two. Agreement: exact = the same pieces; overlap = a shared character of the pieces
(the gap of a split quote is no part of it). The report from the layers and the one from the kept
per-article totals (tally.py) agree.
"""
import pytest

from annotate import dashboards
from annotate.agreement.matching import match_exact, match_overlap, shared_characters
from annotate.agreement.report import agreement_report
from annotate.models import Span
from annotate.review import differences, layers_of, span_key
from annotate.services import annotating
from annotate.services.review import accept_item, start_gold

from .factories import make_article, make_assignment

pytestmark = pytest.mark.django_db

TEXT = "🌍 “The plan,” Bourita said, “is serious and credible.” قال بوريطة إن الخطة جادة"


def at(fragment: str) -> list[int]:
    start = TEXT.index(fragment)
    return [start, start + len(fragment)]


PLAN, SERIOUS, ARABIC = at("The plan,"), at("is serious and credible."), at("الخطة جادة")
WHOLE = [PLAN[0], SERIOUS[1]]  # the same outer bounds, the attribution inside: one piece


# Matching -------------------------------------------------------------------------------------------------------


def test_exact_means_the_same_pieces():
    split, whole = (tuple(PLAN), tuple(SERIOUS)), tuple(WHOLE)
    assert match_exact([split], [split]) == {0: 0}
    assert match_exact([split], [whole]) == {}
    assert match_exact([whole], [(tuple(WHOLE),)]) == {0: 0}  # (start, end) is the one-piece span


def test_overlap_counts_the_characters_of_the_pieces_not_the_gap():
    split = (tuple(PLAN), tuple(SERIOUS))
    in_the_gap = (PLAN[1] + 2, SERIOUS[0] - 2)  # " Bourita said," lies inside the outer bounds only
    assert shared_characters(split, (in_the_gap,)) == 0
    assert match_overlap([split], [in_the_gap]) == {}
    assert shared_characters(split, (tuple(WHOLE),)) == (PLAN[1] - PLAN[0]) + (SERIOUS[1] - SERIOUS[0])
    assert match_overlap([split], [tuple(WHOLE)]) == {0: 0}
    # One-to-one, the larger share first: the split quote goes to the span sharing its second piece.
    assert match_overlap([split], [tuple(PLAN), tuple(SERIOUS)]) == {0: 1}


# Review ---------------------------------------------------------------------------------------------------------


def submitted(article, user, *shapes, label="QUOTE"):
    layer = annotating.open_layer(assignment=make_assignment(article, user))
    for fragments in shapes:
        annotating.add_span(annotation=layer, expected_version=layer.version, label=label, fragments=fragments)
    layer.refresh_from_db()
    return annotating.submit(annotation=layer, expected_version=layer.version)


def test_the_same_split_is_one_agreed_item_and_a_different_split_two(project, annotator_a, annotator_b):
    same = make_article(project, text=TEXT)
    submitted(same, annotator_a, [PLAN, SERIOUS])
    submitted(same, annotator_b, [PLAN, SERIOUS])
    diff = differences(*layers_of(same))
    (key,) = diff["items"]["span"]
    assert key == ("QUOTE", PLAN[0], SERIOUS[1], (tuple(PLAN), tuple(SERIOUS)))
    assert diff["state"]["span"][key] == "agreed"

    split = make_article(project, text=TEXT)
    submitted(split, annotator_a, [PLAN, SERIOUS])
    submitted(split, annotator_b, [WHOLE])
    diff = differences(*layers_of(split))
    assert sorted(diff["items"]["span"]) == [("QUOTE", *WHOLE), ("QUOTE", *WHOLE, (tuple(PLAN), tuple(SERIOUS)))]
    assert set(diff["state"]["span"].values()) == {"partial"}


def test_gold_copies_agreed_pieces_and_an_accepted_flagged_span_keeps_its_flag(project, annotator_a, annotator_b,
                                                                                reviewer):
    article = make_article(project, text=TEXT)
    anna = submitted(article, annotator_a, [PLAN, SERIOUS], [ARABIC])
    submitted(article, annotator_b, [PLAN, SERIOUS])
    gold = start_gold(article=article, reviewer=reviewer)
    (copied,) = gold.spans.all()
    assert copied.pieces == [tuple(PLAN), tuple(SERIOUS)] and copied.text == "The plan, is serious and credible."
    assert copied.provenance == ["anna", "ben"]
    assert span_key(copied) == span_key(anna.spans.get(start=PLAN[0]))
    flagged = anna.spans.get(start=ARABIC[0])
    Span.objects.filter(pk=flagged.pk).update(needs_review=True)
    accepted = accept_item(gold=gold, expected_version=gold.version, kind="span", item_id=flagged.pk,
                           actor=reviewer)
    assert accepted.needs_review and accepted.fragments is None


# Agreement ------------------------------------------------------------------------------------------------------


def test_agreement_exact_needs_the_same_split_and_overlap_the_same_characters(project, annotator_a, annotator_b):
    same, differently = make_article(project, text=TEXT), make_article(project, text=TEXT)
    submitted(same, annotator_a, [PLAN, SERIOUS])
    submitted(same, annotator_b, [PLAN, SERIOUS])
    submitted(differently, annotator_a, [PLAN, SERIOUS])
    submitted(differently, annotator_b, [WHOLE])
    report = agreement_report(project)
    quote = report["spans"]["per_label"]["QUOTE"]
    assert quote["exact"]["f1"] == 0.5 and quote["overlap"]["f1"] == 1.0  # one of two quotes split alike
    assert dashboards.agreement(project) == report  # the kept per-article totals count pieces alike


def test_the_character_alpha_leaves_a_split_quotes_gap_uncovered(project, annotator_a, annotator_b):
    article = make_article(project, text=TEXT)
    submitted(article, annotator_a, [PLAN, SERIOUS])
    submitted(article, annotator_b, [PLAN, SERIOUS])
    # Both split the quote the same way: every character, the gap too, is agreed on.
    assert agreement_report(project)["spans"]["krippendorff_alpha"]["QUOTE"] == 1.0
    other = make_article(project, text=TEXT)
    submitted(other, annotator_a, [PLAN, SERIOUS])
    submitted(other, annotator_b, [WHOLE])
    report = agreement_report(project)
    assert report["spans"]["krippendorff_alpha"]["QUOTE"] < 1.0  # the gap is where they differ
    assert dashboards.agreement(project) == report
