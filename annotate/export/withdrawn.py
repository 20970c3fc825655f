"""Withdrawals: the layers that left an export's selection, read from the layers' history.

An incremental pull (`updated_since`) sees what entered or changed, never what
left: a layer returned to its annotator, deleted, set back by an import
`--replace`, an admin edit or a restore is simply absent. The history
(AnnotationEvent) records every one of those moves and outlives the layer, so
the tombstones are derived from it; no table of their own.

A layer is withdrawn from a selection (`status=submitted|gold|all`, and the
annotator/article filters) since T when:

* it is not in the selection now (its status is another one, or it is gone);
* one of its exit events (EXIT_ACTIONS: the only events that move a layer out)
  at or after T took it out: the state before the event was in the selection
  (`before.status`, and `is_gold`);
* and that event is the layer's latest such one: a layer returned twice since
  T is one tombstone, dated by the second return.

A layer that is back in the selection (returned, then submitted again) is in
the JSONL pull instead, never in both: a mirror applies both and is exact.

Reading: exit events in (created_at, id) keyset batches; each batch then costs
three more queries whatever its size (the layers with their article and
annotator, the layers' other exit events, the articles and users of deleted
layers). Memory is one batch. The events have no project column: a batch's
events of other projects are read and dropped (exit events are rare next to
item events). On PostgreSQL the batch query wants the partial index
WITHDRAWAL_INDEX (see tests/test_export_withdrawn.py); without it each batch
reads the events table whole.
"""
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db.models import Q

from config.routers import replica_reads

from ..models import Annotation, AnnotationEvent, Article, Project
from .filters import ExportFilters
from .records import _utc

BATCH_SIZE = 500

# The events that can take a layer out of a selection. status.submit and status.adjudicate only bring
# layers in; item events (span.add, ...) change content, which the JSONL pull carries.
REASONS = {
    "status.return": "returned",  # a reviewer sent it back (services/review.py)
    "layer.delete": "deleted",  # services/editing.py delete_layers: the event holds the layer's last state
    "status.import": "replaced",  # import --replace gave it another status (importing/rows.py)
    "status.admin": "status_changed",  # an admin form changed its status (services/editing.py)
    "status.restore": "restored",  # a restore brought back an earlier status (services/restoring.py)
}
EXIT_ACTIONS = tuple(REASONS)

# The index the batch query is written for: AnnotationEvent's partial index on (created_at, id) over these
# actions (migration 0012; tests/test_export_withdrawn.py checks the plan and that the actions agree).
WITHDRAWAL_INDEX_NAME = "event_exit_in_time"


def in_selection(status_filter: str, *, status: str, is_gold: bool) -> bool:
    """Whether a layer in this state is one `status=<status_filter>` exports (filters.ExportFilters.q)."""
    if status_filter == "submitted":
        return not is_gold and status == Annotation.Status.SUBMITTED
    if status_filter == "gold":
        return is_gold and status == Annotation.Status.ADJUDICATED
    return True  # "all": only a delete takes a layer out


def iter_withdrawals(project: Project, filters: ExportFilters, *, batch_size: int | None = None) -> Iterator[dict]:
    """One tombstone per layer that left the selection since `filters.updated_since`, in withdrawal order."""
    size = batch_size or BATCH_SIZE
    events = AnnotationEvent.objects.filter(action__in=EXIT_ACTIONS)
    if filters.updated_since is not None:
        events = events.filter(created_at__gte=filters.updated_since)
    # order_by: the model's default ordering (annotation_id, version, id) would defeat the index.
    events = events.order_by("created_at", "pk").values_list("pk", "annotation_id", "created_at", "action", "before")
    last = None
    while True:
        page = events
        if last is not None:
            # (created_at, id) > last, spelt as a range on created_at (the index condition) and a filter, so
            # the index is read in order from `last` on: no sort, nothing before `last` read again.
            page = page.filter(created_at__gte=last[0]).filter(Q(created_at__gt=last[0]) | Q(pk__gt=last[1]))
        with replica_reads():
            rows = list(page[:size])
            if not rows:
                return
            batch = list(_tombstones(rows, project, filters))
        yield from batch
        if len(rows) < size:
            return
        last = (rows[-1][2], rows[-1][0])


