"""A reviewer in a real browser: builds gold on the seed article, then looks at the project pages.

Two annotators' layers of the demo fixture's Bellouan interview differ (a shorter quote, a missing cue,
an unlinked source, a flipped polarity); the reviewer starts gold from the agreed items, accepts one
differing item with one click and marks the article adjudicated. A small synthetic corpus by three
annotators fills the dashboard, the stance map and the source registry for their screenshots:
var/screenshots/{review,dashboard,stance-map,sources}.png, copied to docs/ with UPDATE_SCREENSHOTS=1.
"""
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from annotate.models import Annotation, Article, Assignment, Entity, Membership
from annotate.services import annotating
from annotate.services.review import adjudicate, start_gold

from ..factories import answer_required_questions, make_article, make_assignment, make_user
from .conftest import SCREENSHOTS
from .helpers import session_cookie
from .seed import COOPERATION, SEED_EXTERNAL_ID, TERRORISM, annotate_seed_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"
SAHARA = "Moroccan sovereignty over Western Sahara"

# Synthetic news: (title, outlet, sentences). A sentence is (holder fragment, canonical source, target,
# polarity, text); the text starts with the holder; a “quoted” part becomes a QUOTE with its cue “said”.
CORPUS = [
    ("Spain reaffirms support for the autonomy plan", "EFE", [
        ("Spain", "Spain", SAHARA, "favor",
         "Spain reaffirmed its support for the Moroccan autonomy plan as the most serious basis for a solution."),
        ("José Manuel Albares", "José Manuel Albares", SAHARA, "favor",
         "José Manuel Albares said “the autonomy initiative is credible and realistic” during his visit to Rabat."),
        ("Algeria", "Algeria", SAHARA, "against",
         "Algeria condemned the Spanish position and recalled its ambassador from Madrid."),
    ]),
    ("Washington hosts counter-terrorism talks with Rabat", "Reuters", [
        ("The United States", "United States", TERRORISM, "favor",
         "The United States praised Morocco's approach to counter-terrorism as a model for the region."),
        ("Antony Blinken", "Antony Blinken", COOPERATION, "favor",
         "Antony Blinken said “our cooperation with Morocco against ISIS has never been stronger” on Tuesday."),
        ("The United States", "United States", SAHARA, "favor",
         "The United States restated its recognition of Moroccan sovereignty over the territory."),
    ]),
    ("Polisario rejects Paris visit", "AFP", [
        ("The Polisario Front", "Polisario Front", SAHARA, "against",
         "The Polisario Front rejected the visit of the French minister to the disputed territory."),
        ("France", "France", SAHARA, "favor",
         "France confirmed it will open a consulate in Laayoune next year."),
        ("Algeria", "Algeria", SAHARA, "against",
         "Algeria described the French move as a violation of international law."),
    ]),
    ("EU ministers discuss Sahel security", "Euractiv", [
        ("The European Union", "European Union", COOPERATION, "favor",
         "The European Union called for closer coordination with Morocco against terrorist networks in the Sahel."),
        ("Germany", "Germany", SAHARA, "neutral",
         "Germany said “a political solution must come through the United Nations process” in a statement."),
        ("France", "France", COOPERATION, "favor",
         "France welcomed the joint exercises with Moroccan forces against ISIS cells."),
    ]),
    ("Rabat and Madrid sign security pact", "Hespress", [
        ("Spain", "Spain", COOPERATION, "favor",
         "Spain signed a new security pact with Morocco to dismantle extremist cells."),
        ("Nasser Bourita", "Nasser Bourita", TERRORISM, "favor",
         "Nasser Bourita said “Morocco has a comprehensive approach that combines security and religion” in Madrid."),
        ("Algeria", "Algeria", COOPERATION, "neutral",
         "Algeria declined to comment on the regional security pact."),
    ]),
    ("Israel and Morocco deepen ties", "Times of Israel", [
        ("Israel", "Israel", SAHARA, "favor",
         "Israel announced its recognition of Moroccan sovereignty over Western Sahara in a letter to the king."),
        ("The Polisario Front", "Polisario Front", SAHARA, "against",
         "The Polisario Front called the Israeli decision null and void."),
        ("Hassan Bellouan", "Hassan Bellouan", TERRORISM, "favor",
         "Hassan Bellouan said “the partnership strengthens Morocco's role in fighting extremism” on television."),
    ]),
]


