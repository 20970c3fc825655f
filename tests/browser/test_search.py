"""A reviewer in a real browser: search → a hit in its sentence → open the article → annotate every hit.

Screenshot: var/screenshots/search.png (the hits and the bulk preview)."""
import pytest

from annotate.models import BulkOperation, Membership, Span
from annotate.services import annotating

from ..factories import make_article, make_assignment, make_entity, make_project, make_user
from .conftest import SCREENSHOTS
from .helpers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = [
    "The Polisario Front rejected the visit of the French minister. Rabat welcomed it.",
    "Algeria and the Polisario Front called for a referendum on the territory.",
    "France confirmed it will open a consulate in Laayoune next year.",
]


def test_search_open_a_hit_and_annotate_all_hits(page, context, live_server):
    project = make_project("sahara", name="Sahara news")
    alice, rita = make_user("alice"), make_user("rita")
    Membership.objects.create(project=project, user=alice, role=Membership.Role.ANNOTATOR)
    Membership.objects.create(project=project, user=rita, role=Membership.Role.REVIEWER)
    polisario = make_entity(project, "Polisario Front")
    articles = [make_article(project, text=text, language="en", title=f"News {i}") for i, text in enumerate(TEXTS)]
    for article in articles:
        annotating.open_layer(assignment=make_assignment(article, alice))

    context.add_cookies([session_cookie(rita, live_server.url)])
    page.goto("/")
    page.click("[data-search-link]")
    page.fill('input[name="q"]', '"Polisario Front"')
    with page.expect_navigation():
        page.click('form[data-search-form] button[type="submit"]')
    hits = page.locator("[data-hit]")
    assert hits.count() == 2
    assert hits.first.locator("mark").inner_text() == "Polisario Front"

    # Open the article of the first hit: the reviewer's page for it.
    with page.expect_navigation():
        hits.first.locator("[data-open]").click()
    assert f"/review/articles/{articles[0].pk}/" in page.url
    page.go_back()

    # Annotate every hit: preview (counts, nothing written), then commit.
    form = page.locator("[data-bulk-form]")
    form.locator('select[name="label"]').select_option("SOURCE")
    form.locator('select[name="entity"]').select_option(str(polisario.pk))
    with page.expect_navigation():
        form.locator("[data-bulk-preview]").click()
    assert page.locator("[data-preview-new]").inner_text() == "2"
    assert not Span.objects.exists()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "search.png"), full_page=True)
    with page.expect_navigation():
        page.click("[data-bulk-commit] button")
    assert "Added 2 spans in 2 layers" in page.inner_text(".messages")
    assert Span.objects.filter(label__name="SOURCE", entity=polisario).count() == 2

    # And undo it.
    with page.expect_navigation():
        page.click("[data-operations] [data-undo]")
    assert not Span.objects.exists()
    assert BulkOperation.objects.get().status == "undone"
