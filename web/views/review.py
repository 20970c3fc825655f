"""Review pages: the project's review index, one article's layers lined up, and gold edited in the workspace.

The pages read through annotate.review (layers_of, differences) and write
nothing themselves: static/js/review.js posts to the review API (start gold,
accept, adjudicate, send back) and deletes gold items through the ordinary
span/relation/stance endpoints, each with the gold layer's version.
"""
from dataclasses import dataclass, field
from itertools import pairwise
from types import SimpleNamespace

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from annotate.access import reviewed_article, reviewed_project
from annotate.models import Annotation, Entity, Membership, Project, Thread
from annotate.review import differences, layers_of, line_up_answers

from .workspace import workspace_state

REVIEWERS = Membership.READS_ALL_LAYERS
ARTICLES_PER_PAGE = 50
# Colours per annotator (by their sorted position); review.css defines .who-0 … .who-5 to match.
ANNOTATOR_COLOURS = 6


# The review index ---------------------------------------------------------------------------------------

FILTERS = {
    "all": ("All articles", Q()),
    "ready": ("Ready for review", Q(submitted__gte=1) & (Q(gold_status__isnull=True)
                                                         | ~Q(gold_status=Annotation.Status.ADJUDICATED))),
    "adjudicated": ("Adjudicated", Q(gold_status=Annotation.Status.ADJUDICATED)),
    # An EXISTS per article on the partial index of open threads (thread_open_in_article), not a scan.
    "open_threads": ("With open threads", Q(Exists(Thread.objects.filter(article=OuterRef("pk"), resolved=False)))),
}


@login_required
def index(request, slug):
    """Articles with their layers' status and their gold. Queries: the project and role, the count, the page of
    articles (with submitted-layer count and gold status as subqueries), and the layers of that page."""
    project = reviewed_project(request.user, slug)
    show = request.GET.get("show") if request.GET.get("show") in FILTERS else "all"
    gold = Annotation.objects.filter(article=OuterRef("pk"), is_gold=True).order_by()
    articles = (project.articles.annotate(
        submitted=Count("annotations", filter=Q(annotations__is_gold=False,
                                                annotations__status=Annotation.Status.SUBMITTED)),
        gold_status=Subquery(gold.values("status")[:1]),
        open_threads=Subquery(Thread.objects.filter(article=OuterRef("pk"), resolved=False).order_by()
                              .values("article").annotate(n=Count("id")).values("n")))
        .filter(FILTERS[show][1])
        .only("id", "project_id", "title", "external_id", "outlet", "published")
        .order_by("id"))
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    rows = {article.pk: {"article": article, "layers": [], "gold": None} for article in page}
    layers = (Annotation.objects.filter(article_id__in=rows).select_related("annotator", "reviewer")
              .only("id", "article_id", "is_gold", "status", "annotator__username", "reviewer__username",
                    "submitted_at", "updated_at").order_by("annotator__username"))
    for layer in layers:
        if layer.is_gold:
            rows[layer.article_id]["gold"] = layer
        else:
            rows[layer.article_id]["layers"].append(layer)
    return render(request, "annotate/review/index.html", {
        "project": project, "page": page, "rows": list(rows.values()), "show": show,
        "filters": [(key, label) for key, (label, _) in FILTERS.items()], "tab": "review",
    })


# One article ---------------------------------------------------------------------------------------------

CONFLICT_NAMES = {"label": "label differs", "boundary": "boundaries differ", "source": "source differs",
                  "polarity": "polarity differs"}


@dataclass
class Cell:
    """What one annotator has for one item."""
    name: str
    colour: int
    obj: object = None
    value: str = ""
    pieces: list = field(default_factory=list)  # a split span's pieces: [(start, end, text)], else empty

    @property
    def present(self) -> bool:
        return self.obj is not None


@dataclass
class Row:
    kind: str
    key: tuple
    state: str  # agreed | partial
    anchor: str
    title: str
    detail: str = ""
    cells: list = field(default_factory=list)
    gold: object = None
    conflicts: list = field(default_factory=list)
    accepts: list = field(default_factory=list)  # [(label, annotator object id)]
    start: int | None = None
    offsets: str = ""  # a span's pieces' offsets ("0–9, 24–48"), as the detail line shows them

    @property
    def differs(self) -> bool:
        return self.state != "agreed" or bool(self.conflicts)

    @property
    def provenance(self) -> list[str]:
        return list(getattr(self.gold, "provenance", None) or [])

    @property
    def conflict_labels(self) -> list[tuple[str, str]]:
        return [(code, CONFLICT_NAMES[code]) for code in self.conflicts]

    @property
    def gold_offsets(self) -> str:
        """The gold span's pieces when it is split (accepting a split span keeps its pieces)."""
        pieces = self.gold.pieces if self.kind == "span" and self.gold is not None else []
        return _offsets(pieces) if len(pieces) > 1 else ""

    @property
    def gold_only(self) -> bool:
        return not any(cell.present for cell in self.cells)