TYPES = {"José Manuel Albares": "person", "Antony Blinken": "person", "Nasser Bourita": "person",
         "Hassan Bellouan": "person", "Polisario Front": "organization", "European Union": "organization"}


def make_corpus(project, annotators):
    """Every annotator annotates every synthetic article; chen flips some polarities, bob misses some items."""
    now = timezone.now()
    entities = {}
    articles = []
    for a, (title, outlet, sentences) in enumerate(CORPUS):
        text = "\n\n".join(sentence for *_, sentence in sentences)
        article = make_article(project, text=text, title=title, outlet=outlet)
        articles.append(article)
        for k, user in enumerate(annotators):
            layer = annotating.open_layer(assignment=make_assignment(article, user))
            at = 0
            for s, (holder, name, target, polarity, sentence) in enumerate(sentences):
                base = text.index(sentence, at)
                at = base + len(sentence)
                if k == 1 and (a + s) % 4 == 0:
                    continue  # bob misses this one
                entity = entities.get(name) or Entity.objects.get_or_create(
                    project=project, name=name, defaults={"type": TYPES.get(name, "country")})[0]
                entities[name] = entity
                source = _span(layer, "SOURCE", base, base + len(holder), entity=entity)
                evidence_start = base + len(holder) + 1
                evidence = _span(layer, "STANCE_EVIDENCE", evidence_start, at - 1)
                if "“" in sentence:
                    q0, q1 = base + sentence.index("“"), base + sentence.index("”") + 1
                    cue = base + sentence.index(" said ") + 1
                    quote = _span(layer, "QUOTE", q0, q1, quote_type="direct")
                    _span(layer, "CUE", cue, cue + 4)
                    annotating.add_relation(annotation=layer, expected_version=layer.version, type="ATTRIBUTED_TO",
                                            from_span=quote, to_span=source)
                elif (a + s + k) % 3 == 0:
                    _span(layer, "CLAIM", evidence_start, at - 1 if k != 2 else at - 6, check_worthy=True)
                flipped = {"favor": "neutral", "neutral": "against", "against": "neutral"}[polarity]
                annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=source,
                                      target=target, polarity=flipped if k == 2 and (a + s) % 3 == 1 else polarity,
                                      evidence=[evidence])
            answer_required_questions(layer)
            annotating.submit(annotation=layer, expected_version=layer.version)
            finished = now - timezone.timedelta(days=len(CORPUS) * 2 - a * 2 - k % 2, hours=k)
            Assignment.objects.filter(article=article, annotator=user).update(
                started_at=finished - timezone.timedelta(minutes=6 + 3 * k + 2 * len(sentences) + a),
                finished_at=finished)
    for user in annotators:  # open work, for the per-annotator bars
        make_assignment(make_article(project, text="Open work.", title=f"Queue for {user.username}"), user)
    return articles


def _span(layer, label, start, end, entity=None, **attributes):
    return annotating.add_span(annotation=layer, expected_version=layer.version, label=label, start=start, end=end,
                               entity=entity, attributes=attributes or None)


def differing_copy(layer):
    """bob's version of the seed article: alice's layer with a shorter quote, a missing cue, an unlinked
    source and one stance's polarity flipped."""
    spans = list(layer.spans.select_related("label").order_by("start"))
    quote = next(s for s in spans if s.label.name == "QUOTE")
    annotating.update_span(span=quote, expected_version=layer.version, end=quote.end - 12)
    cue = next(s for s in spans if s.label.name == "CUE")
    annotating.delete_span(span=cue, expected_version=layer.version)
    linked = [s for s in spans if s.label.name == "SOURCE" and s.entity_id]
    annotating.update_span(span=linked[-1], expected_version=layer.version, entity=None)
    # The cooperation stance: the only one of its (holder, target); two stances of Bellouan on terrorism
    # share one review key, and the review lines up the last of them.
    stance = layer.stances.get(target__name=COOPERATION)
    annotating.update_stance(stance=stance, expected_version=layer.version, polarity="neutral")


