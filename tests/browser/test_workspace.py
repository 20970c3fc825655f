"""The workspace in a real browser: mouse selections, hotkeys, links, stances, saving, conflicts."""
import pytest

from annotate.models import Annotation, Assignment, Entity, Membership, Relation, Span, Stance

from ..factories import make_article, make_project, make_user
from .helpers import click_text, drag_select, session_cookie, span_locator, wait_saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TARGET = "Moroccan sovereignty over Western Sahara"
BELLOUAN = (
    "Important position\n\n"
    "Hassan Bellouan, an expert in international relations, said the meeting comes in view of Morocco’s place "
    "in the fight against extremism.\n\n"
    "Bellouan added that “this position is embodied by the Moroccan institutions that are making great efforts "
    "to fight terrorism through several approaches”."
)
MIXED = "Hassan Bellouan said 🌍 that “التعاون الدولي ضروري”. France 𝕏 backs the plan."


@pytest.fixture
def annotator(db):
    project = make_project("demo", name="Demo project", targets=[TARGET])
    user = make_user("anna", password="anna-secret-pass")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    return user


def open_workspace(page, path):
    page.goto(path)
    page.wait_for_selector("body[data-ready=true]")


def label_selection(page, fragment, key, **kwargs):
    drag_select(page, fragment, **kwargs)
    page.keyboard.press(key)
    wait_saved(page)


def test_annotate_an_article_from_login_to_submit(page, annotator):
    make_article(annotator.memberships.get().project, title="Anti-ISIS coalition meets in Marrakech", text=BELLOUAN,
                 outlet="Hespress")
    page.goto("/")
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", "anna-secret-pass")
    page.click("button[type=submit]")
    page.click('[data-project="demo"] [data-next-article]')
    page.wait_for_selector("body[data-ready=true]")
    assignment = Assignment.objects.get(annotator=annotator)
    assert page.url.endswith(f"/work/{assignment.pk}/")

    # A SOURCE linked to a new canonical source created inline.
    label_selection(page, "Bellouan", "s", occurrence=1)  # the second mention, left unlinked
    page.keyboard.press("Escape")
    label_selection(page, "Hassan Bellouan", "s")
    page.click("[data-entity-create]")
    page.fill("[data-entity-form] input[name=description]", "expert in international relations")
    page.click("[data-entity-form] button[type=submit]")
    page.wait_for_selector("[data-linked-entity]")
    wait_saved(page)

    # A QUOTE (direct) and its CUE, by mouse selection and hotkeys.
    label_selection(page, "“this position is embodied by the Moroccan institutions that are making great "
                          "efforts to fight terrorism through several approaches”", "q")
    page.click('[data-attr="quote_type"][data-value="direct"]')
    wait_saved(page)
    label_selection(page, "added", "u")
    label_selection(page, "making great efforts to fight terrorism", "e")

    # quote → source and cue → quote: select, press a, click the other end.
    click_text(page, "this position is embodied")
    page.keyboard.press("a")
    click_text(page, "Hassan Bellouan")
    wait_saved(page)
    click_text(page, "added")
    page.keyboard.press("a")
    click_text(page, "embodied by the Moroccan")
    wait_saved(page)
    assert page.locator('[data-panel-body="relations"] [data-relation-type]').count() == 2

    # A stance: holder, target, polarity, evidence picked from the text.
    form = page.locator("[data-stance-form]")
    holder = form.locator("[data-stance-holder] option", has_text="Hassan Bellouan —").first.get_attribute("value")
    form.locator("[data-stance-holder]").select_option(holder)
    form.locator("[data-stance-target]").select_option(TARGET)
    form.get_by_text("favor", exact=True).click()
    page.click('[data-action="pick-evidence"]')
    click_text(page, "great efforts")
    page.click('[data-action="pick-evidence"]')
    page.click('[data-action="save-stance"]')
    wait_saved(page)

    # Reload: everything is still there, on screen and in the database.
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    for label, text in [("SOURCE", "Hassan Bellouan"), ("QUOTE", "this position"), ("CUE", "added"),
                        ("STANCE_EVIDENCE", "great efforts")]:
        assert span_locator(page, label, text).count() == 1, (label, text)
    assert page.locator('[data-panel-body="relations"] [data-relation-type]').count() == 2
    assert "Hassan Bellouan" in page.locator("[data-stance]").inner_text()

    layer = assignment.article.annotations.get(annotator=annotator)
    spans = {(s.label.name, s.text) for s in Span.objects.filter(annotation=layer).select_related("label")}
    quote_text = BELLOUAN[BELLOUAN.index("“"):BELLOUAN.index("”") + 1]
    assert spans == {("SOURCE", "Hassan Bellouan"), ("SOURCE", "Bellouan"), ("QUOTE", quote_text), ("CUE", "added"),
                     ("STANCE_EVIDENCE", "making great efforts to fight terrorism")}
    source = Span.objects.get(annotation=layer, text="Hassan Bellouan")
    assert source.start == BELLOUAN.index("Hassan Bellouan") and source.entity.name == "Hassan Bellouan"
    assert Entity.objects.get(name="Hassan Bellouan").description == "expert in international relations"
    quote = Span.objects.get(annotation=layer, label__name="QUOTE")
    assert quote.attributes == {"quote_type": "direct"}
    assert {(r.type.name, r.from_span.label.name, r.to_span_id) for r in Relation.objects.filter(annotation=layer)} == {
        ("ATTRIBUTED_TO", "QUOTE", source.pk), ("CUE_OF", "CUE", quote.pk)}
    stance = Stance.objects.get(annotation=layer)
    assert (stance.holder_span, stance.target.name, stance.polarity.name, stance.explicit) == (
        source, TARGET, "favor", True)
    assert [s.text for s in stance.evidence.all()] == ["making great efforts to fight terrorism"]

    # Submit: the check lists the unlinked "Bellouan" source, then on to the next article (none left).
    page.click('[data-action="submit"]')
    assert "“Bellouan” is not linked" in page.locator("[data-gaps]").inner_text()
    page.click('[data-action="confirm-submit"]')
    page.wait_for_selector("[data-all-done]")
    assignment.refresh_from_db()
    assert assignment.status == "submitted" and Annotation.objects.get(pk=layer.pk).status == "submitted"


