"""The Search page: the query language over a project's text and annotations (docs/search.md, "Search page").

A GET form, rendered on the server: it works without a script. Any member searches what they may see
(annotate/search/hits.py filters by visibility); the hits come with their sentence (hits.context), the hit
marked, and the template escapes every piece. Reviewers and managers also get "Annotate all hits": a preview
(POST, writes nothing: counts and a sample), then the commit (POST, CSRF, a client id made at the preview so
a second click applies once), and the project's operations with Undo (annotate/search/bulk.py).
"""
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from annotate.access import holds_role, project_for, reviewed_project
from annotate.models import Assignment, BulkOperation, Entity, Membership
from annotate.search import bulk
from annotate.search.hits import ARTICLE_COUNT_LIMIT, HIT_COUNT_LIMIT, MODES, BadCursor, search
from annotate.search.query import QuerySyntaxError

PAGE_SIZE = 25
LISTED_OPERATIONS = 10
LISTED_SOURCES = 500  # the source picker lists this many (by name); the API takes any source's id
HELP = [
    ("words, \"phrases\", prefix*", "text of the articles (language-aware)"),
    ("label:QUOTE", "items of that label"),
    ("source:\"Nasser Bourita\"", "spans linked to a source (name or alias)"),
    ("holder:, target:, polarity:against", "stances"),
    ("annotator:alice", "items in alice’s layer"),
    ("status:gold", "items by layer status"),
    ("article:ID language:ar", "articles"),
    ("has:stance -has:SOURCE", "articles with / without such items"),
    ("AND OR NOT ( )", "combine; NOT binds tightest, then AND, then OR"),
]


def _error(q: str, error: Exception) -> dict:
    position = getattr(error, "position", None)
    # The caret sits under the character at `position` (code points, as the parser counts them).
    return {"message": str(error), "position": position,
            "caret": None if position is None else " " * min(position, len(q)) + "^"}


def _open_links(user, project, results: list[dict], reviews: bool) -> None:
    """Where each hit or article opens: the review page for reviewers; for an annotator, the workspace of their
    assignment on that article (one query for the page)."""
    if reviews:
        for hit in results:
            hit["open"] = reverse("review:article", args=[hit["article"]])
        return
    mine = dict(Assignment.objects.filter(annotator=user, article_id__in={hit["article"] for hit in results})
                .order_by().values_list("article_id", "pk"))
    for hit in results:
        assignment = mine.get(hit["article"])
        hit["open"] = reverse("annotate:workspace", args=[assignment]) if assignment else None


def _layer_name(hit: dict) -> str:
    if hit.get("item") == "text":
        return "article text"
    if hit.get("gold"):
        return "gold"
    return f"{hit['annotator']}’s layer"


def search_context(request, project) -> dict:
    """The page's search part, from the GET parameters (q, mode, cursor)."""
    user = request.user
    q = request.GET.get("q", "")
    mode = request.GET.get("mode") if request.GET.get("mode") in MODES else "hits"
    reviews = holds_role(user, project, Membership.READS_ALL_LAYERS)
    context = {"project": project, "q": q, "mode": mode, "modes": MODES, "help": HELP, "reviews": reviews,
               "tab": "search", "page": None, "error": None, "first_page": not request.GET.get("cursor"),
               "count_limit": ARTICLE_COUNT_LIMIT if mode == "articles" else HIT_COUNT_LIMIT}
    if not q.strip():
        return context
    try:
        page = search(project=project, user=user, q=q, mode=mode, cursor=request.GET.get("cursor") or None,
                      size=PAGE_SIZE)
    except (QuerySyntaxError, BadCursor) as error:
        context["error"] = _error(q, error)
        return context
    _open_links(user, project, page.results, reviews)
    for hit in page.results:
        if mode == "hits":
            hit["layer_name"] = _layer_name(hit)
    context["page"] = page
    context["next_url"] = "?" + urlencode({"q": q, "mode": mode, "cursor": page.cursor}) if page.cursor else None
    return context


def bulk_context(project, *, q: str, values: dict | None = None) -> dict:
    """The "Annotate all hits" form: the project's labels and sources, and its latest operations."""
    return {
        "labels": list(project.labels.order_by("name").values_list("name", flat=True)),
        "sources": list(Entity.objects.filter(project=project).order_by("name").values_list("pk", "name")
                        [:LISTED_SOURCES]),
        "operations": list(bulk.operations_of(project)[:LISTED_OPERATIONS]),
        "intos": BulkOperation.Into.choices,
        "bulk": {"q": q, "label": "", "entity": "", "into": BulkOperation.Into.LAYERS, **(values or {})},
    }


@login_required
def search_page(request, slug):
    """Queries: the project and role, the search's own (docs/search.md: a bounded number per page), one for the
    page's assignments (annotators); reviewers' bulk form adds the labels, the sources and the operations."""
    project = project_for(request.user, slug)
    context = search_context(request, project)
    if context["reviews"]:
        context.update(bulk_context(project, q=context["q"]))
    return render(request, "annotate/search.html", context)


def _bulk_values(request) -> dict:
    return {"q": request.POST.get("q", ""), "label": request.POST.get("label", ""),
            "entity": request.POST.get("entity") or "", "into": request.POST.get("into", "")}


def _back(project, values: dict):
    return redirect(reverse("annotate:search", args=[project.slug]) + "?" + urlencode({"q": values["q"]}))


@login_required
@require_POST
def bulk_annotate(request, slug):
    """action=preview: the search page with the counts and a sample (nothing written) and the commit button;
    action=commit: apply, then back to the search page with what was done."""
    project = reviewed_project(request.user, slug)
    values = _bulk_values(request)
    common = dict(project=project, user=request.user, q=values["q"], label=values["label"], into=values["into"],
                  entity=values["entity"] or None)
    try:
        if request.POST.get("action") == "commit":
            operation = bulk.apply(**common, client_id=request.POST.get("client_id") or None)
        else:
            preview = bulk.preview(**common)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(project, values)
    if request.POST.get("action") == "commit":
        counts = operation.counts
        if getattr(operation, "replayed", False):
            messages.success(request, "This operation was applied already; nothing more was written.")
        elif operation.into == BulkOperation.Into.LAYERS:
            messages.success(request, f"Added {counts['new']} span{'s' if counts['new'] != 1 else ''} in "
                                      f"{counts['layers']} layer{'s' if counts['layers'] != 1 else ''} "
                                      f"({counts['present']} already there).")
        else:
            messages.success(request, f"Stored {counts['suggestions']} suggestions for the annotators of "
                                      f"{counts['articles']} articles.")
        return _back(project, values)
    request.GET = request.GET.copy()
    request.GET["q"] = values["q"]
    context = search_context(request, project)
    context.update(bulk_context(project, q=values["q"], values=values))
    context.update({"preview": preview, "client_id": uuid.uuid4()})
    return render(request, "annotate/search.html", context)


@login_required
@require_POST
def undo_operation(request, slug, pk):
    project = reviewed_project(request.user, slug)
    try:
        operation = bulk.undo(operation=bulk.operation_of(request.user, project, pk), user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(project, {"q": request.POST.get("q", "")})
    if operation.replayed:
        messages.success(request, "This operation was undone already.")
    else:
        result = operation.undo_result or {}
        kept = len(result.get("kept", []))
        messages.success(request, "Undone." + (f" {kept} span{'s' if kept != 1 else ''} changed or used since "
                                               "were kept." if kept else ""))
    return _back(project, {"q": request.POST.get("q", "") or operation.query})