def test_reviewer_builds_gold_and_reads_the_project_pages(page, context, live_server):
    call_command("loaddata", "demo_project", verbosity=0)
    seed = Article.objects.get(external_id=SEED_EXTERNAL_ID)
    project = seed.project
    alice, bob, chen, rita = (make_user(name) for name in ("alice", "bob", "chen", "rita"))
    for user in (alice, bob, chen):
        Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    Membership.objects.create(project=project, user=rita, role=Membership.Role.REVIEWER)

    layers = {}
    for user in (alice, bob):
        layer = annotating.open_layer(assignment=make_assignment(seed, user))
        annotate_seed_article(layer)
        if user is bob:
            differing_copy(layer)
        answer_required_questions(layer)
        annotating.submit(annotation=layer, expected_version=layer.version)
        layers[user.username] = layer
    articles = make_corpus(project, [alice, bob, chen])
    for article in articles[:3]:
        gold = start_gold(article=article, reviewer=rita)
        adjudicate(gold=gold, expected_version=gold.version, reviewer=rita)

    context.add_cookies([session_cookie(rita, live_server.url)])
    page.set_viewport_size({"width": 1440, "height": 1000})

    # The review index lists the seed article, ready for review.
    page.goto(f"/review/{project.slug}/?show=ready")
    page.click(f'[data-article="{seed.pk}"] a.btn')
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("tr.item-row.is-diff").count() >= 4
    assert page.locator('[data-conflict="boundary"]').count() >= 1
    assert page.locator('[data-conflict="polarity"]').count() >= 1

    # Gold from the agreed items only.
    with page.expect_navigation():
        page.click('[data-action="start-gold"][data-source=""]')
    page.wait_for_selector('[data-gold-status="in_progress"]')
    gold = Annotation.objects.get(article=seed, is_gold=True)
    agreed = gold.spans.count()
    assert agreed and not gold.spans.filter(label__name="CUE", start=layers["alice"].spans.filter(
        label__name="CUE").order_by("start").first().start).exists()

    # Accept alice's longer quote with one click (the first differing span row that has an Accept button).
    row = page.locator("tr.item-row.is-diff[data-kind=span]", has=page.locator('[data-action="accept"]')).first
    with page.expect_navigation():
        row.locator('[data-action="accept"]').first.click()
    page.wait_for_selector("body[data-ready=true]")
    assert gold.spans.count() == agreed + 1
    assert page.locator("[data-provenance]").filter(has_text="from alice").count() >= 1

    # Differences only, and j moves to the first differing item.
    page.check("[data-only-differences]")
    assert page.locator("tr.item-row:not(.is-diff)").first.is_hidden()
    page.keyboard.press("j")
    assert page.locator("tr.item-row.is-current").count() == 1
    page.evaluate("window.scrollTo(0, 0)")
    page.locator(".review-text .seg-diff").first.evaluate(
        "seg => { seg.closest('.review-textcard').scrollTop = seg.offsetTop - 160; }")
    save(page, "review.png", full_page=os.environ.get("FULL_REVIEW") == "1")

    with page.expect_navigation():
        page.click('[data-action="adjudicate"]')
    page.wait_for_selector('[data-gold-status="adjudicated"]')
    gold.refresh_from_db()
    assert gold.status == Annotation.Status.ADJUDICATED and gold.reviewer == rita

    # The gold layer opens in the workspace, with the workspace's own tools.
    page.click("[data-edit-gold]")
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("[data-article-text] [data-span-id]:not([data-part])").count() == gold.spans.count()
    assert not page.locator('[data-action="submit"]').is_visible()

    page.goto(f"/projects/{project.slug}/dashboard/")
    assert page.locator("svg polyline").count() == 2
    save(page, "dashboard.png", full_page=True)

    page.goto(f"/projects/{project.slug}/stances/")
    save(page, "stance-map.png", full_page=True)
    page.click('[data-cell][data-holder="France"][data-target="Moroccan sovereignty over Western Sahara"]')
    assert page.locator("[data-evidence]").count() == 1  # the article is adjudicated: gold only
    assert page.get_by_text("France confirmed it will open a consulate in Laayoune next year.").count() >= 1

    page.goto(f"/projects/{project.slug}/sources/")
    assert page.locator("[data-source]").count() == Entity.objects.filter(project=project).count()
    save(page, "sources.png")


def save(page, name, *, full_page=False):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / name
    page.screenshot(path=str(shot), full_page=full_page)
    assert shot.stat().st_size > 30_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, DOCS / name)
