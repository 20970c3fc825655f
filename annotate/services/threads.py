"""Discussion threads on a layer's items: open one, reply, resolve and reopen (docs/review.md, "Threads").

Who may call these is decided before (annotate.access.thread_for / thread_layer_for: whoever may read the
layer); here the anchor, the body and the mentions are checked, the same for every door.

Threads are discussion, not annotation: nothing here locks the layer, checks or bumps its version, or writes
its history, so talking about a span never makes an annotator's open tab stale.

Retries apply once: a post carries the writer's `client_id`, and a repeat finds the comment (or the thread it
opened) made the first time and answers with it (`replayed = True`).

Mentions: each `@username` in a body is linked to that user when they are a member of the project who may
see the layer (its annotator, the project's reviewers and managers). Any other name, whether no such user
exists or they may not see the layer, stays plain text and is answered back in `unmatched_mentions` alike,
so a mention never tells whether a username exists.
"""
import re
import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Annotation, Comment, Membership, Relation, Span, Stance, Thread

BODY_LIMIT = 10_000
# Django's usernames are letters, digits and @.+-_; a mention ends on a letter or digit, so "@bob." at the end
# of a sentence names bob. Not after a word character: "ana@example.org" is no mention.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]*\w)")


def mentioned_names(body: str) -> list[str]:
    """The @names in a body, each once, in order."""
    return list(dict.fromkeys(MENTION.findall(body)))


def layer_readers(annotation: Annotation):
    """The active users who may read the layer as members of its project: its annotator, reviewers, managers."""
    readers = Q(memberships__role__in=Membership.READS_ALL_LAYERS)
    if not annotation.is_gold:
        readers |= Q(pk=annotation.annotator_id)
    # One filter() call: the membership conditions hold on the same membership row.
    return get_user_model().objects.filter(readers, memberships__project_id=annotation.article.project_id,
                                           is_active=True).distinct()


def _mentions(annotation: Annotation, body: str) -> tuple[list, list[str]]:
    names = mentioned_names(body)
    if not names:
        return [], []
    found = {user.get_username(): user for user in layer_readers(annotation).filter(username__in=names)}
    return [found[name] for name in names if name in found], [name for name in names if name not in found]


def _body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "write something."})
    if len(body) > BODY_LIMIT:
        raise ValidationError({"body": f"at most {BODY_LIMIT} characters, got {len(body)}."})
    if "\x00" in body:
        raise ValidationError({"body": "must not contain NUL characters."})
    return body


def _anchor_text(annotation: Annotation, kind: str, anchor_id: int) -> str:
    """What the anchored item is, said in words, kept with the thread for when the item is gone."""
    if kind == Thread.Kind.ARTICLE:
        if anchor_id != annotation.article_id:
            raise ValidationError({"anchor": "an article thread's anchor id is the article's id."})
        return annotation.article.title or annotation.article.external_id
    if kind == Thread.Kind.SPAN:
        span = Span.objects.select_related("label").filter(annotation=annotation, pk=anchor_id).first()
        if span is not None:
            return f"{span.label.name} “{span.text[:200]}”"
    elif kind == Thread.Kind.RELATION:
        relation = (Relation.objects.select_related("type", "from_span", "to_span")
                    .filter(annotation=annotation, pk=anchor_id).first())
        if relation is not None:
            return f"“{relation.from_span.text[:80]}” {relation.type.name} “{relation.to_span.text[:80]}”"
    elif kind == Thread.Kind.STANCE:
        stance = (Stance.objects.select_related("holder_span", "holder_entity", "target", "polarity")
                  .filter(annotation=annotation, pk=anchor_id).first())
        if stance is not None:
            holder = stance.holder_entity.name if stance.holder_entity else stance.holder_span.text[:80]
            return f"{holder} → {stance.polarity.name} → {stance.target.name}"
    else:
        raise ValidationError({"anchor": f"kind must be one of {', '.join(Thread.Kind.values)}, got {kind!r}."})
    # The same words whether the item is someone else's or does not exist: ids do not leak.
    raise ValidationError({"anchor": f"no {kind} {anchor_id} in this layer."})


def _replay(author, client_id) -> Comment | None:
    if client_id is None:
        return None
    return Comment.objects.select_related("thread").filter(author=author, client_id=client_id).first()


def _add_comment(thread: Thread, author, body: str, client_id, mentions) -> Comment:
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin's insert wins, this one replays it
            comment = Comment.objects.create(thread=thread, author=author, body=body, client_id=client_id)
    except IntegrityError:
        twin = _replay(author, client_id)
        if twin is None:
            raise
        twin.replayed = True
        return twin
    comment.mentions.set(mentions)
    comment.replayed = False
    return comment


@transaction.atomic
def open_thread(*, annotation: Annotation, kind: str, anchor_id: int | None, body: str, author,
                client_id: uuid.UUID | None = None) -> Thread:
    """A new thread on the layer's article (kind "article", anchor_id the article's id or None) or on one of
    its items, with its first comment. Answers the thread with `replayed` and `unmatched_mentions`."""
    if (made := _replay(author, client_id)) is not None:
        thread = made.thread
        if thread.annotation_id != annotation.pk or thread.comments.order_by("id").first().pk != made.pk:
            raise ValidationError({"client_id": "already used for another comment."})
        thread.replayed, thread.unmatched_mentions = True, _mentions(annotation, made.body)[1]
        return thread
    body = _body(body)
    if kind == Thread.Kind.ARTICLE and anchor_id is None:
        anchor_id = annotation.article_id
    if anchor_id is None:
        raise ValidationError({"anchor": "give the id of the item the thread is about."})
    anchor_text = _anchor_text(annotation, kind, anchor_id)
    mentions, unmatched = _mentions(annotation, body)
    thread = Thread.objects.create(article_id=annotation.article_id, annotation=annotation, anchor_kind=kind,
                                   anchor_id=anchor_id, anchor_text=anchor_text, created_by=author)
    comment = _add_comment(thread, author, body, client_id, mentions)
    if comment.thread_id != thread.pk:  # a concurrent twin opened it first: this thread goes
        thread.delete()
        thread = comment.thread
    thread.replayed, thread.unmatched_mentions = comment.replayed, unmatched
    return thread


@transaction.atomic
def add_comment(*, thread: Thread, body: str, author, client_id: uuid.UUID | None = None) -> Comment:
    """A reply. Replying does not reopen a resolved thread (reopen it to say it needs work again). Answers the
    comment with `replayed` and `unmatched_mentions`."""
    annotation = thread.annotation
    if (made := _replay(author, client_id)) is not None:
        if made.thread_id != thread.pk:
            raise ValidationError({"client_id": "already used for another comment."})
        made.replayed, made.unmatched_mentions = True, _mentions(annotation, made.body)[1]
        return made
    body = _body(body)
    mentions, unmatched = _mentions(annotation, body)
    comment = _add_comment(thread, author, body, client_id, mentions)
    comment.unmatched_mentions = unmatched
    return comment


@transaction.atomic
def set_resolved(*, thread: Thread, resolved: bool, user) -> Thread:
    """Resolve or reopen. Saying what already holds changes nothing (a retry keeps the first resolver and
    time). The caller holds the thread's row (access.thread_for(lock=True)), so two people resolving at once
    do not mix one's name with the other's time."""
    if thread.resolved == resolved:
        return thread
    thread.resolved = resolved
    thread.resolved_by, thread.resolved_at = (user, timezone.now()) if resolved else (None, None)
    thread.save(update_fields=["resolved", "resolved_by", "resolved_at"])
    return thread
