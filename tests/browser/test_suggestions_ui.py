"""Suggestions in the workspace, in a real browser: dashed ghosts over the text, Tab / Enter / x,
accept all of a label, provenance down to the export, a recommender that is down, offsets past an
emoji and Arabic, an accept retried after a lost answer or offered again after a version conflict.

Suggestions are stored by hand (annotate.suggestions.storing.replace) so these tests depend on no
recommender, except the one that asks a recommender that is down.
"""
import json

import pytest

from annotate.models import Annotation, Assignment, Membership, Recommender, Span, SuggestionDecision
from annotate.suggestions import storing
from annotate.suggestions.base import Guesses, RelationGuess, SpanGuess
from annotate.suggestions.vocabulary import Vocabulary

from ..factories import api_client, make_article, make_assignment, make_project, make_user
from .helpers import click_text, drag_select, session_cookie, span_locator, wait_saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = ("Hassan Bellouan, an expert in international relations, said that “this position is embodied by the "
        "Moroccan institutions”.\n\nBlinken added that Morocco is a partner, according to the minister.")
MIXED = "Hassan Bellouan said 🌍 that “التعاون الدولي ضروري”. France 𝕏 backs the plan."

GHOSTS = "[data-ghosts] .ghost:not([data-fragment])"


def points(text: str, fragment: str, after: str | None = None) -> tuple[int, int]:
    """[start, end) of `fragment` in code points (Python's own offsets)."""
    start = text.index(fragment, text.index(after) if after else 0)
    return start, start + len(fragment)


@pytest.fixture
def annotator(db):
    project = make_project("demo", name="Demo project")
    user = make_user("anna")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    return user


def suggest(article, spans, relations=(), *, recommender="attribution"):
    """Store `recommender`'s suggestions for `article`: spans as (label, fragment, score[, after])."""
    guesses = [SpanGuess(label, *points(article.text, fragment, *after), score)
               for label, fragment, score, *after in spans]
    storing.replace(vocabulary=Vocabulary.of(article.project), recommender=recommender, version="1",
                    answers=[(article, Guesses(spans=guesses, relations=list(relations)))])


def open_article(page, context, live_server, user, text=TEXT, status=Assignment.Status.IN_PROGRESS):
    article = make_article(user.memberships.get().project, text=text, title="Suggestions")
    assignment = make_assignment(article, user, status=status)
    context.add_cookies([session_cookie(user, live_server.url)])
    return article, assignment


def go(page, assignment):
    page.goto(f"/work/{assignment.pk}/")
    page.wait_for_selector("body[data-ready=true]")


def rendered_text(page) -> str:
    """The article's text nodes joined: what render.js put on screen, which ghosts must never change."""
    return page.evaluate("""() => {
      const walker = document.createTreeWalker(document.querySelector('[data-article-text]'), NodeFilter.SHOW_TEXT);
      let all = ''; for (let n = walker.nextNode(); n; n = walker.nextNode()) all += n.data; return all; }""")


def current(page):
    return page.locator("[data-ghosts] .ghost.is-current").first


def layer_spans(article, user):
    return list(Span.objects.filter(annotation__article=article, annotation__annotator=user)
                .select_related("label").order_by("start"))


def test_tab_moves_through_ghosts_and_enter_accepts_with_provenance(page, context, live_server, annotator):
    article, assignment = open_article(page, context, live_server, annotator)
    suggest(article, [("QUOTE", "“this position is embodied by the Moroccan institutions”", 0.9),
                      ("SOURCE", "Hassan Bellouan", 0.8), ("CLAIM", "position is embodied", 0.5)],
            [RelationGuess("ATTRIBUTED_TO", 0, 1, 0.7)])
    go(page, assignment)
    assert page.locator(GHOSTS).count() == 3
    assert page.locator("[data-article-text] .ann").count() == 0  # ghosts are not spans of the layer
    assert rendered_text(page) == TEXT.replace("\n", "")  # and they add nothing to the text
    assert page.locator('[data-suggestion-label="QUOTE"] [data-suggestion-count]').inner_text() == "1"

    page.keyboard.press("Tab")
    assert current(page).get_attribute("data-label") == "SOURCE"
    assert "score 0.80 · attribution v1" in page.locator("[data-suggestion-meta]").inner_text()
    assert "SOURCE · score 0.80" in current(page).inner_text()
    page.keyboard.press("Tab")
    assert current(page).get_attribute("data-label") == "QUOTE"  # outer before inner
    page.keyboard.press("Tab")
    assert current(page).get_attribute("data-label") == "CLAIM"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert current(page).get_attribute("data-label") == "SOURCE"

    page.keyboard.press("Enter")
    wait_saved(page)
    assert span_locator(page, "SOURCE", "Hassan Bellouan").count() == 1
    assert page.locator(f'{GHOSTS}[data-label="SOURCE"]').count() == 0
    assert current(page).get_attribute("data-label") == "QUOTE"  # on to the next one
    [span] = layer_spans(article, annotator)
    assert (span.label.name, span.start, span.end, span.text) == ("SOURCE", 0, 15, "Hassan Bellouan")
    assert span.provenance == [{"recommender": "attribution", "version": "1", "score": 0.8}]
    assert rendered_text(page) == TEXT.replace("\n", "")

    # The suggested link brings its quote along; the source it points at is the one just accepted.
    page.locator('[data-suggestion-kind="relations"] [data-action="accept-suggestion"]').click()
    wait_saved(page)
    assert span_locator(page, "QUOTE", "this position").count() == 1
    assert sorted(s.label.name for s in layer_spans(article, annotator)) == ["QUOTE", "SOURCE"]
    assert page.locator('[data-panel-body="relations"] [data-relation-type="ATTRIBUTED_TO"]').count() == 1

    # Undo takes the link's quote (and the link) back out of the layer.
    page.keyboard.press("Control+z")
    wait_saved(page)
    assert [s.label.name for s in layer_spans(article, annotator)] == ["SOURCE"]

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator(GHOSTS).count() == 1  # the CLAIM: accepted ones are not suggested again
    assert span_locator(page, "SOURCE", "Hassan Bellouan").count() == 1


