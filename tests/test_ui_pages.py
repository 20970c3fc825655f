"""The annotator's pages: login, My work, the next-article hook, the workspace page, the account page."""
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from annotate.models import Assignment, Membership
from annotate.services import annotating

from .factories import (
    make_article,
    make_assignment,
    make_layer_with_spans,
    make_member,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db


def logged_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def state_of(response) -> dict:
    """The workspace's initial state, as the page's json_script hands it to the ES modules."""
    match = re.search(rb'<script id="workspace-state" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "no json_script state in the page"
    return json.loads(match.group(1))


# Login ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,args", [("annotate:my-work", []), ("annotate:workspace", [1]),
                                       ("annotate:next-article", ["demo"]), ("annotate:account", [])])
def test_pages_need_a_login(client, project, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('annotate:login')}?next={url}"


def test_login_lands_on_my_work_and_logout_is_a_post(client, annotator_a):
    page = client.get(reverse("annotate:login"))
    assert page.status_code == 200 and b'name="username"' in page.content
    response = client.post(reverse("annotate:login"), {"username": "anna", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == reverse("annotate:my-work")
    assert client.get(reverse("annotate:my-work")).status_code == 200
    assert client.get(reverse("annotate:logout")).status_code == 405  # a link cannot log you out
    assert client.post(reverse("annotate:logout"))["Location"] == reverse("annotate:login")
    assert client.get(reverse("annotate:my-work")).status_code == 302


def test_wrong_password_says_so(client, annotator_a):
    response = client.post(reverse("annotate:login"), {"username": "anna", "password": "nope"})
    assert response.status_code == 200 and b"form-errors" in response.content


# The workspace page ---------------------------------------------------------------------------


def test_workspace_opens_the_layer_and_hands_the_state_to_the_scripts(project, annotator_a):
    article = make_article(project, title="Dati in Laayoune", outlet="Asharq Al-Awsat", caption="A photo",
                           text="French Minister 🌍 Rachida Dati said it.\n\nقال الوزير")
    assignment = make_assignment(article, annotator_a)
    response = logged_in(annotator_a).get(reverse("annotate:workspace", args=[assignment.pk]))
    assert response.status_code == 200
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.IN_PROGRESS  # open_layer started it
    html = response.content.decode()
    assert "data-article-text" in html and 'dir="auto"' in html
    assert 'data-label-button="SOURCE" data-hotkey="s"' in html
    assert '<script type="module" src="/static/js/workspace.js">' in html
    # No inline script with code: only the JSON state block and module files.
    assert re.findall(r"<script(?![^>]*(?:type=\"module\" src=|type=\"application/json\"))", html) == []
    state = state_of(response)
    assert state["article"]["text"] == article.text and state["article"]["outlet"] == "Asharq Al-Awsat"
    assert state["layer"]["version"] == 1 and state["layer"]["spans"] == [] and state["editable"] is True
    assert [label["name"] for label in state["project"]["labels"]][:2] == ["CLAIM", "SOURCE"]
    assert state["urls"] == {"api": "/api/v1/", "next": "/projects/demo/next/", "my_work": "/"}


def test_user_text_is_escaped_everywhere(project, annotator_a):
    evil = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"
    project.guidelines = evil
    project.save()
    assignment = make_assignment(make_article(project, title=evil, caption=evil, text=f"Text {evil} end."), annotator_a)
    html = logged_in(annotator_a).get(reverse("annotate:workspace", args=[assignment.pk])).content.decode()
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # autoescaped title, caption and text
    assert "\\u003Cimg src=x" in html  # json_script escapes the state


def test_another_users_workspace_does_not_exist(project, annotator_a, annotator_b, reviewer):
    assignment = make_assignment(make_article(project), annotator_a)
    url = reverse("annotate:workspace", args=[assignment.pk])
    assert logged_in(annotator_b).get(url).status_code == 404
    # A reviewer may read the layer through the API, but the workspace is the annotator's own.
    assert logged_in(reviewer).get(url).status_code == 404
    assert logged_in(annotator_a).get(url).status_code == 200


def test_a_submitted_article_opens_read_only(project, annotator_a):
    assignment = make_assignment(make_article(project), annotator_a)
    layer = annotating.open_layer(assignment=assignment)
    annotating.submit(annotation=layer, expected_version=layer.version)
    response = logged_in(annotator_a).get(reverse("annotate:workspace", args=[assignment.pk]))
    assert state_of(response)["editable"] is False


def test_workspace_queries_do_not_grow_with_the_spans(project, annotator_a):
    small, large = (make_layer_with_spans(project, annotator_a, n).article.assignments.get() for n in (5, 70))
    client = logged_in(annotator_a)
    counts = []
    for assignment in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("annotate:workspace", args=[assignment.pk]))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], "\n".join(q["sql"] for q in queries)
    assert len(state_of(response)["layer"]["spans"]) == 70
    # session, user, assignment (access check), open_layer (savepoint, layer, release), the layer with
    # article and project + spans + relations + stances + evidence, the project with the caller's role
    # + labels + relation types + targets + polarities + article questions, the layer's article-level
    # answers, the entities the layer mentions: 19.
    assert counts[1] <= 19


# My work ----------------------------------------------------------------------------------------


def give(project, user, statuses):
    for status in statuses:
        extra = {"skip_reason": "off topic"} if status == "skipped" else {}
        make_assignment(make_article(project), user, status=status, **extra)


