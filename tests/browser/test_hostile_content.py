"""Hostile text is shown as text everywhere: no script runs, no markup is injected.

Titles, texts, captions, entity names, guidelines, label descriptions and review comments carry a
<script>, an <img onerror>, a javascript: link and template syntax. Every page that shows them
(workspace, My work, review, dashboard, stance map, sources, admin) is opened in a real browser,
which fails the test if a script runs (a flag or a dialog), if any payload became an element, or
if the payload is not visible as plain text.
"""
import pytest
from django.urls import reverse

from annotate.models import Membership
from annotate.services import annotating
from annotate.services.review import return_to_annotator

from ..factories import make_article, make_assignment, make_entity, make_project, make_user
from .helpers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = "<script>window.__pwned='script'</script>"
IMAGE = "<img src=x onerror=\"window.__pwned='img'\">"
LINK = "<a href=\"javascript:window.__pwned='link'\">click</a>"
TEMPLATE = "{{ 7|add:35 }}{% now 'Y' %}"
HOSTILE = f"{SCRIPT} {IMAGE} {LINK} {TEMPLATE}"

INJECTED = """() => {
  const bad = [...document.querySelectorAll('img[src="x"], a[href^="javascript:"]')].map(e => e.outerHTML);
  for (const s of document.querySelectorAll('script:not([src])')) {
    if (s.type !== 'application/json' && s.textContent.includes('__pwned')) bad.push(s.outerHTML);
  }
  return bad;
}"""


@pytest.fixture
def hostile_world():
    project = make_project("hostile", guidelines=f"# Rules {HOSTILE}",
                           targets=[f"Target {SCRIPT}"])
    label = project.labels.get(name="CLAIM")
    label.description = HOSTILE
    label.save()
    annotator, reviewer, admin = make_user("anna"), make_user("rita"), make_user("root", is_staff=True,
                                                                                is_superuser=True)
    Membership.objects.create(project=project, user=annotator, role="annotator")
    Membership.objects.create(project=project, user=reviewer, role="reviewer")
    text = f"Officials said {HOSTILE} today. France backs the plan."
    article = make_article(project, title=f"Title {HOSTILE}", caption=f"Caption {HOSTILE}", text=text,
                           outlet=f"Outlet {IMAGE}")
    assignment = make_assignment(article, annotator)
    layer = annotating.open_layer(assignment=assignment)
    entity = make_entity(project, f"Source {HOSTILE}", description=f"Role {IMAGE}")
    start = text.index("<script>")
    holder = annotating.add_span(annotation=layer, expected_version=1, label="SOURCE", start=text.index("France"),
                                 end=text.index("France") + 6, entity=entity)
    claim = annotating.add_span(annotation=layer, expected_version=2, label="CLAIM", start=start,
                                end=start + len(HOSTILE), attributes={"note": HOSTILE})
    annotating.add_stance(annotation=layer, expected_version=3, holder_span=holder, target=f"Target {SCRIPT}",
                          polarity="favor", evidence=[claim])
    annotating.submit(annotation=layer, expected_version=4)
    sent_back = annotating.open_layer(assignment=make_assignment(
        make_article(project, title=f"Second {SCRIPT}", text="Rabat said so."), annotator))
    annotating.submit(annotation=sent_back, expected_version=1)
    return_to_annotator(annotation=sent_back, reviewer=reviewer, comment=f"Comment {HOSTILE}")
    return {"project": project, "article": article, "assignment": assignment, "layer": layer, "entity": entity,
            "annotator": annotator, "reviewer": reviewer, "admin": admin}


def visit(page, path, *, shows=("<script>",)):
    fired = []
    page.on("dialog", lambda dialog: (fired.append(dialog.message), dialog.dismiss()))
    response = page.goto(path)
    assert response.status < 400, (path, response.status)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__pwned") is None, f"a script ran on {path}"
    assert fired == [], f"a dialog opened on {path}"
    assert page.evaluate(INJECTED) == [], f"markup was injected on {path}"
    body = page.inner_text("body")
    for fragment in shows:
        assert fragment in body, f"{fragment!r} is not shown as text on {path}"


def test_hostile_text_is_inert_on_every_page(context, live_server, hostile_world):
    world = hostile_world
    project, article = world["project"], world["article"]
    as_user = lambda user: (context.clear_cookies(), context.add_cookies([session_cookie(user, live_server.url)]))  # noqa: E731 - switches the browser's user

    as_user(world["annotator"])
    page = context.new_page()
    visit(page, reverse("annotate:my-work"), shows=(SCRIPT,))  # the review comment, sent back
    visit(page, reverse("annotate:workspace", args=[world["assignment"].pk]),
          shows=("Title <script>", "Caption <script>", "{{ 7|add:35 }}"))

    as_user(world["reviewer"])
    visit(page, reverse("review:article", args=[article.pk]), shows=("Title <script>",))
    visit(page, reverse("review:index", args=[project.slug]), shows=("Title <script>",))
    visit(page, reverse("review:dashboard", args=[project.slug]), shows=())
    visit(page, reverse("review:stances", args=[project.slug]), shows=("Source <script>",))
    visit(page, reverse("review:sources", args=[project.slug]), shows=("Source <script>",))
    visit(page, reverse("review:source", args=[project.slug, world["entity"].pk]), shows=("Source <script>",))

    as_user(world["admin"])
    for path in (reverse("admin:annotate_article_changelist"),
                 reverse("admin:annotate_article_change", args=[article.pk]),
                 reverse("admin:annotate_entity_changelist"),
                 reverse("admin:annotate_annotation_change", args=[world["layer"].pk]),
                 reverse("admin:annotate_project_change", args=[project.pk])):
        visit(page, path, shows=())


def test_exports_are_data_not_pages(context, live_server, hostile_world):
    """An export opened in the browser is served as data (no HTML sniffing), so it cannot run either."""
    world = hostile_world
    context.add_cookies([session_cookie(world["reviewer"], live_server.url)])
    page = context.new_page()
    for fmt in ("jsonl", "csv"):
        response = page.request.get(reverse(f"api:export-{fmt}", args=[world["project"].slug]) + "?status=all")
        assert response.status == 200
        assert "html" not in response.headers["content-type"]
        assert response.headers["x-content-type-options"] == "nosniff"
