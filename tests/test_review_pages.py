"""The reviewer's pages: review index and article review, dashboard, stance map and evidence, source registry.

Who sees what (anonymous → login, outsider → 404, annotator → 403, reviewer and manager → 200), what the
pages show, that their query counts do not grow with the data, and that hostile names stay text.
"""
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate import dashboards
from annotate.models import Annotation, Entity, Membership, Span, Stance, StanceTarget
from annotate.services import annotating
from annotate.services.review import adjudicate, start_gold

from .factories import make_article, make_assignment, make_entity, make_member

pytestmark = pytest.mark.django_db
TEXT = "Bellouan said the plan works. France backs the plan. Spain agreed!"
T1 = "Moroccan sovereignty over Western Sahara"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def span(layer, label, fragment, **extra):
    start = layer.article.text.index(fragment)
    return annotating.add_span(annotation=layer, expected_version=layer.version, label=label, start=start,
                               end=start + len(fragment), **extra)


def annotated(article, user, *, quote="the plan works", polarity="favor", link=True, days_ago=0, claim=False):
    """A submitted layer: a linked SOURCE, a QUOTE attributed to it, France's stance with its evidence."""
    project = article.project
    layer = annotating.open_layer(assignment=make_assignment(article, user))
    bellouan = Entity.objects.get_or_create(project=project, name="Hassan Bellouan")[0]
    france = Entity.objects.get_or_create(project=project, name="France")[0]
    source = span(layer, "SOURCE", "Bellouan", entity=bellouan if link else None)
    said = span(layer, "QUOTE", quote)
    annotating.add_relation(annotation=layer, expected_version=layer.version, type="ATTRIBUTED_TO", from_span=said,
                            to_span=source)
    holder = span(layer, "SOURCE", "France", entity=france)
    evidence = span(layer, "STANCE_EVIDENCE", "backs the plan")
    if claim:
        span(layer, "CLAIM", "backs the plan")  # same text as the evidence, another label
    annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=holder, target=T1,
                          polarity=polarity, evidence=[evidence])
    annotating.submit(annotation=layer, expected_version=layer.version)
    if days_ago:
        when = timezone.now() - timezone.timedelta(days=days_ago)
        layer.article.assignments.filter(annotator=user).update(started_at=when - timezone.timedelta(minutes=12),
                                                                finished_at=when)
    layer.refresh_from_db()
    return layer


def corpus(project, users, n_articles, *, offset=0):
    """n articles, each annotated by every user, disagreeing the same ways (quote bounds, polarity, a link)."""
    articles = []
    for i in range(n_articles):
        article = make_article(project, text=TEXT, title=f"Article {offset + i}")
        for k, user in enumerate(users):
            annotated(article, user, quote="the plan works" if k == 0 else "the plan",
                      polarity="favor" if k == 0 else "against", link=k == 0, days_ago=i % 3, claim=k == 1)
        articles.append(article)
    return articles


@pytest.fixture
def reviewed(project, annotator_a, annotator_b):
    """One article with anna's and ben's submitted layers, which differ."""
    [article] = corpus(project, [annotator_a, annotator_b], 1)
    return article


def pages(project, article):
    entity = Entity.objects.filter(project=project).order_by("pk").first()
    other = Entity.objects.filter(project=project).exclude(pk=entity.pk).first()
    return [
        reverse("review:index", args=[project.slug]),
        reverse("review:article", args=[article.pk]),
        reverse("review:dashboard", args=[project.slug]),
        reverse("review:stances", args=[project.slug]),
        reverse("review:stance-evidence", args=[project.slug]) + f"?holder=France&target={T1}",
        reverse("review:sources", args=[project.slug]),
        reverse("review:source", args=[project.slug, entity.pk]),
        reverse("review:merge-source", args=[project.slug, entity.pk]) + f"?absorb={other.pk}",
    ]


# Who sees what ------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(reviewed, project):
    for url in pages(project, reviewed):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("annotate:login")), url


def test_outsiders_get_404_and_annotators_403(reviewed, project, outsider, annotator_a):
    for url in pages(project, reviewed):
        assert logged_in(outsider).get(url).status_code == 404, url
        # anna is a member and was assigned the article: she learns it exists, not what others did.
        assert logged_in(annotator_a).get(url).status_code == 403, url


