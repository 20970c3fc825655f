"""The workspace for one assignment: the page and the state its ES modules start from.

The page carries its initial state as JSON (json_script): the article, the
project's vocabulary and the layer in exactly the shapes the REST API
answers, so static/js/workspace.js has one code path for the first render and
for every reload through the API. Offsets in that state are code points;
the browser converts to and from its UTF-16 positions at the edge
(static/js/offsets.js).
"""
from django.contrib.auth.decorators import login_required
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from annotate.access import assignment_for
from annotate.models import Annotation, Assignment, Entity, Project, Recommender, SuggestedSpan
from annotate.services.annotating import EDITABLE, open_layer
from api import payloads

# The workspace's ES modules, preloaded by the page so the browser fetches them in parallel.
MODULES = [f"js/{name}.js" for name in (
    "workspace", "api", "dom", "offsets", "fragments", "store", "sending", "sync", "backups", "render", "paragraphs",
    "keyed", "linking",
    "panels/inspector", "panels/entities", "panels/sources", "panels/relations", "panels/stances",
    "panels/guidelines", "panels/dialogs", "panels/article-labels", "suggesting", "suggestions", "accepting",
    "ghosts", "panels/suggestions", "panels/threads")]


def own_assignment(user, pk) -> Assignment:
    """The user's own assignment; anyone else's (even one a reviewer may read) does not exist here."""
    assignment = assignment_for(user, pk)
    if assignment.annotator_id != user.pk:
        raise Http404("No such assignment.")
    return assignment


def offers_suggestions(article) -> ExpressionWrapper:
    """Whether the workspace offers suggestions, as an annotation of the project (no query of its own):
    a recommender is enabled, or some are stored for this article (a run may have made them before
    its recommender was switched off)."""
    enabled = Recommender.objects.filter(project_id=OuterRef("pk"), enabled=True)
    stored = SuggestedSpan.objects.filter(article_id=article.pk)
    return ExpressionWrapper(Q(Exists(enabled)) | Q(Exists(stored)), output_field=BooleanField())


def suggestion_settings(project, article) -> dict:
    """For suggesting.js: whether to offer suggestions, and the score below which they are not shown
    (sent to the API as min_score). A project read without offers_suggestions() costs one query."""
    available = getattr(project, "offers_suggestions", None)
    if available is None:
        available = Project.objects.filter(pk=project.pk).annotate(on=offers_suggestions(article)).values_list(
            "on", flat=True).get()
    return {"available": bool(available), "threshold": project.suggestion_threshold}


def workspace_state(assignment: Assignment, layer, project, entities) -> dict:
    article = assignment.article
    editable = layer.status in EDITABLE and assignment.status != Assignment.Status.SKIPPED
    return {
        "assignment": {"id": assignment.pk, "status": assignment.status, "skip_reason": assignment.skip_reason},
        "article": {
            "id": article.pk, "external_id": article.external_id, "title": article.title, "outlet": article.outlet,
            "url": article.url, "published": article.published.isoformat() if article.published else None,
            "language": article.language, "caption": article.caption, "text": article.text,
        },
        "project": payloads.project(project),
        "layer": payloads.layer(layer),
        "entities": payloads.entities(entities),
        "entity_types": [{"value": value, "label": label} for value, label in Entity.Type.choices],
        "editable": editable,
        "suggestions": suggestion_settings(project, article),
        "urls": {
            "api": reverse("api:project-list").removesuffix("projects/"),
            "next": reverse("annotate:next-article", args=[project.slug]),
            "my_work": reverse("annotate:my-work"),
        },
    }


@login_required
def workspace(request, pk):
    assignment = own_assignment(request.user, pk)
    layer = open_layer(assignment=assignment)
    # Fixed number of queries whatever the layer holds: the layer with its
    # spans, relations, stances and evidence; the project with its vocabulary;
    # the canonical sources the layer mentions.
    layer = Annotation.objects.for_detail().get(pk=layer.pk)
    article = assignment.article
    project = (Project.objects.with_role(request.user).with_vocabulary()
               .annotate(offers_suggestions=offers_suggestions(article)).get(pk=article.project_id))
    entities = Entity.objects.of_layer(layer.pk)
    context = {
        "assignment": assignment,
        "article": article,
        "project": project,
        "layer": layer,
        "paragraphs": [line for line in article.text.split("\n") if line.strip()],
        "state": workspace_state(assignment, layer, project, entities),
        "modules": MODULES,
    }
    return render(request, "annotate/workspace.html", context)
