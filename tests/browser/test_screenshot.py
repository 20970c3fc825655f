"""The workspace with a fully annotated seed article, as a picture: docs/workspace.png.

Always written to var/screenshots/workspace.png; with UPDATE_SCREENSHOTS=1
it also replaces docs/workspace.png (the README shows it).
"""
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from annotate.models import Article, Membership
from annotate.services import annotating

from ..factories import make_assignment, make_user
from .conftest import SCREENSHOTS
from .helpers import click_text, session_cookie
from .seed import SEED_EXTERNAL_ID, annotate_seed_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_workspace_screenshot_of_an_annotated_seed_article(page, context, live_server):
    call_command("loaddata", "demo_project", verbosity=0)
    article = Article.objects.get(external_id=SEED_EXTERNAL_ID)
    alice = make_user("alice")
    Membership.objects.create(project=article.project, user=alice, role=Membership.Role.ANNOTATOR)
    assignment = make_assignment(article, alice)
    layer = annotating.open_layer(assignment=assignment)
    seeded = annotate_seed_article(layer)

    context.add_cookies([session_cookie(alice, live_server.url)])
    page.set_viewport_size({"width": 1440, "height": 1080})
    page.goto(f"/work/{assignment.pk}/")
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("[data-article-text] [data-span-id]:not([data-part])").count() == layer.spans.count()

    # Show the interview part with the direct quote selected in the inspector.
    page.locator(".doc").evaluate("""doc => {
      const heading = [...doc.querySelectorAll('[data-article-text] p')]
        .find(p => p.textContent === 'Important position');
      doc.scrollBy(0, heading.getBoundingClientRect().top - 150);
    }""")
    click_text(page, "this position is embodied")
    page.mouse.move(5, 500)
    inspector = page.locator('[data-panel="inspector"]')
    assert f"#{seeded['selected'].pk}" in inspector.inner_text()
    assert inspector.locator('[aria-pressed="true"][data-attr="quote_type"]').inner_text() == "direct"

    save(page, "workspace.png")

    # The stances, with the first one hovered: its holder and evidence light up in the text.
    page.locator('[data-panel="sources"] > summary').click()
    page.locator('[data-panel="relations"] > summary').click()
    stance = page.locator("[data-stance]").first
    stance.scroll_into_view_if_needed()
    stance.hover()
    assert page.locator("[data-article-text] .is-hover").count() >= 2
    save(page, "workspace-stances.png")


def save(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / name
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 50_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, DOCS / name)