def test_an_annotator_not_assigned_the_article_does_not_see_it(reviewed, project):
    stranger = make_member(project)
    assert logged_in(stranger).get(reverse("review:article", args=[reviewed.pk])).status_code == 404


def test_reviewers_managers_and_superusers_see_every_page(reviewed, project, reviewer, manager, superuser):
    start_gold(article=reviewed, reviewer=reviewer)
    for user in (reviewer, manager, superuser):
        client = logged_in(user)
        for url in pages(project, reviewed) + [reverse("review:edit-gold", args=[reviewed.pk])]:
            response = client.get(url)
            assert response.status_code == 200, (user.username, url)
            assert b"<script>" not in response.content  # strict CSP: no inline script on any page


def test_engineers_read_exports_but_do_not_review(reviewed, project):
    engineer = make_member(project, role=Membership.Role.ENGINEER)
    assert logged_in(engineer).get(reverse("review:dashboard", args=[project.slug])).status_code == 403


# The review page --------------------------------------------------------------------------------------


def test_review_page_shows_every_kind_of_difference(reviewed, reviewer):
    html = logged_in(reviewer).get(reverse("review:article", args=[reviewed.pk])).content.decode()
    for conflict in ("boundary", "label", "source", "polarity"):
        assert f'data-conflict="{conflict}"' in html, conflict
    assert "only some" in html  # anna's longer quote, ben's CLAIM
    assert re.search(r'<span class="mark who-0"[^>]*>favor</span>', html)
    assert re.search(r'<span class="mark who-1"[^>]*>against</span>', html)
    assert 'data-action="start-gold" data-source=""' in html  # no gold yet: start it
    assert 'class="seg seg-diff' in html and 'class="u u0"' in html and 'class="u u1"' in html
    assert 'id="review-state"' in html and 'src="/static/js/review.js"' in html


def test_gold_rows_show_provenance_and_the_reviewer(reviewed, reviewer):
    gold = start_gold(article=reviewed, reviewer=reviewer)  # agreed items only
    assert gold.spans.filter(label__name="SOURCE", text="France").exists()
    html = logged_in(reviewer).get(reverse("review:article", args=[reviewed.pk])).content.decode()
    assert "from anna, ben" in html
    assert '<strong data-reviewer>rita</strong>' in html
    assert 'data-action="adjudicate"' in html and 'data-action="reject"' in html
    assert "Accept anna’s" in html and "Accept ben’s" in html  # the two polarities of France's stance
    assert reverse("review:edit-gold", args=[reviewed.pk]) in html


def test_gold_opens_in_the_workspace_with_submit_and_skip_hidden(reviewed, reviewer):
    gold = start_gold(article=reviewed, reviewer=reviewer)
    response = logged_in(reviewer).get(reverse("review:edit-gold", args=[reviewed.pk]))
    html = response.content.decode()
    state = re.search(r'<script id="workspace-state" type="application/json">(.*?)</script>', html, re.DOTALL).group(1)
    assert f'"id": {gold.pk}' in state and '"editable": true' in state and '"is_gold": true' in state
    assert re.search(r'data-action="submit" hidden', html) and re.search(r'data-action="skip" hidden', html)


def test_gold_cannot_be_edited_before_it_exists(reviewed, reviewer):
    assert logged_in(reviewer).get(reverse("review:edit-gold", args=[reviewed.pk])).status_code == 404


def test_review_index_lists_layers_and_gold(project, reviewer, annotator_a, annotator_b):
    done, waiting = corpus(project, [annotator_a, annotator_b], 2)
    gold = start_gold(article=done, reviewer=reviewer)
    adjudicate(gold=gold, expected_version=gold.version, reviewer=reviewer)
    client = logged_in(reviewer)
    html = client.get(reverse("review:index", args=[project.slug])).content.decode()
    assert html.count("anna · submitted") == 2 and 'data-gold-status="adjudicated"' in html
    ready = client.get(reverse("review:index", args=[project.slug]) + "?show=ready").content.decode()
    assert f'data-article="{waiting.pk}"' in ready and f'data-article="{done.pk}"' not in ready


# Dashboard, stance map, sources ------------------------------------------------------------------------