def test_my_work_counts_my_assignments_by_status(project, annotator_a, annotator_b):
    give(project, annotator_a,
         ["assigned", "in_progress", "in_progress", "submitted", "submitted", "submitted", "skipped"])
    give(project, annotator_b, ["submitted", "assigned"])  # not hers
    response = logged_in(annotator_a).get(reverse("annotate:my-work"))
    assert response.status_code == 200
    [entry] = response.context["projects"]
    assert entry.counts == {"assigned": 1, "in_progress": 2, "submitted": 3, "skipped": 1}
    assert (entry.done, entry.total) == (4, 7)
    assert [a.status for a in entry.open] == ["in_progress", "in_progress", "assigned"]
    html = response.content.decode()
    assert '<span class="n" data-count="submitted">3</span>' in html
    assert html.count('href="/work/') == 6  # open and submitted work link back into the workspace
    assert f'action="{reverse("annotate:next-article", args=[project.slug])}"' in html


def test_my_work_queries_do_not_grow_with_the_assignments(project, annotator_a, django_assert_max_num_queries):
    client = logged_in(annotator_a)
    give(project, annotator_a, ["assigned", "submitted"])
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("annotate:my-work"))
    give(project, annotator_a, ["assigned", "in_progress", "submitted", "skipped"] * 15)
    # session, user, projects with my role, counts by (project, status), newest per (project, status),
    # open threads on my layers, open threads mentioning me (and their number, when the list is full)
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("annotate:my-work"))
    assert len(few) <= 7
    [entry] = response.context["projects"]
    assert entry.total == 62 and len(entry.submitted) == 10  # the list is capped; the counts are not


def test_my_work_lists_only_my_projects(project, annotator_a):
    elsewhere = make_project("elsewhere")
    response = logged_in(annotator_a).get(reverse("annotate:my-work"))
    assert [entry.project.slug for entry in response.context["projects"]] == ["demo"]
    assert elsewhere.slug.encode() not in response.content


# Next article ----------------------------------------------------------------------------------


def test_next_takes_an_article_and_redirects_to_its_workspace(project, annotator_a):
    first, second = make_article(project), make_article(project)
    client = logged_in(annotator_a)
    url = reverse("annotate:next-article", args=[project.slug])
    response = client.post(url)
    taken = Assignment.objects.get(annotator=annotator_a)
    assert taken.article == first
    assert response.status_code == 302 and response["Location"] == reverse("annotate:workspace", args=[taken.pk])
    assert client.get(url)["Location"] == response["Location"]  # GET works and resumes open work
    Assignment.objects.filter(pk=taken.pk).update(status="submitted")
    response = client.post(url)
    new = Assignment.objects.get(annotator=annotator_a, article=second)
    assert response["Location"] == reverse("annotate:workspace", args=[new.pk])


def test_next_says_all_done_when_nothing_is_left(project, annotator_a):
    give(project, annotator_a, ["submitted"])
    response = logged_in(annotator_a).get(reverse("annotate:next-article", args=[project.slug]))
    assert response.status_code == 200
    assert b"data-all-done" in response.content and b"All done" in response.content


def test_next_is_for_annotating_members(project, outsider):
    assert logged_in(outsider).get(reverse("annotate:next-article", args=[project.slug])).status_code == 404
    engineer = make_member(project, make_user("eve"), role=Membership.Role.ENGINEER)
    assert logged_in(engineer).get(reverse("annotate:next-article", args=[project.slug])).status_code == 403


# Account ----------------------------------------------------------------------------------------


def test_account_shows_and_regenerates_the_api_token(annotator_a):
    client = logged_in(annotator_a, enforce_csrf_checks=True)
    page = client.get(reverse("annotate:account"))
    assert b"data-no-token" in page.content
    url = reverse("annotate:account-token")
    assert client.post(url).status_code == 403  # no CSRF token: refused
    assert not Token.objects.filter(user=annotator_a).exists()
    csrf = page.cookies["csrftoken"].value
    assert client.post(url, {"csrfmiddlewaretoken": csrf})["Location"] == reverse("annotate:account")
    first = Token.objects.get(user=annotator_a).key
    assert first in client.get(reverse("annotate:account")).content.decode()
    client.post(url, {"csrfmiddlewaretoken": csrf})
    second = Token.objects.get(user=annotator_a).key
    assert second != first
    assert client.get(url).status_code == 405  # GET never rotates the token


def test_password_change(annotator_a):
    client = logged_in(annotator_a)
    assert client.get(reverse("annotate:password-change")).status_code == 200
    response = client.post(reverse("annotate:password-change"), {
        "old_password": "pw", "new_password1": "a-much-longer-pass-42", "new_password2": "a-much-longer-pass-42"})
    assert response.status_code == 302 and response["Location"] == reverse("annotate:account")
    annotator_a.refresh_from_db()
    assert annotator_a.check_password("a-much-longer-pass-42")
    assert client.get(reverse("annotate:account")).status_code == 200  # still logged in


def test_every_workspace_module_is_preloaded():
    """The preload list is the workspace's import graph: a module missing from it still works, only slower."""
    import posixpath
    from pathlib import Path

    from web.views.workspace import MODULES

    static = Path(__file__).resolve().parent.parent / "static"
    graph, todo = set(), ["js/workspace.js"]
    while todo:
        module = todo.pop()
        if module not in graph:
            graph.add(module)
            for imported in re.findall(r'^import .* from "(\.{1,2}/[^"]+)";$', (static / module).read_text(), re.M):
                todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(module), imported)))
    assert graph == set(MODULES)
