"""Project pages for reviewers and managers: the dashboard, the stance map with its evidence, the source registry.

The numbers come from annotate.dashboards and annotate.agreement (a fixed number
of aggregate queries each); the charts are drawn on the server as SVG by
annotate.charts, which escapes every text, so the pages need no script at all
except the merge form's confirmation step, which is a page of its own.
"""
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from annotate import dashboards
from annotate.jobs.kinds.recommenders import start_evaluation
from annotate.models import Entity, Relation, Span, Stance
from annotate.services import figures
from annotate.services.review import merge_entities
from annotate.suggestions import evaluation

from .. import charts
from .review import reviewed_project

# The colours of the My work progress bar, so a status looks the same everywhere.
STATUS_COLOURS = {"submitted": "#23845a", "skipped": "#a8b0bd", "in_progress": "#e9a23b", "assigned": "#9db4ee"}
LISTED_MENTIONS = 100
# An item of the corpus: in a submitted annotator's layer or an adjudicated gold layer.
IN_CORPUS = figures.in_corpus("annotation__")
SOURCES_PER_PAGE = 100  # the registry's counts are all read (kept totals, one row per figure); the page shows 100


# Dashboard ------------------------------------------------------------------------------------------------


def _pair_heatmap(report: dict, mode: str):
    names = report["annotators"]
    scores, reasons = {}, {}
    for pair in report["pairs"]:
        scores[(pair["a"], pair["b"])] = scores[(pair["b"], pair["a"])] = pair[mode]["f1"]
        reasons[(pair["a"], pair["b"])] = reasons[(pair["b"], pair["a"])] = pair[mode].get("undefined", {}).get("f1")
    return charts.heatmap(names, names, lambda a, b: scores.get((a, b)), title=f"Span F1 per annotator pair ({mode})",
                          reason=lambda a, b: reasons.get((a, b)))


def _width(scores: dict) -> float:
    """The meter's length in %: none for an undefined F1 (the page shows "–" and the reason, not an empty bar)."""
    return 0.0 if scores["f1"] is None else round(100 * scores["f1"], 1)


@login_required
def dashboard(request, slug):
    project = reviewed_project(request.user, slug)
    progress = dashboards.progress(project)
    labels = dashboards.label_distribution(project)
    # Every label of the project is listed: one nobody used shows "–, no items", not a missing row or 1.0.
    report = dashboards.agreement(project, labels=[name for name, _ in labels])
    per_label = [{"label": label, "exact": scores["exact"], "overlap": scores["overlap"],
                  "exact_width": _width(scores["exact"]), "overlap_width": _width(scores["overlap"]),
                  "support": scores["exact"]["support"]}
                 for label, scores in report["spans"]["per_label"].items()]
    per_annotator = progress["per_annotator"]
    # Acceptance read live, precision/recall/F1 from the latest evaluation job: four queries.
    recommenders = evaluation.report(project)
    people = sorted(set(per_annotator) | set(progress["median_minutes"]))
    return render(request, "annotate/review/dashboard.html", {
        "project": project, "tab": "dashboard", "progress": progress, "report": report, "per_label": per_label,
        "submitted": sum(counts["submitted"] for counts in per_annotator.values()),
        "assigned": sum(sum(counts.values()) for counts in per_annotator.values()),
        "people": [{"name": name, "minutes": progress["median_minutes"].get(name),
                    **{status: per_annotator.get(name, {}).get(status, 0) for status in STATUS_COLOURS},
                    "open": sum(per_annotator.get(name, {}).get(s, 0) for s in ("in_progress", "assigned"))}
                   for name in people],
        "over_time_chart": charts.line_chart(progress["over_time"], ["submitted", "skipped"],
                                             title="Articles done over time (cumulative)", width=560),
        "per_annotator_chart": charts.bar_chart(list(per_annotator.items()), list(STATUS_COLOURS),
                                                colors=STATUS_COLOURS, title="Assignments per annotator",
                                                width=660),
        "labels_chart": charts.bar_chart([(name, {"spans": n}) for name, n in labels], ["spans"],
                                         colors={"spans": "#2f5bd3"}, title="Spans per label", width=560),
        "exact_heatmap": _pair_heatmap(report, "exact") if report["pairs"] else None,
        "overlap_heatmap": _pair_heatmap(report, "overlap") if report["pairs"] else None,
        "recommenders": recommenders,
        "evaluated_at": parse_datetime(recommenders["evaluated_at"] or ""),
    })