def test_x_rejects_the_current_suggestion_for_good(page, context, live_server, annotator):
    article, assignment = open_article(page, context, live_server, annotator)
    suggest(article, [("SOURCE", "Hassan Bellouan", 0.8), ("CUE", "said", 0.6)])
    go(page, assignment)
    click_text(page, "Bellouan")  # a click on a ghost makes it current, as Tab does
    assert current(page).get_attribute("data-label") == "SOURCE"
    with page.expect_response(lambda r: "/suggestions/reject/" in r.url) as response:
        page.keyboard.press("x")
    assert response.value.ok
    assert page.locator(GHOSTS).count() == 1
    assert current(page).get_attribute("data-label") == "CUE"
    # Backspace rejects too while a suggestion is current (and deletes no span).
    with page.expect_response(lambda r: "/suggestions/reject/" in r.url):
        page.keyboard.press("Backspace")
    assert page.locator(GHOSTS).count() == 0
    assert set(SuggestionDecision.objects.values_list("label", "decision")) == {
        ("SOURCE", "rejected"), ("CUE", "rejected")}
    assert layer_spans(article, annotator) == []

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator(GHOSTS).count() == 0
    assert page.locator("[data-article-text] .ann").count() == 0


def test_accept_all_of_one_label_and_provenance_in_the_export(page, context, live_server, annotator):
    article, assignment = open_article(page, context, live_server, annotator)
    suggest(article, [("SOURCE", "Hassan Bellouan", 0.8), ("SOURCE", "Blinken", 0.7), ("SOURCE", "Morocco", 0.4),
                      ("QUOTE", "“this position is embodied by the Moroccan institutions”", 0.9),
                      ("CUE", "said", 0.2)])  # below the project's threshold (0.3): never shown
    go(page, assignment)
    assert page.locator(GHOSTS).count() == 4
    page.keyboard.press("Tab")
    assert current(page).get_attribute("data-label") == "SOURCE"
    page.keyboard.press("Shift+Enter")
    wait_saved(page)
    assert sorted(s.text for s in layer_spans(article, annotator)) == ["Blinken", "Hassan Bellouan", "Morocco"]
    assert page.locator(f'{GHOSTS}[data-label="SOURCE"]').count() == 0
    assert page.locator("[data-suggestion-label]").count() == 1

    page.locator('[data-suggestion-label="QUOTE"] [data-action="accept-label"]').click()
    wait_saved(page)
    assert page.locator(GHOSTS).count() == 0
    spans = layer_spans(article, annotator)
    assert [(s.label.name, s.provenance[0]["score"]) for s in spans] == [
        ("SOURCE", 0.8), ("QUOTE", 0.9), ("SOURCE", 0.7), ("SOURCE", 0.4)]

    manager = make_user("mona")
    Membership.objects.create(project=article.project, user=manager, role=Membership.Role.MANAGER)
    response = api_client(manager).get("/api/v1/projects/demo/export/jsonl?status=all")
    assert response.status_code == 200
    [record] = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines() if line]
    exported = record["annotations"]["spans"]
    assert {(s["label"], s["text"]): s.get("provenance") for s in exported}[("QUOTE", "“this position is embodied "
                                                                            "by the Moroccan institutions”")] == [
        {"recommender": "attribution", "version": "1", "score": 0.9}]


def test_a_recommender_that_is_down_shows_an_error_and_the_page_keeps_working(page, context, live_server, annotator):
    article, assignment = open_article(page, context, live_server, annotator)
    project = article.project
    Recommender.objects.create(project=project, name="mymodel", kind="external", url="http://127.0.0.1:9",
                               enabled=True, timeout_seconds=2)
    suggest(article, [("SOURCE", "Hassan Bellouan", 0.8)])
    go(page, assignment)
    assert page.locator(GHOSTS).count() == 1
    page.keyboard.press("g")
    message = page.locator("[data-suggest-message]").first
    message.wait_for()
    assert message.inner_text().startswith("mymodel")
    assert "could not connect" in message.inner_text()
    assert page.locator('[data-action="suggest"]').is_enabled()
    # Still working: the stored suggestion is there and a span can be made by hand.
    assert page.locator(GHOSTS).count() == 1
    drag_select(page, "Blinken")
    page.keyboard.press("s")
    wait_saved(page)
    assert [s.text for s in layer_spans(article, annotator)] == ["Blinken"]
    page.locator('[data-action="suggest"]').click()
    page.locator("[data-suggest-message]").first.wait_for()
    assert page.locator("[data-suggest-message]").count() == 1  # a new ask clears the old messages


