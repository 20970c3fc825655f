"""A long article in the workspace (issue 16): 100k characters with 3,000 spans opens with every span
drawn, spans added at its end and in its middle are stored at the right code points (emoji before
them, Arabic in them), and scrolling to the end shows the last paragraph's spans."""
import pytest

from annotate.models import Membership
from synthetic.long_article import TARGET, make_long_layer

from ..factories import make_project, make_user
from .helpers import drag_select, session_cookie, wait_saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

N_SPANS = 3000

# The element that scrolls the article, scrolled to its end until its height stops growing (paragraphs
# off screen start at an estimated height and take their real one when they are laid out).
SCROLL_TO_END = """async () => {
  let el = document.querySelector("[data-article-text]").parentElement;
  while (el && !(el.scrollHeight > el.clientHeight + 10 && /auto|scroll/.test(getComputedStyle(el).overflowY))) {
    el = el.parentElement;
  }
  const scroller = el || document.scrollingElement;
  for (let i = 0, last = -1; i < 50 && scroller.scrollTop !== last; i++) {
    last = scroller.scrollTop;
    scroller.scrollTop = scroller.scrollHeight;
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  }
  return scroller.scrollTop;
}"""

# Whether the span element is on screen and is what is drawn at its own middle (laid out and painted
# where the reader sees it, not skipped).
ON_SCREEN = """(el) => {
  const r = el.getBoundingClientRect();
  if (r.bottom <= 0 || r.top >= innerHeight || r.width === 0) return false;
  const hit = document.elementFromPoint(r.left + Math.min(r.width, 8) / 2, (r.top + r.bottom) / 2);
  return Boolean(hit && (hit === el || el.contains(hit)));
}"""


@pytest.fixture
def long_layer(db):
    project = make_project("long", targets=[TARGET])
    user = make_user("lena")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    return make_long_layer(project, user, n_spans=N_SPANS)


def nth(text: str, word: str, n: int) -> int:
    """The code point offset of the n-th occurrence (from 0; -1 is the last) of `word` in `text`."""
    found, at = [], text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found[n]


def stored_span(page, layer, label, start):
    """The layer's span with `label` starting at `start`, as GET /api/v1/annotations/<id>/ answers."""
    answer = page.request.get(f"/api/v1/annotations/{layer.pk}/").json()
    return next((s for s in answer["spans"] if s["label"] == label and s["start"] == start), None)


def test_a_long_article_opens_takes_new_spans_and_scrolls_to_its_end(page, context, live_server, long_layer):
    assignment, layer = long_layer
    text = layer.article.text
    assert len(text) >= 100_000
    context.add_cookies([session_cookie(assignment.annotator, live_server.url)])
    page.goto(f"/work/{assignment.pk}/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    assert page.locator("[data-article-text] .ann:not([data-part])").count() == N_SPANS

    # A CLAIM on an Arabic word of the last paragraph, and STANCE_EVIDENCE on "talks" in the middle of
    # the article: emoji stand before both, so their UTF-16 positions are not their code points.
    word = "المفاوضات"
    end_start = nth(text, word, -1)
    drag_select(page, word, occurrence=text.count(word) - 1, rtl=True)
    page.keyboard.press("c")
    wait_saved(page)
    in_first_half = text[:len(text) // 2].count("talks")
    middle_start = nth(text, "talks", in_first_half)
    drag_select(page, "talks", occurrence=in_first_half)
    page.keyboard.press("e")
    wait_saved(page)
    assert len(text[:middle_start].encode("utf-16-le")) // 2 > middle_start  # emoji: two units, one code point

    claim = stored_span(page, layer, "CLAIM", end_start)
    assert claim and (claim["end"], claim["text"]) == (end_start + len(word), word)
    evidence = stored_span(page, layer, "STANCE_EVIDENCE", middle_start)
    assert evidence and (evidence["end"], evidence["text"]) == (middle_start + len("talks"), "talks")
    assert layer.spans.count() == N_SPANS + 2
    drawn = page.locator(f'[data-article-text] .ann[data-label="STANCE_EVIDENCE"][data-start="{middle_start}"]')
    assert drawn.count() == 1 and drawn.inner_text() == "talks"

    # Scrolled to the end, the last paragraph's spans are laid out on screen.
    page.evaluate(SCROLL_TO_END)
    last_paragraph = page.locator("[data-article-text] > p").last
    last_start = int(last_paragraph.get_attribute("data-start"))
    in_last = layer.spans.filter(start__gte=last_start).count()  # the CLAIM added above among them
    spans = last_paragraph.locator(".ann:not([data-part])")
    assert in_last > 0 and spans.count() == in_last
    assert spans.last.evaluate(ON_SCREEN)
