"""The side panels on a long article (issue 16 §5): the relations and stances lists show their first
hundred items and a "Show more" button, the discussion panel's "About" offers the article and the
selected span with its own relations and stances (not the layer's 2,400 items), and a change still
reaches every panel, after the text."""
import pytest
from playwright.sync_api import expect

from annotate.models import Membership
from synthetic.long_article import TARGET, make_long_layer

from ..factories import make_project, make_user
from .helpers import session_cookie, wait_saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = 100  # relations.js and stances.js: items listed before "Show more"


@pytest.fixture
def long_layer(db):
    project = make_project("long-panels", targets=[TARGET])
    user = make_user("lena")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    return make_long_layer(project, user, n_spans=3000)


def test_long_lists_show_their_first_items_and_the_threads_offer_the_selected_items(page, context, live_server,
                                                                                    long_layer):
    assignment, layer = long_layer
    n_relations, n_stances = layer.relations.count(), layer.stances.count()
    assert n_relations > 2 * PAGE and n_stances > PAGE
    context.add_cookies([session_cookie(assignment.annotator, live_server.url)])
    page.goto(f"/work/{assignment.pk}/")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)

    relations = page.locator('[data-panel-body="relations"]')
    expect(relations.locator("[data-relation-type]")).to_have_count(PAGE)
    expect(page.locator('[data-count-of="relations"]')).to_have_text(str(n_relations))  # the count is of all
    more = relations.locator("[data-show-more]")
    expect(more).to_have_text(f"Show {PAGE} more ({n_relations - PAGE} not shown)")
    more.click()
    expect(relations.locator("[data-relation-type]")).to_have_count(2 * PAGE)
    expect(more).to_have_text(f"Show {PAGE} more ({n_relations - 2 * PAGE} not shown)")
    expect(page.locator('[data-panel-body="stances"] [data-stance]')).to_have_count(PAGE)

    # Nothing selected: a thread is about the article only.
    about = page.locator("[data-thread-anchor] option")
    expect(about).to_have_count(1)
    # A SOURCE of the long article holds a stance and is the far end of an ATTRIBUTED_TO and a CLAIMED_BY link.
    source = page.locator('[data-article-text] .ann[data-label="SOURCE"]').nth(10)
    source.click()
    expect(about).to_have_count(5)
    assert [about.nth(i).inner_text().split(" ")[0] for i in range(1, 5)] == ["Selected", "Relation", "Relation",
                                                                              "Stance"]
    expect(page.locator("[data-thread-anchor] option:checked")).to_contain_text("Selected span")

    # Deleting it: the text at once, the panels after it (its links and stance gone from the counts).
    page.keyboard.press("Delete")
    wait_saved(page)
    expect(page.locator('[data-count-of="relations"]')).to_have_text(str(n_relations - 2))
    expect(page.locator('[data-count-of="stances"]')).to_have_text(str(n_stances - 1))
    expect(relations.locator("[data-relation-type]")).to_have_count(2 * PAGE)  # what was shown stays shown
    expect(about).to_have_count(1)
    assert layer.relations.count() == n_relations - 2 and layer.stances.count() == n_stances - 1
