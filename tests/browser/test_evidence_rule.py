"""The submit dialog applies the project's rule for stances without evidence, as the server does."""
import pytest

from annotate.models import Annotation, Assignment, Membership, Project
from annotate.services import annotating

from ..factories import make_article, make_project, make_user
from .helpers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TARGET = "Moroccan sovereignty over Western Sahara"
TEXT = "France backs the plan, the minister said."


def layer_with_a_stance_without_evidence(rule: str):
    project = make_project("demo", name="Demo project", targets=[TARGET])
    Project.objects.filter(pk=project.pk).update(stance_evidence=rule)
    user = make_user("anna")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    assignment = Assignment.objects.create(article=make_article(project, text=TEXT), annotator=user)
    layer = annotating.open_layer(assignment=assignment)
    france = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=0, end=6)
    annotating.add_stance(annotation=layer, expected_version=2, holder_span=france, target=TARGET, polarity="favor")
    return user, assignment, layer


def open_submit_dialog(page, context, live_server, user, assignment):
    context.add_cookies([session_cookie(user, live_server.url)])
    page.goto(f"/work/{assignment.pk}/")
    page.wait_for_selector("body[data-ready=true]")
    page.click('[data-action="submit"]')
    assert "has no evidence" in page.locator("[data-gaps]").inner_text()


def test_where_evidence_is_expected_the_dialog_is_the_confirmation(page, context, live_server):
    user, assignment, layer = layer_with_a_stance_without_evidence(Project.Evidence.CONFIRM)
    open_submit_dialog(page, context, live_server, user, assignment)
    assert page.locator("[data-evidence-required]").count() == 0
    page.click('[data-action="confirm-submit"]')
    page.wait_for_selector("[data-all-done]")
    assert Annotation.objects.get(pk=layer.pk).status == "submitted"


def test_where_evidence_is_required_the_dialog_cannot_submit(page, context, live_server):
    user, assignment, layer = layer_with_a_stance_without_evidence(Project.Evidence.REQUIRED)
    open_submit_dialog(page, context, live_server, user, assignment)
    assert "requires evidence" in page.locator("[data-evidence-required]").inner_text()
    assert page.locator('[data-action="confirm-submit"]').is_disabled()
    assert Annotation.objects.get(pk=layer.pk).status == "in_progress"
