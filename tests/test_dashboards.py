"""Dashboard numbers, and charts that show user text as text."""
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate import dashboards
from annotate.models import Annotation, Relation, Span, Stance
from annotate.services import figures
from web import charts

from .factories import make_article, make_assignment, make_entity

pytestmark = pytest.mark.django_db
TEXT = "Officials met in Rabat. France backs the plan, the minister said. Spain agreed!"
T1 = "Moroccan sovereignty over Western Sahara"


def stance(layer, holder, polarity, evidence_fragment):
    project = layer.article.project
    entity = project.entities.filter(name=holder).first() or make_entity(project, holder)
    start = TEXT.index(evidence_fragment)
    evidence = Span.objects.create(annotation=layer, label=project.labels.get(name="STANCE_EVIDENCE"), start=start,
                                   end=start + len(evidence_fragment), text=evidence_fragment)
    made = Stance.objects.create(annotation=layer, holder_entity=entity, target=project.stance_targets.get(name=T1),
                                 polarity=project.polarities.get(name=polarity))
    made.evidence.add(evidence)


def test_stance_map_prefers_gold_and_counts_polarities(project, annotator_a, annotator_b):
    first, second = make_article(project, text=TEXT), make_article(project, text=TEXT)
    for user, polarity in ((annotator_a, "favor"), (annotator_b, "against")):
        stance(Annotation.objects.create(article=first, annotator=user, status="submitted"), "France", polarity,
               "backs the plan")
        stance(Annotation.objects.create(article=second, annotator=user, status="submitted"), "France", polarity,
               "backs the plan")
    gold = Annotation.objects.create(article=second, is_gold=True, status="adjudicated")
    stance(gold, "France", "favor", "backs the plan")
    stance(gold, "Spain", "neutral", "Spain agreed")
    result = dashboards.stance_map(project)
    # Article 1: both annotators (favor + against); article 2: gold only (favor); Spain from gold.
    assert result["cells"][("France", T1)] == {"favor": 2, "against": 1}
    assert result["cells"][("Spain", T1)] == {"neutral": 1}
    assert result["holders"] == ["France", "Spain"]
    evidence = dashboards.stance_evidence(project, "France", T1)
    assert {e["layer"] for e in evidence.found} == {"anna", "ben", "gold"}
    assert evidence.found[0]["sentences"] == ["France backs the plan, the minister said."]
    assert evidence.counts == {"favor": 2, "against": 1} and evidence.next_after is None


def test_a_map_cells_evidence_comes_a_page_at_a_time_with_the_whole_cells_counts(
        project, annotator_a, django_assert_num_queries):
    for i in range(5):
        layer = Annotation.objects.create(article=make_article(project, text=TEXT), annotator=annotator_a,
                                          status="submitted")
        stance(layer, "France", "favor" if i % 2 else "against", "backs the plan")
    stance(layer, "Spain", "neutral", "Spain agreed")  # another cell
    figures.settle(project)  # the layers were written without a service: count them first
    pages, after = [], 0
    while True:
        # The cell's counts from the kept totals (none stale; the totals; the names of sources, targets
        # and polarities), a page of the cell's entries, their stances, their evidence.
        with django_assert_num_queries(8):
            page = dashboards.stance_evidence(project, "France", T1, after=after, limit=2)
        pages.append(len(page.found))
        assert page.counts == {"favor": 2, "against": 3}
        if page.next_after is None:
            break
        after = page.next_after
    assert pages == [2, 2, 1]


def test_sentence_around_stops_at_sentence_ends():
    start = TEXT.index("Spain")
    assert dashboards.sentence_around(TEXT, start, start + 5) == "Spain agreed!"
    assert dashboards.sentence_around(TEXT, 0, 9) == "Officials met in Rabat."


def test_progress_and_median_time(project, annotator_a, annotator_b):
    now = timezone.now()
    for minutes in (10, 20, 40):
        make_assignment(make_article(project), annotator_a, status="submitted",
                        started_at=now - timezone.timedelta(minutes=minutes), finished_at=now)
    make_assignment(make_article(project), annotator_b, status="skipped", skip_reason="x", finished_at=now)
    make_assignment(make_article(project), annotator_b)
    result = dashboards.progress(project)
    assert result["per_annotator"]["anna"]["submitted"] == 3
    assert result["per_annotator"]["ben"] == {"assigned": 1, "in_progress": 0, "submitted": 0, "skipped": 1}
    assert result["median_minutes"] == {"anna": 20.0} and result["median_minutes_all"] == 20.0
    assert result["over_time"] == [(now.date().isoformat(), {"submitted": 3, "skipped": 1})]