@login_required
@require_http_methods(["POST"])
def evaluate_recommenders(request, slug):
    """Start evaluating the project's recommenders (a job; the one on its way if any), back to the dashboard."""
    project = reviewed_project(request.user, slug)
    job = start_evaluation(project, user=request.user)
    messages.success(request, f"Evaluating the recommenders (job {job.pk}): the figures change when it is done; "
                              "reload the page then.")
    return redirect(reverse("review:dashboard", args=[project.slug]) + "#recommenders")


# Stance map ----------------------------------------------------------------------------------------------


@dataclass
class StanceCell:
    target: str
    counts: list  # [(polarity, n, colour)] in the project's polarity order
    total: int
    tone: str  # favor | lean-favor | mixed | lean-against | against | neutral | empty
    href: str
    bars: list  # [(x %, width %, colour, polarity, n)]


def _tone(counts: dict, total: int) -> str:
    """The cell's colour class: the balance of favor against against, neutral weighing towards the middle."""
    if not total:
        return "empty"
    balance = (counts.get("favor", 0) - counts.get("against", 0)) / total
    if counts.get("favor", 0) == counts.get("against", 0) == 0:
        return "neutral"
    if balance >= 0.6:
        return "favor"
    if balance > 0.15:
        return "lean-favor"
    if balance <= -0.6:
        return "against"
    if balance < -0.15:
        return "lean-against"
    return "mixed"


@login_required
def stance_map(request, slug):
    project = reviewed_project(request.user, slug)
    data = dashboards.stance_map(project)
    colours = dict(project.polarities.values_list("name", "color"))
    base = reverse("review:stance-evidence", args=[project.slug])
    rows = []
    for holder in data["holders"]:
        cells = []
        for target in data["targets"]:
            counts = data["cells"].get((holder, target), {})
            total = sum(counts.values())
            bars, x = [], 0.0
            for polarity in data["polarities"]:
                if counts.get(polarity):
                    width = 100 * counts[polarity] / total
                    bars.append((round(x, 2), round(width, 2), colours.get(polarity, "#999999"), polarity,
                                 counts[polarity]))
                    x += width
            cells.append(StanceCell(
                target=target, total=total, tone=_tone(counts, total), bars=bars,
                counts=[(p, counts.get(p, 0), colours.get(p, "#999999")) for p in data["polarities"]],
                href=f"{base}?{urlencode({'holder': holder, 'target': target})}" if total else ""))
        rows.append({"holder": holder, "cells": cells, "total": sum(c.total for c in cells)})
    refresh = None
    if data["pending"]:
        from annotate.jobs import progress_of
        from annotate.jobs.kinds.figures import active_refresh

        job = active_refresh(project)  # started by dashboards.stance_map when it left articles pending
        refresh = {"status": job.status, **progress_of(job)} if job else None
    return render(request, "annotate/review/stance_map.html", {
        "project": project, "tab": "stances", "targets": data["targets"], "rows": rows, "pending": data["pending"],
        "refresh": refresh,
        "polarities": [(p, colours.get(p, "#999999")) for p in data["polarities"]],
    })


@login_required
def stance_evidence(request, slug):
    project = reviewed_project(request.user, slug)
    holder, target = request.GET.get("holder", ""), request.GET.get("target", "")
    if not holder or not target:
        raise Http404("Choose a cell of the stance map.")
    try:
        after = max(0, int(request.GET.get("after", 0)))
    except ValueError:
        raise Http404("No such page.") from None
    page = dashboards.stance_evidence(project, holder, target, after=after)
    colours = dict(project.polarities.values_list("name", "color"))
    for entry in page.found:
        entry["colour"] = colours.get(entry["polarity"], "#999999")
    more = None
    if page.next_after is not None:
        more = "?" + urlencode({"holder": holder, "target": target, "after": page.next_after})
    return render(request, "annotate/review/stance_evidence.html", {
        "project": project, "tab": "stances", "holder": holder, "target": target, "found": page.found,
        "summary": [(p, n, colours.get(p, "#999999")) for p, n in sorted(page.counts.items(), key=lambda kv: -kv[1])],
        "more": more, "first_page": after == 0,
    })


# Source registry ---------------------------------------------------------------------------------------


