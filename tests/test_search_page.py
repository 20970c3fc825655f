"""The Search page (issue 15): hits in context, escaped; the syntax error's caret; pages; who sees what;
the bulk form (preview, commit, undo) for reviewers; a bounded number of queries."""
import re

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import BulkOperation, Span
from annotate.services import annotating

from .factories import make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db

TRICKY = "The <b>Polisario</b> Front & friends said the plan fails. Another sentence."
PLAIN = "Rabat backs the plan. The plan is serious."


def page(user, slug, **params):
    client = Client()
    client.force_login(user)
    return client.get(reverse("annotate:search", args=[slug]), params)


@pytest.fixture
def world(project, annotator_a, annotator_b, reviewer, manager):
    tricky = make_article(project, text=TRICKY, language="en", title="<i>Tricky</i>")
    plain = make_article(project, text=PLAIN, language="en")
    assignment = make_assignment(tricky, annotator_a)
    layer_a = annotating.open_layer(assignment=assignment)
    start = TRICKY.index("the plan")
    annotating.add_span(annotation=layer_a, expected_version=1, label="QUOTE", start=start, end=start + 8)
    layer_b = annotating.open_layer(assignment=make_assignment(plain, annotator_b))
    annotating.add_span(annotation=layer_b, expected_version=1, label="QUOTE", start=0, end=5)
    return dict(project=project, tricky=tricky, plain=plain, assignment=assignment, layer_a=layer_a,
                layer_b=layer_b, anna=annotator_a, ben=annotator_b, rita=reviewer, max=manager)


def test_hits_are_shown_in_their_sentence_highlighted_and_escaped(world):
    response = page(world["rita"], world["project"].slug, q="fails")
    assert response.status_code == 200
    html = response.content.decode()
    # The sentence with the hit marked; the article's markup-like text escaped, never rendered.
    assert "The &lt;b&gt;Polisario&lt;/b&gt; Front &amp; friends said the plan <mark>fails</mark>." in html
    assert "<b>Polisario</b>" not in html
    assert "Another sentence" not in html  # the context is the hit's sentence
    assert reverse("review:article", args=[world["tricky"].pk]) in html  # reviewers open the review page
    assert 'data-layer>article text<' in html


def test_item_hits_name_their_layer_and_annotator(world):
    html = page(world["rita"], world["project"].slug, q="label:QUOTE").content.decode()
    assert html.count("data-hit ") == 2
    assert "anna’s layer" in html and "ben’s layer" in html
    assert "span · QUOTE" in html


def test_an_annotator_sees_only_their_own_and_opens_their_workspace(world):
    html = page(world["anna"], world["project"].slug, q="label:QUOTE").content.decode()
    assert html.count("data-hit ") == 1 and "ben’s layer" not in html
    assert reverse("annotate:workspace", args=[world["assignment"].pk]) in html
    assert "Annotate all hits" not in html  # the bulk form is for reviewers and managers
    # ben's article is not anna's: its text does not turn up either.
    html = page(world["anna"], world["project"].slug, q="Rabat").content.decode()
    assert "data-hit " not in html and 'data-count="0"' in html


def test_a_syntax_error_is_shown_with_a_caret_under_its_position(world):
    q = 'plan AND ("autonomy'
    response = page(world["rita"], world["project"].slug, q=q)
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(r'data-position="(\d+)"', html)
    assert match, html
    position = int(match.group(1))
    caret = re.search(r'<span class="caret-mark">( *)\^</span>', html)
    assert caret and len(caret.group(1)) == position
    assert f"at position {position}" in html
    assert "&quot;autonomy" in html  # the query echoed, escaped