def test_label_distribution_and_source_registry(project, annotator_a):
    layer = Annotation.objects.create(article=make_article(project, text=TEXT), annotator=annotator_a,
                                      status="submitted")
    france = make_entity(project, "France")
    labels = {name: project.labels.get(name=name) for name in ("SOURCE", "QUOTE")}
    source = Span.objects.create(annotation=layer, label=labels["SOURCE"], start=24, end=30, text="France",
                                 entity=france)
    quote = Span.objects.create(annotation=layer, label=labels["QUOTE"], start=31, end=45, text=TEXT[31:45])
    Relation.objects.create(annotation=layer, type=project.relation_types.get(name="ATTRIBUTED_TO"),
                            from_span=quote, to_span=source)
    Stance.objects.create(annotation=layer, holder_span=source, target=project.stance_targets.get(name=T1),
                          polarity=project.polarities.get(name="favor"))
    assert dict(dashboards.label_distribution(project))["SOURCE"] == 1
    [row] = list(dashboards.source_registry(project))
    assert (row.name, row.mention_count, row.article_count, row.quote_count, row.stance_count) == (
        "France", 1, 1, 1, 1)


def test_the_registry_counts_each_stance_once_per_source_in_a_fixed_number_of_queries(
        project, annotator_a, django_assert_num_queries):
    layer = Annotation.objects.create(article=make_article(project, text=TEXT), annotator=annotator_a,
                                      status="submitted")
    france, morocco, spain = (make_entity(project, name) for name in ("France", "Morocco", "Spain"))
    source = project.labels.get(name="SOURCE")
    france_span = Span.objects.create(annotation=layer, label=source, start=24, end=30, text="France", entity=france)
    target, favor = project.stance_targets.get(name=T1), project.polarities.get(name="favor")
    # Held through the span only; through the span and the same entity (once); the span says France but
    # the holder entity is Morocco (once each); Spain as an entity only.
    Stance.objects.create(annotation=layer, holder_span=france_span, target=target, polarity=favor)
    Stance.objects.create(annotation=layer, holder_span=france_span, holder_entity=france, target=target,
                          polarity=favor)
    Stance.objects.create(annotation=layer, holder_span=france_span, holder_entity=morocco, target=target,
                          polarity=favor)
    Stance.objects.create(annotation=layer, holder_entity=spain, target=target, polarity=favor)
    figures.settle(project)  # written without a service: counted now (or by the first page that reads)
    with django_assert_num_queries(3):  # none stale, the kept totals and the sources, whatever their number
        registry = dashboards.source_registry(project)
    assert [(e.name, e.mention_count, e.stance_count) for e in registry] == [
        ("France", 1, 3), ("Morocco", 0, 1), ("Spain", 0, 1)]


def test_charts_escape_user_text():
    svg = charts.bar_chart([("<script>alert(1)</script>", {"a": 1})], ["a"], title="t")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    grid = charts.heatmap(["<img onerror=x>"], ["t"], lambda r, c: 0.5, title="h", link=lambda r, c: "/x?a=1&b=2")
    assert "<img" not in grid and "&amp;b=2" in grid
    line = charts.line_chart([("2026-01-01", {"s": 1}), ("2026-01-02", {"s": 3})], ["s"], title="l")
    assert "polyline" in line


def test_heatmap_shows_why_a_cell_has_no_value():
    names = ["anna", "ben"]
    grid = charts.heatmap(names, names, lambda r, c: None, title="h",
                          reason=lambda r, c: None if r == c else "no items")
    assert grid.count(">no items</text>") == 2  # the two pair cells, not the diagonal
    assert "anna × ben: – (no items)" in grid


def test_dashboard_shows_a_dash_and_the_reason_for_figures_with_no_value(project, reviewer, annotator_a, annotator_b,
                                                                         client):
    """A label nobody used, relations nobody drew, stances all of one polarity: "–" and why, never 1.00."""
    article = make_article(project, text=TEXT)
    for user in (annotator_a, annotator_b):
        layer = Annotation.objects.create(article=article, annotator=user, status="submitted")
        Span.objects.create(annotation=layer, label=project.labels.get(name="CLAIM"), start=0, end=23,
                            text=TEXT[:23])
        stance(layer, "France", "favor", "backs the plan")
    client.force_login(reviewer)
    html = client.get(reverse("review:dashboard", args=[project.slug])).content.decode()
    rows = dict(re.findall(r'<tr><td><span class="label-name">(\w+)</span></td>(.*?)</tr>', html, re.DOTALL))
    assert rows["CLAIM"].count("1.00") == 3  # both marked the same sentence: F1 exact, F1 overlap, alpha
    quote = rows["QUOTE"]  # nobody used QUOTE: listed, with no number at all
    assert quote.count('data-undefined="no items"') == 2 and 'data-undefined="one category only"' in quote
    assert "1.00" not in quote and "–" in quote
    relations = re.search(r"<tr data-agreement-relations>(.*?)</tr>", html, re.DOTALL).group(1)
    assert relations.count('data-undefined="no items"') == 2 and "1.00" not in relations
    # One stance item, favor for both: Cohen's kappa and alpha are 0/0, not perfect agreement.
    stance_alpha = re.search(r"Polarity agreement.*?</p>", html, re.DOTALL).group(0)
    kappa = re.search(r"<td>anna × ben</td>(.*?)</tr>", html, re.DOTALL).group(1)
    for text in (stance_alpha, kappa):
        assert 'data-undefined="one category only"' in text and "1.00" not in text
