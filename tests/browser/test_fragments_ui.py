"""Split quotes in a real browser: a QUOTE extended by a second and third piece with Alt + its key (over text
after an emoji, and Arabic), the pieces in the API as code points after a reload, undo and redo, a piece removed
in the inspector, and a stale write of pieces offered again and re-applied."""
import pytest

from annotate.models import Assignment, Span

from ..factories import make_article
from .helpers import click_text, drag_select, session_cookie, wait_saved
from .test_workspace import annotator, label_selection, open_workspace  # noqa: F401 - the persona fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# "The plan," Bourita said, "is serious and credible." after an emoji (one code point, two UTF-16 units),
# and an Arabic paragraph (read right to left).
TEXT = ("🌍 “The plan,” Bourita said, “is serious and credible.”\n\n"
        "قال بوريطة إن الخطة جادة وذات مصداقية")
PLAN, SERIOUS, ARABIC = "“The plan,”", "“is serious and credible.”", "الخطة جادة"


def at(fragment: str) -> list[int]:
    """Python's code point offsets of `fragment` in TEXT."""
    start = TEXT.index(fragment)
    return [start, start + len(fragment)]


def api_fragments(page, layer_id: int) -> list:
    """The spans' fragments as the API answers them to this page's session."""
    response = page.request.get(f"/api/v1/annotations/{layer_id}/")
    assert response.ok, response.text()
    return [span["fragments"] for span in response.json()["spans"] if span["label"] == "QUOTE"]


def add_piece(page, fragment: str, **kwargs):
    """Select more text and press Alt with the selected QUOTE's key."""
    drag_select(page, fragment, **kwargs)
    page.keyboard.press("Alt+q")
    wait_saved(page)


@pytest.fixture
def workspace(context, live_server, annotator):  # noqa: F811 - the persona fixture imported above
    article = make_article(annotator.memberships.get().project, text=TEXT)
    assignment = Assignment.objects.create(article=article, annotator=annotator)
    context.add_cookies([session_cookie(annotator, live_server.url)])
    return article, f"/work/{assignment.pk}/"


def test_a_quote_gains_pieces_after_an_emoji_and_in_arabic_and_undo_takes_one_back(page, workspace):
    article, url = workspace
    open_workspace(page, url)
    label_selection(page, PLAN, "q")  # the new QUOTE is the selected span
    add_piece(page, SERIOUS)
    layer = article.annotations.get()
    assert at(PLAN) == [2, 13] and at(SERIOUS) == [28, 54]  # code points: the emoji is one, not two
    assert api_fragments(page, layer.pk) == [[at(PLAN), at(SERIOUS)]]
    add_piece(page, ARABIC, rtl=True)
    quote = Span.objects.get(annotation=layer)
    assert quote.pieces == [tuple(at(PLAN)), tuple(at(SERIOUS)), tuple(at(ARABIC))]
    assert quote.text == f"{PLAN} {SERIOUS} {ARABIC}"
    assert page.locator("[data-pieces] [data-piece]").count() == 3  # the inspector lists them

    page.keyboard.press("Control+z")
    wait_saved(page)
    assert api_fragments(page, layer.pk) == [[at(PLAN), at(SERIOUS)]]
    page.keyboard.press("Control+Shift+z")
    wait_saved(page)

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert api_fragments(page, layer.pk) == [[at(PLAN), at(SERIOUS), at(ARABIC)]]
    # Drawn by its pieces: the gap (" Bourita said, ") is no part of the quote on screen.
    drawn = page.locator(f'[data-article-text] [data-span-id="{quote.pk}"]')
    assert "Bourita" not in "".join(drawn.all_inner_texts())
    click_text(page, "The plan")
    pieces = page.locator("[data-pieces] [data-piece]")
    assert [(int(p.get_attribute("data-start")), int(p.get_attribute("data-end"))) for p in pieces.all()] \
        == [tuple(at(PLAN)), tuple(at(SERIOUS)), tuple(at(ARABIC))]

    # Removing pieces in the inspector; the last but one leaves an ordinary span.
    pieces.nth(1).locator('[data-action="remove-piece"]').click()
    wait_saved(page)
    assert api_fragments(page, layer.pk) == [[at(PLAN), at(ARABIC)]]
    pieces.nth(0).locator('[data-action="remove-piece"]').click()
    wait_saved(page)
    quote.refresh_from_db()
    assert (quote.pieces, quote.fragments, quote.text) == ([tuple(at(ARABIC))], None, ARABIC)
    assert page.locator("[data-pieces]").count() == 0


def test_a_piece_overlapping_the_span_widens_it_and_alt_with_another_key_says_which_key(page, workspace):
    article, url = workspace
    open_workspace(page, url)
    label_selection(page, PLAN, "q")
    drag_select(page, "Bourita said, “is serious")  # apart from the first piece (a space between them)
    # The selection's own hint (shown once the selection settles) names the key that extends the span.
    page.wait_for_selector('[data-hint]:has-text("Or Alt+q to add it to the selected QUOTE")')
    page.keyboard.press("Alt+s")
    assert "the selected span is a QUOTE (Alt+q)" in page.locator("[data-hint]").inner_text()
    page.keyboard.press("Alt+q")
    wait_saved(page)
    layer = article.annotations.get()
    assert api_fragments(page, layer.pk) == [[at(PLAN), [TEXT.index("Bourita"), at(SERIOUS)[0] + len("“is serious")]]]
    # A selection that overlaps the first piece merges into it: one piece from "“The" to "serious".
    drag_select(page, "plan,” Bourita")
    page.keyboard.press("Alt+q")
    assert "widened that piece" in page.locator("[data-hint]").inner_text()  # read before the hint times out
    wait_saved(page)
    assert api_fragments(page, layer.pk) == [[[at(PLAN)[0], at(SERIOUS)[0] + len("“is serious")]]]


def test_a_stale_write_of_pieces_is_offered_again_and_re_applied(context, workspace):
    article, url = workspace
    first, second = context.new_page(), context.new_page()
    open_workspace(first, url)
    label_selection(first, PLAN, "q")
    for tab in (first, second):
        open_workspace(tab, url)  # both at the same version, the QUOTE with one piece

    # Bring the tab being used to the front (a background tab gets no animation frames; see test_workspace).
    first.bring_to_front()
    label_selection(first, "Bourita", "s")
    second.bring_to_front()
    click_text(second, "The plan")
    drag_select(second, SERIOUS)
    second.keyboard.press("Alt+q")  # written against the version the second tab loaded: stale
    banner = second.locator("[data-banner]")
    banner.wait_for()
    assert "changed in another tab or window" in banner.inner_text()
    second.wait_for_selector('[data-unsaved] li:has-text("Change the pieces of QUOTE")')
    layer = article.annotations.get()
    assert Span.objects.get(annotation=layer, label__name="QUOTE").pieces == [tuple(at(PLAN))]

    second.click('[data-action="reapply"]')
    wait_saved(second)
    assert Span.objects.get(annotation=layer, label__name="QUOTE").pieces == [tuple(at(PLAN)), tuple(at(SERIOUS))]
    assert Span.objects.filter(annotation=layer, label__name="SOURCE", text="Bourita").exists()
