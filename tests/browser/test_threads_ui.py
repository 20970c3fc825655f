"""Threads in a real browser: anna starts a thread on a span she just made (after an emoji), replies, resolves
it; ben, annotating the same article, sees none of it; rita, reviewing, replies on the review page."""
import pytest
from playwright.sync_api import expect

from annotate.models import Assignment, Comment, Membership, Span, Thread
from annotate.services import annotating, threads

from ..factories import make_article, make_user
from .helpers import click_text, session_cookie
from .test_workspace import annotator, label_selection, open_workspace  # noqa: F401 - the persona fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TEXT = "🌍 Hassan Bellouan said that “التعاون الدولي ضروري”. France backs the plan."


@pytest.fixture
def article(annotator):  # noqa: F811 - the persona fixture imported above
    return make_article(annotator.memberships.get().project, text=TEXT)


def workspace_of(context, live_server, user, article):
    assignment = Assignment.objects.create(article=article, annotator=user)
    context.add_cookies([session_cookie(user, live_server.url)])
    return f"/work/{assignment.pk}/"


def test_start_a_thread_on_a_span_reply_and_resolve_and_the_other_annotator_sees_nothing(
        page, browser, context, live_server, annotator, article):  # noqa: F811 - the persona fixture
    open_workspace(page, workspace_of(context, live_server, annotator, article))
    label_selection(page, "Hassan Bellouan", "s")
    click_text(page, "Hassan Bellouan")  # selected, with its server id: the panel offers it as the anchor
    panel = page.locator('[data-panel-body="threads"]')
    # The panels are redrawn in a task after the frame (docs/ui.md, Long articles): wait for it.
    panel.locator("[data-thread-anchor] option:checked", has_text="Selected span “Hassan Bellouan”").wait_for(
        state="attached")
    panel.locator("[data-thread-body]").fill("Is this the speaker?")
    panel.locator("[data-thread-start]").click()
    thread = panel.locator("[data-thread]")
    thread.wait_for()
    expect(page.locator('[data-count-of="threads"]')).to_have_text("1")
    expect(page.locator("[data-inspector-threads]")).to_have_attribute("data-inspector-threads", "1")

    thread.locator("[data-thread-reply]").fill("Yes: he is quoted below.")
    thread.locator("[data-thread-send]").click()
    thread.locator(".comment").nth(1).wait_for()
    stored = Thread.objects.get()
    span = Span.objects.get(text="Hassan Bellouan")
    assert (stored.anchor_kind, stored.anchor_id, stored.annotation_id) == ("span", span.pk, span.annotation_id)
    assert list(Comment.objects.order_by("id").values_list("body", flat=True)) == [
        "Is this the speaker?", "Yes: he is quoted below."]

    thread.locator("[data-thread-toggle]").click()
    panel.locator("[data-no-threads]").wait_for()
    stored.refresh_from_db()
    assert stored.resolved and stored.resolved_by == annotator
    expect(page.locator('[data-count-of="threads"]')).to_have_text("")
    expect(page.locator("[data-inspector-threads]")).to_have_count(0)
    panel.locator("[data-show-resolved]").check()
    assert panel.locator("[data-thread].is-resolved").count() == 1

    # ben annotates the same article: anna's layer and its threads do not exist for him.
    ben = make_user("ben")
    Membership.objects.create(project=article.project, user=ben, role=Membership.Role.ANNOTATOR)
    other = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=live_server.url)
    try:
        ben_page = other.new_page()
        open_workspace(ben_page, workspace_of(other, live_server, ben, article))
        ben_panel = ben_page.locator('[data-panel-body="threads"]')
        assert ben_panel.locator("[data-no-threads]").count() == 1
        assert ben_panel.locator("[data-thread], [data-show-resolved]").count() == 0
        assert ben_page.request.get(f"/api/v1/articles/{article.pk}/threads/").json() == []
        assert ben_page.request.get(f"/api/v1/threads/{stored.pk}/").status == 404
    finally:
        other.close()


def test_a_reviewer_replies_to_a_layers_thread_on_the_review_page(
        page, context, live_server, annotator, article):  # noqa: F811 - the persona fixture
    layer = annotating.open_layer(assignment=Assignment.objects.create(article=article, annotator=annotator))
    span = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=2, end=17)
    thread = threads.open_thread(annotation=layer, kind="span", anchor_id=span.pk, body="Speaker? @rita",
                                 author=annotator)
    annotating.submit(annotation=layer, expected_version=2)
    rita = make_user("rita")
    Membership.objects.create(project=article.project, user=rita, role=Membership.Role.REVIEWER)
    context.add_cookies([session_cookie(rita, live_server.url)])
    page.goto(f"/review/articles/{article.pk}/")
    page.wait_for_selector("[data-threads-panel][data-ready=true]")
    assert page.locator("[data-layer] [data-open-threads]").inner_text().strip() == "💬 1 open thread"
    item = page.locator(f'[data-thread="{thread.pk}"]')
    assert "SOURCE “Hassan Bellouan”" in item.inner_text() and "anna" in item.inner_text()
    item.locator("[data-thread-reply]").fill("Yes, @anna.")
    item.locator("[data-thread-send]").click()
    item.locator(".comment").nth(1).wait_for()
    assert list(Comment.objects.order_by("id").last().mentions.values_list("username", flat=True)) == ["anna"]
