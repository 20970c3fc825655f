"""One access helper per object type: the permission check and the query together.

Every view (API, UI, admin, export) fetches through these, so "who may see
what" and "which role may do what" are written once. An object the user may not see does not exist for them:
Http404, never 403, so ids do not leak. PermissionDenied (403) is only for a
member asking for something their role does not allow in a project they can
see (an annotator asking for the project's export, say).
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from .models import Annotation, Article, Assignment, Membership, Project, Thread


def project_for(user, slug: str, *, roles=None) -> Project:
    """The project `slug` if the user is a member (and holds one of `roles`, when given)."""
    project = Project.objects.visible_to(user).filter(slug=slug).first()
    if project is None:
        raise Http404("No such project.")
    if roles is not None and not user.is_superuser and project.role_of(user) not in roles:
        raise PermissionDenied("Your role in this project does not allow this.")
    return project


def export_project_for(user, slug: str) -> Project:
    """Exports are for reviewers, managers and ML engineers of the project."""
    return project_for(user, slug, roles=Membership.READS_EXPORTS)


def article_for(user, pk: int) -> Article:
    article = Article.objects.visible_to(user).select_related("project").filter(pk=pk).first()
    if article is None:
        raise Http404("No such article.")
    return article


def assignment_for(user, pk: int) -> Assignment:
    assignment = (
        Assignment.objects.visible_to(user).select_related("article__project", "annotator").filter(pk=pk).first()
    )
    if assignment is None:
        raise Http404("No such assignment.")
    return assignment


def annotation_for(user, pk: int, *, write: bool = False) -> Annotation:
    """A layer the user may read; with write=True, one they may also change.

    Writers are the layer's own annotator (gold: the project's reviewers and
    managers); a reviewer reading someone's layer cannot edit it (403).
    """
    annotation = (
        Annotation.objects.visible_to(user).select_related("article__project", "annotator").filter(pk=pk).first()
    )
    if annotation is None:
        raise Http404("No such annotation.")
    if write and not can_write(user, annotation):
        raise PermissionDenied("Only its annotator can change this layer.")
    return annotation


def thread_for(user, pk: int, *, lock: bool = False) -> Thread:
    """A discussion thread of a layer the user may read (its annotator, the project's reviewers and managers):
    they may read it, reply, resolve and reopen it. `lock`: held until the transaction ends (resolving)."""
    threads = Thread.objects.visible_to(user).select_related("annotation__article__project", "annotation__annotator")
    if lock:
        threads = threads.select_for_update(of=("self",))
    thread = threads.filter(pk=pk).first()
    if thread is None:
        raise Http404("No such thread.")
    return thread


def thread_layer_for(user, article: Article, pk: int | None) -> Annotation:
    """The layer of `article` a new thread goes into: `pk` if the user may read it (404 otherwise, or when it is
    a layer of another article), else the user's own layer on the article (400 naming `annotation` when they
    have none: a reviewer must say which layer)."""
    layers = Annotation.objects.visible_to(user).select_related("article__project", "annotator").filter(
        article=article)
    layer = layers.filter(pk=pk).first() if pk is not None else layers.filter(annotator=user, is_gold=False).first()
    if layer is None and pk is None:
        raise ValidationError({"annotation": "you have no layer on this article: say which layer the thread is "
                                             "about."})
    if layer is None:
        raise Http404("No such annotation on this article.")
    return layer


def can_write(user, annotation: Annotation) -> bool:
    if annotation.is_gold:
        return user.is_superuser or annotation.article.project.role_of(user) in Membership.READS_ALL_LAYERS
    return annotation.annotator_id == user.pk


def holds_role(user, project: Project, roles) -> bool:
    """Whether the user holds one of `roles` in the project; superusers act as managers everywhere."""
    return user.is_superuser or project.role_of(user) in roles


def reviewed_project(user, slug: str) -> Project:
    """404 for a project you are not in, 403 for a member whose role does not review."""
    return project_for(user, slug, roles=Membership.READS_ALL_LAYERS)


def reviewed_article(user, pk: int) -> Article:
    """404 for an article you cannot see, 403 for a member (an assigned annotator) who does not review."""
    article = article_for(user, pk)
    if not holds_role(user, article.project, Membership.READS_ALL_LAYERS):
        raise PermissionDenied("Reviewing is for the project's reviewers and managers.")
    return article


def reviewed_layer(user, pk: int) -> Annotation:
    annotation = annotation_for(user, pk)
    if not holds_role(user, annotation.article.project, Membership.READS_ALL_LAYERS):
        raise PermissionDenied("Reviewing is for the project's reviewers and managers.")
    return annotation


def can_restore(user, annotation: Annotation) -> bool:
    """Restoring a layer to an earlier version is for the project's managers."""
    return holds_role(user, annotation.article.project, {Membership.Role.MANAGER})


def restorable_layer(user, pk: int) -> Annotation:
    annotation = annotation_for(user, pk)
    if not can_restore(user, annotation):
        raise PermissionDenied("Restoring is for the project's managers.")
    return annotation


# Who may add canonical sources: everyone who annotates or reviews (not the read-only ML engineer).
ENTITY_WRITERS = frozenset({Membership.Role.ANNOTATOR, Membership.Role.REVIEWER, Membership.Role.MANAGER})


def check_adds_entities(user, project: Project) -> None:
    if not holds_role(user, project, ENTITY_WRITERS):
        raise PermissionDenied("Your role in this project does not add sources.")