def test_dashboard_draws_progress_agreement_and_labels(project, reviewer, annotator_a, annotator_b):
    corpus(project, [annotator_a, annotator_b], 3)
    html = logged_in(reviewer).get(reverse("review:dashboard", args=[project.slug])).content.decode()
    for title in ("Articles done over time (cumulative)", "Assignments per annotator", "Spans per label",
                  "Span F1 per annotator pair (exact)", "Span F1 per annotator pair (overlap)"):
        assert f"<title>{title}</title>" in html, title
    assert "<polyline" in html and "data-agreement-per-label" in html
    assert "12.0" in html  # median minutes per article


def test_stance_map_cell_counts_and_links_to_the_evidence(project, reviewer, annotator_a, annotator_b):
    corpus(project, [annotator_a, annotator_b], 2)
    client = logged_in(reviewer)
    html = client.get(reverse("review:stances", args=[project.slug])).content.decode()
    link = reverse("review:stance-evidence", args=[project.slug]) + \
        "?holder=France&amp;target=Moroccan+sovereignty+over+Western+Sahara"
    assert f'href="{link}"' in html
    cell = re.search(r'data-holder="France".*?</a>', html, re.DOTALL).group(0)
    assert "<b>2</b> favor" in cell and "<b>2</b> against" in cell
    evidence = client.get(link.replace("&amp;", "&")).content.decode()
    assert evidence.count("data-evidence") == 4
    assert "France backs the plan." in evidence and "anna’s layer" in evidence


def test_a_stance_map_cells_evidence_pages_through_with_next_links(project, reviewer, annotator_a, annotator_b,
                                                                   monkeypatch):
    corpus(project, [annotator_a, annotator_b], 2)
    monkeypatch.setattr(dashboards, "EVIDENCE_PAGE", 3)
    client = logged_in(reviewer)
    url = reverse("review:stance-evidence", args=[project.slug])
    first = client.get(url, {"holder": "France", "target": T1}).content.decode()
    assert first.count("data-evidence") == 3
    more = re.search(r'href="(\?[^"]+)" data-more', first).group(1).replace("&amp;", "&")
    second = client.get(url + more).content.decode()
    assert second.count("data-evidence") == 1 and "data-more" not in second and "First page" in second
    assert client.get(url, {"holder": "France", "target": T1, "after": "x"}).status_code == 404


def test_source_registry_and_detail_list_mentions(project, reviewer, annotator_a, annotator_b):
    corpus(project, [annotator_a, annotator_b], 2)
    client = logged_in(reviewer)
    html = client.get(reverse("review:sources", args=[project.slug])).content.decode()
    france = Entity.objects.get(name="France")
    assert reverse("review:source", args=[project.slug, france.pk]) in html
    detail = client.get(reverse("review:source", args=[project.slug, france.pk])).content.decode()
    for article in project.articles.all():
        assert reverse("review:article", args=[article.pk]) in detail
    assert detail.count("<strong>“France”</strong>") == 4  # two articles, two layers each
    assert "France backs the plan." in detail


def test_merging_two_sources_moves_every_mention_after_a_confirmation(reviewed, project, reviewer, annotator_a):
    keep = Entity.objects.get(name="Hassan Bellouan")
    absorb = make_entity(project, "H. Bellouan")
    mention = Span.objects.filter(label__name="SOURCE", text="Bellouan", entity__isnull=True).first()
    Span.objects.filter(pk=mention.pk).update(entity=absorb)
    before = Span.objects.filter(entity__in=[keep, absorb]).count()
    url = reverse("review:merge-source", args=[project.slug, keep.pk])
    client = logged_in(reviewer)
    confirm = client.get(url, {"absorb": absorb.pk}).content.decode()
    assert 'name="csrfmiddlewaretoken"' in confirm and "Merge into Hassan Bellouan" in confirm
    assert Entity.objects.filter(pk=absorb.pk).exists()  # asking changed nothing
    assert logged_in(annotator_a).post(url, {"absorb": absorb.pk}).status_code == 403
    response = client.post(url, {"absorb": absorb.pk})
    assert response.status_code == 302 and response["Location"] == reverse("review:source",
                                                                           args=[project.slug, keep.pk])
    keep.refresh_from_db()
    assert not Entity.objects.filter(pk=absorb.pk).exists() and keep.aliases == ["H. Bellouan"]
    assert Span.objects.filter(entity=keep).count() == before