def test_ghost_offsets_after_an_emoji_and_in_arabic(page, context, live_server, annotator):
    article, assignment = open_article(page, context, live_server, annotator, text=MIXED)
    quote = "“التعاون الدولي ضروري”"
    suggest(article, [("QUOTE", quote, 0.9), ("CLAIM", "backs the plan", 0.8)])
    go(page, assignment)
    # Each ghost's box covers its fragment's own characters on screen.
    for label, fragment in [("QUOTE", quote), ("CLAIM", "backs the plan")]:
        ghost = page.locator(f'{GHOSTS}[data-label="{label}"]').bounding_box()
        text = page.evaluate("""(fragment) => {
          const root = document.querySelector('[data-article-text]');
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const at = n.data.indexOf(fragment); if (at < 0) continue;
            const range = document.createRange(); range.setStart(n, at); range.setEnd(n, at + fragment.length);
            const r = range.getBoundingClientRect(); return {x: r.left, y: r.top, width: r.width, height: r.height};
          }
          return null; }""", fragment)
        assert text, fragment
        for edge in ("x", "y"):
            assert abs(ghost[edge] - text[edge]) <= 5, (label, edge, ghost, text)
        assert abs(ghost["width"] - text["width"]) <= 10, (label, ghost, text)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    wait_saved(page)
    spans = {s.label.name: (s.start, s.end, s.text) for s in layer_spans(article, annotator)}
    assert spans == {"QUOTE": (*points(MIXED, quote), quote),
                     "CLAIM": (*points(MIXED, "backs the plan"), "backs the plan")}
    assert span_locator(page, "QUOTE", quote).count() == 1
    assert rendered_text(page) == MIXED


def test_a_submitted_article_shows_no_suggestions(page, context, live_server, annotator):
    article, assignment = open_article(page, context, live_server, annotator, status=Assignment.Status.SUBMITTED)
    Annotation.objects.create(article=article, annotator=annotator, status="submitted")
    suggest(article, [("SOURCE", "Hassan Bellouan", 0.8)])
    go(page, assignment)
    assert page.locator('[data-panel="suggestions"]').is_hidden()
    assert page.locator(GHOSTS).count() == 0
    page.keyboard.press("Tab")
    assert page.locator(GHOSTS).count() == 0


def test_an_accept_whose_answer_was_lost_is_retried_and_applied_once(page, context, live_server, annotator):
    article, assignment = open_article(page, context, live_server, annotator)
    suggest(article, [("SOURCE", "Hassan Bellouan", 0.8)])
    go(page, assignment)
    lost = []

    def reach_the_server_then_fail(route):
        # The accept reaches the server and is applied; the page never sees the answer.
        if not lost:
            lost.append(route.fetch().status)
            return route.abort("failed")
        return route.continue_()

    page.route("**/suggestions/accept/", reach_the_server_then_fail)
    page.keyboard.press("Tab")
    with page.expect_response(lambda r: "/suggestions/accept/" in r.url) as replay:
        page.keyboard.press("Enter")  # the queue retries after its first backoff step (1 s)
    assert lost == [201]
    assert replay.value.status == 200 and replay.value.headers.get("idempotent-replayed") == "true"
    wait_saved(page)
    assert [s.text for s in layer_spans(article, annotator)] == ["Hassan Bellouan"]
    assert span_locator(page, "SOURCE", "Hassan Bellouan").count() == 1


def test_an_accept_on_a_stale_version_is_offered_again_and_applied_on_the_latest(page, context, live_server,
                                                                                   annotator):
    from annotate.services import annotating

    article, assignment = open_article(page, context, live_server, annotator)
    suggest(article, [("SOURCE", "Hassan Bellouan", 0.8)])
    go(page, assignment)
    # Another tab writes to the layer first.
    layer = Annotation.objects.get(article=article, annotator=annotator)
    start, end = points(TEXT, "Blinken")
    annotating.add_span(annotation=layer, expected_version=layer.version, label="SOURCE", start=start, end=end)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-action="reapply"]')
    assert "Accept suggested SOURCE “Hassan Bellouan”" in page.locator("[data-unsaved]").inner_text()
    page.click('[data-action="reapply"]')
    wait_saved(page)
    assert [s.text for s in layer_spans(article, annotator)] == ["Hassan Bellouan", "Blinken"]
    assert layer_spans(article, annotator)[0].provenance[0]["recommender"] == "attribution"
    assert span_locator(page, "SOURCE", "Blinken").count() == 1
