"""A span flagged by re-anchoring, in a real browser: marked in the text, its old text in the inspector, and
Confirm keeps it where it is with the corrected text (saved, recorded, the flag gone)."""
import pytest

from annotate.models import Assignment, Span
from annotate.services import annotating
from annotate.services.reanchoring import reanchor_article

from ..factories import make_article
from .helpers import click_text, session_cookie, wait_saved
from .test_workspace import annotator, open_workspace  # noqa: F401 - the persona fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OLD = "🌍 Bourita said the plan \"is serius and credible\" on Monday.\n\nقال بوريطة إن الخطة جادة"
NEW = "Updated. " + OLD.replace("serius", "serious")
QUOTE = '"is serius and credible"'


@pytest.fixture
def flagged(context, live_server, annotator):  # noqa: F811 - the persona fixture imported above
    article = make_article(annotator.memberships.get().project, text=OLD)
    assignment = Assignment.objects.create(article=article, annotator=annotator)
    layer = annotating.open_layer(assignment=assignment)
    start = OLD.index(QUOTE)
    quote = annotating.add_span(annotation=layer, expected_version=layer.version, label="QUOTE", start=start,
                                end=start + len(QUOTE))
    source = annotating.add_span(annotation=layer, expected_version=layer.version, label="SOURCE",
                                 start=OLD.index("Bourita"), end=OLD.index("Bourita") + 7)
    reanchor_article(article=article, new_text=NEW)
    context.add_cookies([session_cookie(annotator, live_server.url)])
    return f"/work/{assignment.pk}/", Span.objects.get(pk=quote.pk), Span.objects.get(pk=source.pk)


def test_a_flagged_span_shows_its_old_text_and_is_confirmed(page, flagged):
    url, quote, source = flagged
    assert quote.needs_review and not source.needs_review
    open_workspace(page, url)
    assert page.locator(f'[data-span-id="{quote.pk}"][data-needs-review]').count() >= 1
    assert page.locator(f'[data-span-id="{source.pk}"][data-needs-review]').count() == 0

    click_text(page, "serious and")
    assert page.locator("[data-old-text]").inner_text() == QUOTE
    page.click('[data-action="confirm-span"]')
    wait_saved(page)
    quote.refresh_from_db()
    assert (quote.needs_review, quote.text) == (False, NEW[quote.start:quote.end])
    assert "serious" in quote.text
    assert page.locator("[data-flagged]").count() == 0
    assert page.locator(f'[data-span-id="{quote.pk}"][data-needs-review]').count() == 0
