"""The Article panel: an annotator answers the project's questions about the whole article, the answers are
saved with the layer and come back on reload, and submit waits for the required ones."""
import pytest

from annotate.models import Annotation, Assignment, Membership
from annotate.services import annotating, article_labels

from ..factories import make_article, make_project, make_user
from ..test_article_labels import ask
from .helpers import session_cookie, wait_saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "قال بلوان 🌍 إن الخطة جادة. France backs the plan, the minister said."


@pytest.fixture
def work():
    project = make_project("demo", name="Demo project")
    ask(project)
    user = make_user("anna")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    assignment = Assignment.objects.create(article=make_article(project, text=TEXT), annotator=user)
    layer = annotating.open_layer(assignment=assignment)
    return user, assignment, layer


def question(page, name):
    return page.locator(f'fieldset[data-question="{name}"]')


def test_answer_reload_and_submit_once_the_required_question_is_answered(page, context, live_server, work):
    user, assignment, layer = work
    context.add_cookies([session_cookie(user, live_server.url)])
    page.goto(f"/work/{assignment.pk}/")
    page.wait_for_selector("body[data-ready=true]")
    panel = page.locator('[data-panel="article-labels"]')
    assert panel.is_visible()
    assert "Is it check-worthy?" in question(page, "CHECK_WORTHY").inner_text()

    # Submit is refused while a required question is open, and the dialog names it.
    page.click('[data-action="submit"]')
    assert "CHECK_WORTHY" in page.locator("[data-questions-required]").inner_text()
    assert page.locator('[data-action="confirm-submit"]').is_disabled()
    page.keyboard.press("Escape")

    question(page, "TOPIC").get_by_label("security").check()
    wait_saved(page)
    question(page, "TOPIC").get_by_label("politics").check()
    wait_saved(page)
    reason = question(page, "SKIP_REASON").locator("textarea")
    reason.fill("رأي 🌍 not news")
    reason.press("Tab")  # a text answer is saved when the box is left
    wait_saved(page)
    assert article_labels.answers_of(layer.pk) == {"TOPIC": ["politics", "security"], "SKIP_REASON": "رأي 🌍 not news"}

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert question(page, "TOPIC").get_by_label("politics").is_checked()
    assert question(page, "TOPIC").get_by_label("security").is_checked()
    assert not question(page, "TOPIC").get_by_label("economy").is_checked()
    assert question(page, "SKIP_REASON").locator("textarea").input_value() == "رأي 🌍 not news"
    assert page.locator('[data-count-of="article-labels"]').inner_text() == "2/4"

    question(page, "CHECK_WORTHY").get_by_label("yes").check()
    wait_saved(page)
    page.click('[data-action="submit"]')
    assert page.locator("[data-questions-required]").count() == 0
    page.click('[data-action="confirm-submit"]')
    page.wait_for_selector("[data-all-done]")
    assert Annotation.objects.get(pk=layer.pk).status == "submitted"
    assert article_labels.answers_of(layer.pk)["CHECK_WORTHY"] == "yes"


def test_an_answer_is_undone_like_any_change(page, context, live_server, work):
    user, assignment, layer = work
    context.add_cookies([session_cookie(user, live_server.url)])
    page.goto(f"/work/{assignment.pk}/")
    page.wait_for_selector("body[data-ready=true]")
    question(page, "OVERALL_STANCE").get_by_label("against").check()
    wait_saved(page)
    assert article_labels.answers_of(layer.pk) == {"OVERALL_STANCE": "against"}
    page.locator("[data-article-text]").click()
    page.keyboard.press("Control+z")
    wait_saved(page)
    page.wait_for_function("() => !document.querySelector('fieldset[data-question=OVERALL_STANCE] input:checked')")
    assert article_labels.answers_of(layer.pk) == {}


def test_a_stale_answer_is_offered_again_and_reapplied_on_the_new_version(page, context, live_server, work):
    user, assignment, layer = work
    context.add_cookies([session_cookie(user, live_server.url)])
    page.goto(f"/work/{assignment.pk}/")
    page.wait_for_selector("body[data-ready=true]")
    # Another tab answers meanwhile: the page's version is stale.
    article_labels.set_article_labels(annotation=layer, expected_version=1, article_labels={"CHECK_WORTHY": "no"})
    # One click, not check(): check() clicks again when the box is unchecked afterwards, which it is once
    # the page has reloaded the layer after the refusal, and that second click is a new, valid answer.
    question(page, "TOPIC").get_by_label("economy").click()
    page.locator("[data-banner]").wait_for()
    page.wait_for_selector('[data-unsaved] li:has-text("Answer TOPIC")')
    # The page reloaded the layer: the other tab's answer shows, nothing of this one was written.
    assert question(page, "CHECK_WORTHY").get_by_label("no").is_checked()
    assert article_labels.answers_of(layer.pk) == {"CHECK_WORTHY": "no"}
    page.click('[data-action="reapply"]')
    wait_saved(page)
    assert article_labels.answers_of(layer.pk) == {"CHECK_WORTHY": "no", "TOPIC": ["economy"]}
    assert question(page, "TOPIC").get_by_label("economy").is_checked()
