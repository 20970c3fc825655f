"""`include=comments`: each exported layer's discussion threads with their comments (docs/export.md).

Never written by default: discussion is people talking, not the annotation, and it may name people. Asked
for, it costs two queries per batch of layers whatever their number of threads (the threads with their
anchors' state, then their comments), like the rest of the record (records.py).

An anchor keeps the API's shape ({"kind", "id", "text", "gone"}: ids are database ids, the article's for kind
"article"); a span anchor still in the layer also names the span's id in the record ("span": "s3").
"""
from collections import defaultdict

from ..models import Comment, Thread
from .records import _utc


def threads_by_layer(ids: list[int], local_spans: dict[int, str]) -> dict[int, list[dict]]:
    """The threads of the layers `ids`, oldest first, by layer. `local_spans`: the record's span ids by
    database id (records._spans)."""
    rows = list(
        Thread.objects.filter(annotation_id__in=ids).with_anchor_state().order_by("annotation_id", "id")
        .values_list("id", "annotation_id", "anchor_kind", "anchor_id", "anchor_text", "anchor_exists", "resolved",
                     "resolved_by__username", "resolved_at", "created_by__username", "created_at"))
    comments = defaultdict(list)
    for thread_id, author, body, created_at in (
            Comment.objects.filter(thread_id__in=[row[0] for row in rows]).order_by("thread_id", "id")
            .values_list("thread_id", "author__username", "body", "created_at")):
        comments[thread_id].append({"author": author, "body": body, "created_at": _utc(created_at)})
    by_layer = defaultdict(list)
    for (pk, annotation_id, kind, anchor_id, anchor_text, exists, resolved, resolved_by, resolved_at, created_by,
         created_at) in rows:
        anchor = {"kind": kind, "id": anchor_id, "text": anchor_text, "gone": not exists}
        if kind == Thread.Kind.SPAN and anchor_id in local_spans:
            anchor["span"] = local_spans[anchor_id]
        by_layer[annotation_id].append({
            "anchor": anchor, "resolved": resolved, "resolved_by": resolved_by,
            "resolved_at": _utc(resolved_at) if resolved_at else None,
            "created_by": created_by, "created_at": _utc(created_at), "comments": comments.get(pk, []),
        })
    return by_layer