def test_merge_needs_csrf(reviewed, project, reviewer):
    keep = Entity.objects.get(name="Hassan Bellouan")
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    url = reverse("review:merge-source", args=[project.slug, keep.pk])
    assert client.post(url, {"absorb": Entity.objects.get(name="France").pk}).status_code == 403
    assert Entity.objects.filter(name="France").exists()


# Query budgets ----------------------------------------------------------------------------------------


def count_queries(client, url) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("name", ["review:index", "review:dashboard", "review:stances", "review:sources"])
def test_list_pages_run_a_fixed_number_of_queries(project, reviewer, annotator_a, annotator_b, name):
    client = logged_in(reviewer)
    url = reverse(name, args=[project.slug])
    corpus(project, [annotator_a, annotator_b], 1)
    client.get(url)  # warm caches (content types, the session)
    small, _ = count_queries(client, url)
    chen = make_member(project, role=Membership.Role.ANNOTATOR)
    corpus(project, [annotator_a, annotator_b, chen], 4, offset=1)
    for i in range(3):
        make_entity(project, f"Extra source {i}")
    gold = start_gold(article=project.articles.first(), reviewer=reviewer)
    adjudicate(gold=gold, expected_version=gold.version, reviewer=reviewer)
    large, queries = count_queries(client, url)
    # Session, user, project and role, then the page's own aggregates: none of them per row.
    assert large == small, "\n".join(queries)


def test_the_article_review_page_runs_a_fixed_number_of_queries(project, reviewer, annotator_a, annotator_b):
    client = logged_in(reviewer)
    [small_article] = corpus(project, [annotator_a, annotator_b], 1)
    start_gold(article=small_article, reviewer=reviewer)
    small, _ = count_queries(client, reverse("review:article", args=[small_article.pk]))
    chen = make_member(project, role=Membership.Role.ANNOTATOR)
    [large_article] = corpus(project, [annotator_a, annotator_b, chen], 1, offset=1)
    layer = Annotation.objects.get(article=large_article, annotator=chen)
    layer.status = Annotation.Status.IN_PROGRESS
    layer.save()
    for fragment in ("Spain", "agreed"):
        span(layer, "CLAIM", fragment)
    layer.status = Annotation.Status.SUBMITTED
    layer.save()
    start_gold(article=large_article, reviewer=reviewer)
    large, queries = count_queries(client, reverse("review:article", args=[large_article.pk]))
    assert large == small, "\n".join(queries)


# Hostile names -----------------------------------------------------------------------------------------


def test_hostile_names_are_shown_as_text_everywhere(project, reviewer, annotator_a, annotator_b):
    hostile_target = StanceTarget.objects.create(project=project, name=IMG)
    articles = corpus(project, [annotator_a, annotator_b], 1)
    article = articles[0]
    article.title = IMG
    article.save()
    villain = make_entity(project, SCRIPT, description=IMG, aliases=[IMG])
    for layer in Annotation.objects.filter(article=article):
        holder = layer.spans.get(label__name="SOURCE", text="France")
        Span.objects.filter(pk=holder.pk).update(entity=villain)
        Stance.objects.create(annotation=layer, holder_entity=villain, target=hostile_target,
                              polarity=project.polarities.get(name="favor"))
    start_gold(article=article, reviewer=reviewer)
    client = logged_in(reviewer)
    france = Entity.objects.get(name="France")
    urls = pages(project, article) + [
        reverse("review:stance-evidence", args=[project.slug]) + "?" + urlencode({"holder": SCRIPT, "target": IMG}),
        reverse("review:source", args=[project.slug, villain.pk]),
        reverse("review:merge-source", args=[project.slug, villain.pk]) + f"?absorb={france.pk}",
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert SCRIPT not in html and IMG not in html, url
    evidence = client.get(reverse("review:stance-evidence", args=[project.slug]),
                          {"holder": SCRIPT, "target": IMG}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in evidence and "&lt;img src=x onerror=alert(1)&gt;" in evidence
    stance_map = client.get(reverse("review:stances", args=[project.slug])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in stance_map
    review = client.get(reverse("review:article", args=[article.pk])).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in review


def test_my_work_links_reviewers_to_the_review_pages(reviewed, project, reviewer, annotator_a):
    link = f'href="{reverse("review:index", args=[project.slug])}" data-review-link'
    assert link in logged_in(reviewer).get(reverse("annotate:my-work")).content.decode()
    assert link not in logged_in(annotator_a).get(reverse("annotate:my-work")).content.decode()