def test_hits_are_paged_with_a_cursor(world, monkeypatch):
    from web.views import search as view
    monkeypatch.setattr(view, "PAGE_SIZE", 2)
    first = page(world["rita"], world["project"].slug, q="plan").content.decode()
    assert first.count("data-hit ") == 2
    next_url = re.search(r'href="\?([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    client = Client()
    client.force_login(world["rita"])
    second = client.get(reverse("annotate:search", args=[world["project"].slug]) + "?" + next_url).content.decode()
    assert second.count("data-hit ") == 1 and 'rel="next"' not in second
    assert "First page" in second


def test_articles_mode_lists_articles_with_their_hits(world):
    html = page(world["rita"], world["project"].slug, q="plan", mode="articles").content.decode()
    assert html.count("<tr data-article") == 2


def test_the_page_is_linked_from_the_navigation(world):
    client = Client()
    client.force_login(world["anna"])
    my_work = client.get(reverse("annotate:my-work")).content.decode()
    assert reverse("annotate:search", args=[world["project"].slug]) in my_work
    client.force_login(world["rita"])
    review = client.get(reverse("review:index", args=[world["project"].slug])).content.decode()
    assert reverse("annotate:search", args=[world["project"].slug]) in review


def test_outsiders_get_404(world, outsider):
    assert page(outsider, world["project"].slug, q="plan").status_code == 404


def test_the_page_has_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    for i in range(30):
        make_article(world["project"], text=f"Article {i} on the plan.", language="en")
    client = Client()
    client.force_login(world["rita"])
    url = reverse("annotate:search", args=[world["project"].slug])
    # The session and user, the project and role, the search (vocabulary look-ups, count, a batch of
    # articles and their items), and the bulk form's labels, sources and operations.
    with django_assert_max_num_queries(16):
        response = client.get(url, {"q": "plan"})
    assert response.content.decode().count("data-hit ") == 25
    # An annotator's item query: session, user, project, role (the page's and the compiler's), labels and
    # relation types named, the count (articles, layers, items), the page (articles, rows, layers, items) and
    # her assignments for the links.
    client.force_login(world["anna"])
    with django_assert_max_num_queries(15):
        client.get(url, {"q": "label:QUOTE"})


def test_bulk_preview_commit_and_undo_from_the_page(world):
    source = make_entity(world["project"], "Rabat")
    client = Client()
    client.force_login(world["rita"])
    url = reverse("review:search-annotate", args=[world["project"].slug])
    form = {"q": "plan", "label": "CLAIM", "entity": str(source.pk), "into": "layers"}
    preview = client.post(url, {**form, "action": "preview"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'data-preview-hits>3<' in html and 'data-preview-new>3<' in html
    assert not BulkOperation.objects.exists()
    client_id = re.search(r'name="client_id" value="([^"]+)"', html).group(1)
    commit = client.post(url, {**form, "action": "commit", "client_id": client_id})
    assert commit.status_code == 302
    again = client.post(url, {**form, "action": "commit", "client_id": client_id})  # a second click
    assert again.status_code == 302
    operation = BulkOperation.objects.get()
    assert Span.objects.filter(label__name="CLAIM").count() == 3
    listed = client.get(commit["Location"]).content.decode()
    assert f'data-operation="{operation.pk}"' in listed and "Added 3 spans in 2 layers" in listed
    undo = client.post(reverse("review:search-undo", args=[world["project"].slug, operation.pk]), {"q": "plan"})
    assert undo.status_code == 302
    assert not Span.objects.filter(label__name="CLAIM").exists()


def test_bulk_errors_come_back_as_messages(world):
    client = Client()
    client.force_login(world["rita"])
    url = reverse("review:search-annotate", args=[world["project"].slug])
    response = client.post(url, {"q": "label:QUOTE", "label": "CLAIM", "into": "layers", "action": "preview"},
                           follow=True)
    assert "free text" in response.content.decode()


def test_annotators_cannot_bulk_annotate(world):
    client = Client()
    client.force_login(world["anna"])
    url = reverse("review:search-annotate", args=[world["project"].slug])
    assert client.post(url, {"q": "plan", "label": "CLAIM", "into": "layers"}).status_code == 403