def _tombstones(rows: list[tuple], project: Project, filters: ExportFilters) -> Iterator[dict]:
    layer_ids = {annotation_id for _, annotation_id, *_ in rows}
    # The layers as they are now (absent: deleted).
    live = {
        pk: (status, is_gold, article_id, project_id, external_id, username)
        for pk, status, is_gold, article_id, project_id, external_id, username in Annotation.objects.filter(
            pk__in=layer_ids).values_list("pk", "status", "is_gold", "article_id", "article__project_id",
                                          "article__external_id", "annotator__username")
    }
    # Every exit event of these layers, to find each one's latest (and a deleted layer's last state).
    later = {}
    gone = {}  # deleted layer id -> the state its delete event kept
    for pk, annotation_id, action, before in AnnotationEvent.objects.filter(
            annotation_id__in=layer_ids, action__in=EXIT_ACTIONS).order_by().values_list(
            "pk", "annotation_id", "action", "before"):
        layer = live.get(annotation_id)
        if layer is None and action == "layer.delete":
            gone[annotation_id] = before or {}
        later.setdefault(annotation_id, []).append((pk, action, before))
    articles, users = _of_deleted(gone.values())

    def layer_of(annotation_id):
        """(status, is_gold, article id, project id, external id, username), now or at its deletion."""
        if annotation_id in live:
            return live[annotation_id]
        state = gone.get(annotation_id)
        if state is None:
            return None  # deleted without a delete event: cannot happen through the services
        article = articles.get(state.get("article"))
        if article is None:
            return None  # the article is gone too: no project to attribute it to
        return (None, state.get("is_gold", False), state.get("article"), article[0], article[1],
                users.get(state.get("annotator")))

    for pk, annotation_id, created_at, action, before in rows:
        layer = layer_of(annotation_id)
        if layer is None or layer[3] != project.pk:
            continue
        status, is_gold, article_id, _, external_id, username = layer
        if filters.annotator is not None and username != filters.annotator:
            continue
        if filters.article is not None and external_id != filters.article:
            continue
        if status is not None and in_selection(filters.status, status=status, is_gold=is_gold):
            continue  # back in the selection: the JSONL pull has it
        if not _took_out(filters.status, action, before, is_gold):
            continue
        if any(other > pk and _took_out(filters.status, other_action, other_before, is_gold)
               for other, other_action, other_before in later.get(annotation_id, ())):
            continue  # a later exit is the one that counts (it comes in this batch or a later one)
        yield {
            "annotation_id": annotation_id,
            "article": article_id,
            "external_id": external_id,
            "annotator": username,
            "withdrawn_at": _utc(created_at),
            "reason": REASONS[action],
        }


def _took_out(status_filter: str, action: str, before, is_gold: bool) -> bool:
    """Whether the layer was in the selection just before this exit event."""
    before = before or {}
    if action == "layer.delete":
        is_gold = before.get("is_gold", is_gold)
    elif status_filter == "all":
        return False  # a status change never leaves "all"
    status = before.get("status")
    return status is not None and in_selection(status_filter, status=status, is_gold=bool(is_gold))


def _of_deleted(states) -> tuple[dict, dict]:
    """Deleted layers' articles (id -> (project id, external id)) and annotators (id -> username)."""
    article_ids = {state.get("article") for state in states} - {None}
    user_ids = {state.get("annotator") for state in states} - {None}
    articles = {pk: (project_id, external_id) for pk, project_id, external_id in
                Article.objects.filter(pk__in=article_ids).values_list("pk", "project_id", "external_id")}
    users = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    return articles, users