def _snippet(text: str, limit: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _holder_name(part: tuple, text: str) -> str:
    if part[0] == "entity":
        return part[1]
    _, label, start, end = part
    return f"“{_snippet(text[start:end], 50)}” ({label})"


def _value(kind: str, obj) -> str:
    if kind == "span":
        return obj.entity.name if obj.entity_id else "✓"
    if kind == "stance":
        return obj.polarity.name + ("" if obj.explicit else " (implied)")
    return "✓"


def _offsets(pieces) -> str:
    return ", ".join(f"{start}–{end}" for start, end in pieces)


def _pieces(obj, text: str) -> list[tuple[int, int, str]]:
    """A split span's pieces with their text (a quote interrupted by "Bourita said"); [] for a one-piece span."""
    pieces = obj.pieces
    return [(start, end, _snippet(text[start:end], 60)) for start, end in pieces] if len(pieces) > 1 else []


def review_rows(diff: dict, text: str) -> list[Row]:
    """One row per item (span, relation, stance), with each annotator's version, gold and the conflicts."""
    names = diff["annotators"]
    boundary = {key for pair in diff["boundary_conflicts"] for key in pair}
    entity_conflicts, polarity_conflicts = set(diff["entity_conflicts"]), set(diff["polarity_conflicts"])
    rows = []
    for kind in ("span", "relation", "stance"):
        for n, (key, item) in enumerate(sorted(diff["items"][kind].items(), key=lambda kv: _order(kind, kv[0]))):
            row = Row(kind=kind, key=key, state=diff["state"][kind][key], anchor=f"{kind}-{n}", title="",
                      gold=item.gold)
            row.cells = [Cell(name, i % ANNOTATOR_COLOURS, item.by.get(name),
                              _value(kind, item.by[name]) if name in item.by else "") for i, name in enumerate(names)]
            if kind == "span":
                label, start, end = key[:3]  # a split span's key adds its pieces (annotate/review.py)
                row.title, row.detail, row.start = label, _snippet(text[start:end]), start
                row.offsets = f"{start}–{end}"
                for cell in row.cells:
                    cell.pieces = _pieces(cell.obj, text) if cell.present else []
                shown = next((cell.obj for cell in row.cells if cell.present), item.gold)
                if shown is not None and len(shown.pieces) > 1:
                    row.detail = " … ".join(_snippet(text[a:b], 60) for a, b in shown.pieces)
                    row.offsets = _offsets(shown.pieces)
                if key[1:] in diff["label_conflicts"]:  # a split span's pieces are part of its range
                    row.conflicts.append("label")
                if key in boundary:
                    row.conflicts.append("boundary")
                if key in entity_conflicts:
                    row.conflicts.append("source")
            elif kind == "relation":
                kind_name, source, target = key
                row.title = kind_name
                row.detail = f"{source[0]} “{_snippet(text[source[1]:source[2]], 45)}” → " \
                             f"{target[0]} “{_snippet(text[target[1]:target[2]], 45)}”"
                row.start = source[1]
            else:
                holder, target = key[:2]  # a third part ranks a layer's further stances on one item
                row.title = _holder_name(holder, text)
                row.detail = target if len(key) == 2 else f"{target} (#{key[2] + 1})"
                if key in polarity_conflicts:
                    row.conflicts.append("polarity")
            present = [cell for cell in row.cells if cell.present]
            values = {cell.value for cell in present}
            if len(values) > 1:
                row.accepts = [(f"Accept {cell.name}’s", cell.obj.pk) for cell in present]
            elif present:
                row.accepts = [("Accept", present[0].obj.pk)]
            rows.append(row)
    return rows


def _order(kind: str, key: tuple):
    if kind == "span":
        return (key[1], key[2], key[0])
    if kind == "relation":
        return (key[1][1], key[2][1], key[0])
    return (repr(key[0]), key[1])


@dataclass
class Segment:
    text: str
    who: list  # colour indexes of the annotators with a span here, innermost first
    gold: bool
    differs: bool
    anchors: str
    tip: str


def _covers(obj, a: int, b: int) -> bool:
    """Whether a span covers [a, b) with one of its pieces (the gap of a split quote is not covered)."""
    return obj is not None and any(start <= a and b <= end for start, end in obj.pieces)


def segments(text: str, rows: list[Row]) -> list[Segment]:
    """The article cut at every span boundary; each piece knows who marked it, whether gold has it and whether
    the annotators differ there, so the text shows differences at a glance. A split span marks its pieces only."""
    spans = [row for row in rows if row.kind == "span"]
    objs = [obj for row in spans for obj in [row.gold, *(cell.obj for cell in row.cells)] if obj is not None]
    cuts = sorted({0, len(text), *(bound for obj in objs for piece in obj.pieces for bound in piece)})
    pieces = []
    for a, b in pairwise(cuts):
        covering = [row for row in spans if row.key[1] <= a and row.key[2] >= b
                    and (_covers(row.gold, a, b) or any(_covers(cell.obj, a, b) for cell in row.cells))]
        who = sorted({cell.colour for row in covering for cell in row.cells if _covers(cell.obj, a, b)})
        tip = "; ".join(f"{row.title}: {', '.join(c.name for c in row.cells if c.present) or 'gold only'}"
                        + (" · in gold" if row.gold is not None else "") for row in covering)
        pieces.append(Segment(text[a:b], who, any(_covers(row.gold, a, b) for row in covering),
                              any(row.differs for row in covering), " ".join(row.anchor for row in covering), tip))
    return pieces


@login_required
def article(request, pk):
    article = reviewed_article(request.user, pk)
    layers, gold = layers_of(article)
    diff = differences(layers, gold)
    rows = review_rows(diff, article.text)
    names = diff["annotators"]
    colour = {name: i % ANNOTATOR_COLOURS for i, name in enumerate(names)}
    counts = {kind: sum(1 for row in rows if row.kind == kind) for kind in ("span", "relation", "stance")}
    differing = [row for row in rows if row.differs]
    # Each layer's open threads, counted on the partial index; the threads themselves are read by the page's
    # threads panel from the API (static/js/review-threads.js).
    open_threads = dict(Thread.objects.filter(article=article, resolved=False).order_by().values("annotation")
                        .annotate(n=Count("id")).values_list("annotation", "n"))
    for layer in layers:
        layer.open_threads = open_threads.get(layer.pk, 0)
    for layer in [*layers, *([gold] if gold else [])]:
        # Spans a corrected text's re-anchoring flagged (their spans are prefetched: no query).
        layer.flagged_spans = sum(1 for span in layer.spans.all() if span.needs_review)
    state = {
        # The layers a reviewer may start a thread on here (the threads panel).
        "thread_layers": [{"id": layer.pk, "name": layer.annotator.get_username()} for layer in layers]
        + ([{"id": gold.pk, "name": "gold"}] if gold else []),
        "article": article.pk,
        "api": reverse("api:project-list").removesuffix("projects/"),
        "gold": {"id": gold.pk, "version": gold.version, "status": gold.status} if gold else None,
    }
    return render(request, "annotate/review/article.html", {
        "project": article.project, "article": article, "layers": layers, "gold": gold, "rows": rows,
        "colour": colour, "annotators": [(name, colour[name]) for name in names],
        "layer_rows": [(layer, colour[layer.annotator.get_username()]) for layer in layers],
        "open_threads": sum(open_threads.values()),
        "segments": segments(article.text, rows), "counts": counts, "differing": len(differing),
        "conflict_counts": {
            "label": len(diff["label_conflicts"]), "boundary": len(diff["boundary_conflicts"]),
            "source": len(diff["entity_conflicts"]), "polarity": len(diff["polarity_conflicts"]),
            "partial": sum(1 for row in rows if row.state == "partial" and not row.gold_only),
        },
        "state": state, "tab": "review", "article_labels": answer_rows(line_up_answers(layers, gold), colour),
    })


def answer_rows(lined_up: list[dict], colour: dict[str, int]) -> list[dict]:
    """The article questions as the review page shows them: a cell per annotator (a multiple choice's choices
    joined by ", "), gold's answer, and an accept button per annotator whose answer gold does not have."""
    def shown(value):
        return ", ".join(value) if isinstance(value, list) else value

    rows = []
    for row in lined_up:
        cells = [{"colour": c, "value": shown(row["answers"].get(name))} for name, c in colour.items()]
        accepts = [(f"Accept {name}’s", row["ids"][name]) for name in row["answers"]
                   if row["answers"][name] != row["gold"]]
        rows.append({**row, "cells": cells, "gold": shown(row["gold"]), "accepts": accepts})
    return rows


@login_required
def edit_gold(request, pk):
    """The gold layer in the annotator's workspace: the same tools, the gold layer's id and version.

    The workspace is built for an assignment; gold has none, so the page hands it
    a stand-in (always editable: gold stays editable for reviewers after adjudication)
    and hides Submit and Skip, which do not apply to gold.
    """
    article = reviewed_article(request.user, pk)
    gold = Annotation.objects.filter(article=article, is_gold=True).first()
    if gold is None:
        raise Http404("This article has no gold layer yet: start one on the review page.")
    layer = Annotation.objects.for_detail().get(pk=gold.pk)
    project = Project.objects.with_role(request.user).with_vocabulary().get(pk=article.project_id)
    entities = Entity.objects.of_layer(layer.pk)
    stand_in = SimpleNamespace(pk=None, status="in_progress", skip_reason="", article=article)
    state = workspace_state(stand_in, layer, project, entities)
    review_url = reverse("review:article", args=[article.pk])
    state["editable"] = True
    state["urls"].update({"next": review_url, "my_work": review_url})
    return render(request, "annotate/review/gold_workspace.html", {
        "assignment": stand_in, "article": article, "project": project, "layer": layer, "gold": gold,
        "paragraphs": [line for line in article.text.split("\n") if line.strip()], "state": state,
    })