def test_offsets_after_an_emoji_and_in_arabic_are_code_points(page, context, live_server, annotator):
    article = make_article(annotator.memberships.get().project, text=MIXED)
    assignment = Assignment.objects.create(article=article, annotator=annotator)
    context.add_cookies([session_cookie(annotator, live_server.url)])
    open_workspace(page, f"/work/{assignment.pk}/")

    # 🌍 and 𝕏 are one code point each but two UTF-16 units: every offset after them is off by
    # one per character unless the page converts.
    label_selection(page, "France", "s")  # after 🌍
    label_selection(page, "backs the plan", "c")  # after 🌍 and 𝕏
    label_selection(page, "الدولي ضروري", "q", rtl=True)

    layer = article.annotations.get()
    for fragment in ("France", "backs the plan", "الدولي ضروري"):
        span = Span.objects.get(annotation=layer, text=fragment)
        assert (span.start, span.end) == (MIXED.index(fragment), MIXED.index(fragment) + len(fragment))
        element = page.locator(f'[data-span-id="{span.pk}"]').first
        shown = (int(element.get_attribute("data-start")), int(element.get_attribute("data-end")))
        assert shown == (span.start, span.end)


def test_a_stale_tab_shows_the_conflict_and_reloads(context, live_server, annotator, browser):
    article = make_article(annotator.memberships.get().project, text=BELLOUAN)
    assignment = Assignment.objects.create(article=article, annotator=annotator)
    context.add_cookies([session_cookie(annotator, live_server.url)])
    first, second = context.new_page(), context.new_page()
    for tab in (first, second):
        open_workspace(tab, f"/work/{assignment.pk}/")

    # A tab in the background gets no animation frames, and Playwright waits for them before it
    # scrolls (about 10 s each time): bring the tab being used to the front, as a person would.
    # Nothing in the workspace reacts to focus or visibility, so the second tab stays stale.
    first.bring_to_front()
    label_selection(first, "Hassan Bellouan", "s")
    second.bring_to_front()
    drag_select(second, "added")
    second.keyboard.press("u")  # written against the version the second tab loaded: stale
    banner = second.locator("[data-banner]")
    banner.wait_for()
    assert "changed in another tab or window" in banner.inner_text()
    second.wait_for_selector('[data-unsaved] li:has-text("Add CUE")')
    # The second tab reloaded the layer: the first tab's span is on its screen; nothing of it was lost.
    assert span_locator(second, "SOURCE", "Hassan Bellouan").count() == 1
    assert span_locator(second, "CUE", "added").count() == 0
    layer = article.annotations.get()
    assert [(s.label.name, s.text) for s in Span.objects.filter(annotation=layer)] == [("SOURCE", "Hassan Bellouan")]

    second.click('[data-action="reapply"]')  # the second tab's change, on top of the reloaded version
    wait_saved(second)
    assert sorted(Span.objects.filter(annotation=layer).values_list("text", flat=True)) == ["Hassan Bellouan", "added"]


def test_undo_redo_and_a_failed_save_that_retries(page, context, live_server, annotator):
    article = make_article(annotator.memberships.get().project, text=BELLOUAN)
    assignment = Assignment.objects.create(article=article, annotator=annotator)
    context.add_cookies([session_cookie(annotator, live_server.url)])
    open_workspace(page, f"/work/{assignment.pk}/")
    layer_spans = lambda: list(Span.objects.filter(annotation__article=article).values_list("text", flat=True))  # noqa: E731 - re-read at each check

    label_selection(page, "Hassan Bellouan", "s")
    page.keyboard.press("Control+z")
    wait_saved(page)
    assert layer_spans() == [] and span_locator(page, "SOURCE", "Hassan").count() == 0
    page.keyboard.press("Control+Shift+z")
    wait_saved(page)
    assert layer_spans() == ["Hassan Bellouan"]

    # The network fails: the change stays on screen, the indicator says so, and it is saved on retry.
    page.route("**/api/v1/annotations/**", lambda route: route.abort())
    drag_select(page, "added")
    page.keyboard.press("u")
    page.wait_for_selector('[data-save-state="error"]')
    assert "Not saved" in page.locator("[data-save-state]").inner_text()
    assert span_locator(page, "CUE", "added").count() == 1
    page.unroute("**/api/v1/annotations/**")
    page.click('[data-action="retry"]')
    wait_saved(page)
    assert sorted(layer_spans()) == ["Hassan Bellouan", "added"]