@login_required
def sources(request, slug):
    project = reviewed_project(request.user, slug)
    query = request.GET.get("q", "").strip()
    registry = dashboards.source_registry(project)
    if query:
        needle = query.casefold()
        registry = [e for e in registry
                    if needle in e.name.casefold() or any(needle in alias.casefold() for alias in e.aliases)]
    page = Paginator(registry, SOURCES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "annotate/review/sources.html", {
        "project": project, "tab": "sources", "page": page, "query": query,
    })


def project_entity(project, pk) -> Entity:
    entity = Entity.objects.filter(project=project, pk=pk).first()
    if entity is None:
        raise Http404("No such source in this project.")
    return entity


def _layer_name(annotation) -> str:
    return "gold" if annotation.is_gold else annotation.annotator.get_username()


@login_required
def source_detail(request, slug, pk):
    project = reviewed_project(request.user, slug)
    entity = project_entity(project, pk)
    # The figures are the registry's (kept totals over the corpus); the lists show the first items of the
    # corpus in the order they were made, each read by the source's own index, never by scanning the corpus.
    counts = dashboards.source_counts(project, entity)
    layer = ("annotation__article", "annotation__annotator")
    mentions = list(Span.objects.filter(entity=entity).filter(IN_CORPUS).select_related("label", *layer)
                    .order_by("pk")[:LISTED_MENTIONS])
    for span in mentions:
        span.sentence = dashboards.sentence_around(span.annotation.article.text, span.start, span.end)
        span.layer_name = _layer_name(span.annotation)
    # Quotes in the order of the mentions they are attributed to: read along the (entity, id) index.
    quotes = list(Relation.objects.filter(type__name="ATTRIBUTED_TO", to_span__entity=entity).filter(IN_CORPUS)
                  .select_related("from_span", *layer).order_by("to_span_id", "pk")[:LISTED_MENTIONS])
    # Held as the stance's source, or through its holder span's: two reads in index order, merged here
    # (one OR over a join reads every stance of the corpus).
    stances = Stance.objects.filter(IN_CORPUS).select_related("target", "polarity", *layer)
    stances = sorted({stance.pk: stance for stance in (
        *stances.filter(holder_entity=entity).order_by("pk")[:LISTED_MENTIONS],
        *stances.filter(holder_span__entity=entity).order_by("holder_span_id", "pk")[:LISTED_MENTIONS],
    )}.values(), key=lambda stance: stance.pk)[:LISTED_MENTIONS]
    for item in (*quotes, *stances):
        item.layer_name = _layer_name(item.annotation)
    others = Entity.objects.filter(project=project).exclude(pk=entity.pk).only("id", "name").order_by("name")
    return render(request, "annotate/review/source_detail.html", {
        "project": project, "tab": "sources", "entity": entity, "mentions": mentions, "counts": counts,
        "quotes": quotes, "stances": stances, "others": others, "listed": LISTED_MENTIONS,
    })


def _weight(entity: Entity) -> dict:
    return {"mentions": Span.objects.filter(entity=entity).count(),
            "stances": Stance.objects.filter(holder_entity=entity).count(),
            "articles": Span.objects.filter(entity=entity).aggregate(
                n=Count("annotation__article", distinct=True))["n"]}


@login_required
@require_http_methods(["GET", "POST"])
def merge_source(request, slug, pk):
    """GET: what the merge will do, to confirm; POST: merge `absorb` into this source (everything moves to it)."""
    project = reviewed_project(request.user, slug)
    keep = project_entity(project, pk)
    try:
        absorb = project_entity(project, int(request.POST.get("absorb") or request.GET.get("absorb") or 0))
    except ValueError:
        raise Http404("No such source in this project.") from None
    if request.method == "POST":
        try:
            merge_entities(keep=keep, absorb=absorb, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("review:source", project.slug, keep.pk)
        messages.success(request, f"Merged “{absorb.name}” into “{keep.name}”: every mention and stance moved; "
                                  f"“{absorb.name}” is now an alias.")
        return redirect("review:source", project.slug, keep.pk)
    if absorb.pk == keep.pk:
        messages.error(request, "Choose another source to merge into this one.")
        return redirect("review:source", project.slug, keep.pk)
    return render(request, "annotate/review/merge_confirm.html", {
        "project": project, "tab": "sources", "keep": keep, "absorb": absorb,
        "keep_weight": _weight(keep), "absorb_weight": _weight(absorb),
    })
