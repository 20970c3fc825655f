"""Split spans on the review page: each annotator's pieces side by side, a different split is a difference with
an Accept each, the text marks the pieces and not the gap, accepting into gold keeps the pieces, and the page's
query count does not grow with split spans."""
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.models import Span
from annotate.services import annotating
from annotate.services.review import start_gold

from .factories import make_article, make_assignment

pytestmark = pytest.mark.django_db

# "The plan," Bourita said, "is serious and credible." with an emoji before it and Arabic after it, so code
# points and UTF-16 positions differ: Python's offsets below.
TEXT = "🌍 “The plan,” Bourita said, “is serious and credible.” قال بوريطة إن الخطة جادة"
PLAN, SERIOUS, ARABIC = "“The plan,”", "“is serious and credible.”", "الخطة جادة"


def at(fragment: str) -> list[int]:
    start = TEXT.index(fragment)
    return [start, start + len(fragment)]


def layer_with(article, user, fragments):
    """A submitted layer holding one QUOTE made of `fragments`."""
    layer = annotating.open_layer(assignment=make_assignment(article, user))
    annotating.add_span(annotation=layer, expected_version=layer.version, label="QUOTE", fragments=fragments)
    layer.refresh_from_db()
    annotating.submit(annotation=layer, expected_version=layer.version)
    return layer


def review_page(user, article) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("review:article", args=[article.pk]))
    assert response.status_code == 200
    return response.content.decode()


def pieces_listed(html: str) -> list[list[tuple[int, int]]]:
    """Each cell's pieces as the page lists them, in table order."""
    return [[(int(a), int(b)) for a, b in re.findall(r'data-piece data-start="(\d+)" data-end="(\d+)"', block)]
            for block in re.findall(r'<ol class="pieces small" data-pieces.*?</ol>', html)]


def test_the_same_split_quote_shows_its_pieces_for_each_annotator_and_is_agreed(project, annotator_a, annotator_b,
                                                                                  reviewer):
    article = make_article(project, text=TEXT)
    quote = [at(PLAN), at(SERIOUS)]
    for user in (annotator_a, annotator_b):
        layer_with(article, user, quote)
    html = review_page(reviewer, article)
    assert at(PLAN) == [2, 13] and at(SERIOUS) == [28, 54]  # code points (the emoji is one), not UTF-16 units
    assert "““The plan,” … “is serious and credible.””" in html
    assert '<span class="muted small" data-offsets dir="ltr">2–13, 28–54</span>' in html
    assert pieces_listed(html) == [[(2, 13), (28, 54)], [(2, 13), (28, 54)]]  # anna's and ben's, side by side
    assert 'class="badge badge-agreed"' in html
    # The gap (" Bourita said, ") is not marked as part of the quote; the pieces are, by both annotators.
    assert re.search(r'<span class="seg[^"]*"[^>]*><span class="u u1"><span class="u u0">“The plan,”</span></span>'
                     r'</span> Bourita said, <span class="seg', html)


def test_a_different_split_of_one_quote_is_a_difference(project, annotator_a, annotator_b, reviewer):
    article = make_article(project, text=TEXT)
    layer_with(article, annotator_a, [at(PLAN), at(SERIOUS)])
    # ben marks the same outer bounds, the attribution inside the quote too: one piece.
    layer_with(article, annotator_b, [[at(PLAN)[0], at(SERIOUS)[1]]])
    html = review_page(reviewer, article)
    assert pieces_listed(html) == [[(2, 13), (28, 54)]]  # only anna's is split
    assert 'data-differs="1"' in html and 'data-differs="0"' not in html  # not agreed, however it is lined up


def test_accepting_a_split_quote_into_gold_keeps_its_pieces(project, annotator_a, annotator_b, reviewer):
    article = make_article(project, text=TEXT)
    anna = layer_with(article, annotator_a, [at(PLAN), at(SERIOUS)])
    layer_with(article, annotator_b, [at(ARABIC)])
    gold = start_gold(article=article, reviewer=reviewer)  # agreed items only: neither quote is
    assert not gold.spans.exists()
    html = review_page(reviewer, article)
    assert html.count("Accept</button>") == 2

    client = Client()
    client.force_login(reviewer)
    span = anna.spans.get()
    response = client.post(reverse("api:annotation-accept", args=[gold.pk]), {"kind": "span", "item_id": span.pk},
                           content_type="application/json", HTTP_IF_MATCH=str(gold.version))
    assert response.status_code in (200, 201), response.content
    copied = Span.objects.get(annotation=gold)
    assert copied.pieces == [(2, 13), (28, 54)]
    assert copied.text == f"{PLAN} {SERIOUS}" and (copied.start, copied.end) == (2, 54)
    html = review_page(reviewer, article)
    assert '<div class="small" data-gold-pieces>2–13, 28–54</div>' in html


def test_an_arabic_piece_is_listed_by_code_points_and_as_text(project, annotator_a, reviewer):
    article = make_article(project, text=TEXT)
    layer_with(article, annotator_a, [at(PLAN), at(ARABIC)])
    html = review_page(reviewer, article)
    assert pieces_listed(html) == [[(2, 13), tuple(at(ARABIC))]]
    start, end = at(ARABIC)
    assert f'<span dir="auto">{ARABIC}</span> <span class="muted" dir="ltr">{start}–{end}</span>' in html


def test_split_spans_cost_the_review_page_no_extra_queries(project, annotator_a, annotator_b, reviewer):
    def count(article) -> int:
        client = Client()
        client.force_login(reviewer)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("review:article", args=[article.pk])).status_code == 200
        return len(queries)

    plain = make_article(project, text=TEXT)
    for user in (annotator_a, annotator_b):
        layer_with(plain, user, [at(PLAN)])
    split = make_article(project, text=TEXT)
    for user in (annotator_a, annotator_b):
        layer_with(split, user, [at(PLAN), at(SERIOUS), at(ARABIC)])
    assert count(split) == count(plain)
