"""Discussion on a layer's items: threads anchored to the article, a span, a relation or a stance, and their
comments (docs/review.md, "Threads").

A thread belongs to one layer, so whoever may read that layer (its annotator, the project's reviewers and
managers) may read and join the thread, and nobody else: the layer's visibility, written once
(`ThreadQuerySet.visible_to`). Threads are discussion, not annotation: writing one never changes the layer's
version or its history.

The anchor is a kind and an id, not a foreign key. An anchored item may be deleted (or restored, or replaced
by a re-import) while people are still talking about it; the thread is kept and shows its anchor as gone
(`anchor_text` keeps what the item was when the thread was opened), never silently dropped. A foreign key
would have to cascade (losing the discussion) or null the id (losing what it was about), and every span
delete, including the importer's raw deletes, would have to visit this table.
"""
from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, OuterRef, Prefetch, Q, Value, When

from .annotation import Annotation, Relation, Span, Stance
from .article import Article
from .project import visible_to_member


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The threads of the layers the user may read (Annotation.visible_to, the same rule)."""
        return visible_to_member(self, user, own=Q(annotation__annotator=user, annotation__is_gold=False),
                                 project="article__project")

    def open(self):
        return self.filter(resolved=False)

    def on_layers_of(self, user):
        """Open threads on the user's own layers (not gold): read from the partial index of open threads."""
        return self.open().filter(annotation__annotator=user, annotation__is_gold=False)

    def mentioning(self, user):
        """Open threads the user may see with a comment that mentions them (only readers are ever mentioned, but
        a membership may have changed since)."""
        mentioned = Comment.mentions.through.objects.filter(user=user).values("comment__thread_id")
        return self.visible_to(user).open().filter(pk__in=mentioned)

    def with_anchor_state(self):
        """Each thread with `anchor_exists`: whether its anchored item is still in its layer (an EXISTS on the
        item's primary key, in the same query)."""
        def exists(model):
            return Exists(model.objects.filter(pk=OuterRef("anchor_id"), annotation_id=OuterRef("annotation_id")))

        return self.annotate(anchor_exists=Case(
            *(When(anchor_kind=kind, then=exists(model)) for kind, model in Thread.ITEM_MODELS.items()),
            default=Value(True), output_field=models.BooleanField()))

    def listed(self):
        """Threads as the API and the pages show them, with their comments and mentions: three queries whatever
        their number (threads, comments with their authors, the comments' mentions)."""
        from django.contrib.auth import get_user_model

        people = get_user_model().objects.only("id", "username")
        comments = Comment.objects.select_related("author").only(
            "id", "thread_id", "body", "created_at", "client_id", "author__id", "author__username",
        ).prefetch_related(Prefetch("mentions", people)).order_by("id")
        return (self.with_anchor_state().select_related("created_by", "resolved_by")
                .prefetch_related(Prefetch("comments", comments)).order_by("id"))


class Thread(models.Model):
    class Kind(models.TextChoices):
        ARTICLE = "article"
        SPAN = "span"
        RELATION = "relation"
        STANCE = "stance"

    # The anchor's model by kind; "article" is the thread's own article.
    ITEM_MODELS = {Kind.SPAN: Span, Kind.RELATION: Relation, Kind.STANCE: Stance}

    # Copied from the layer so that an article's threads are listed without a join through the layers.
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="threads", db_index=False)
    # A layer is deleted on purpose (the admin lists what goes with it); its threads could be seen by nobody.
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="threads")
    anchor_kind = models.CharField(max_length=10, choices=Kind.choices)
    # The anchored item's id when the thread was opened (the article's id for kind "article"); see the module.
    anchor_id = models.BigIntegerField()
    anchor_text = models.TextField(blank=True, help_text="What the anchor was when the thread was opened.")
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    # PROTECT, like the history's actors: who said what stays known (deactivate a user instead).
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["article", "id"]
        indexes = [
            # An article's threads in order (the API's list, the workspace panel).
            models.Index(fields=["article", "id"], name="thread_of_article"),
            # "Which layers / articles have open threads": partial indexes hold only the open ones, so the
            # review filter and My work read a few index entries, never every thread ever resolved.
            models.Index(fields=["annotation"], condition=Q(resolved=False), name="thread_open_in_layer"),
            models.Index(fields=["article"], condition=Q(resolved=False), name="thread_open_in_article"),
        ]

    def __str__(self):
        state = "resolved" if self.resolved else "open"
        return f"thread {self.pk} on {self.anchor_kind} {self.anchor_id} ({state})"

    @property
    def anchor_gone(self) -> bool:
        """Whether the anchored item has been deleted since (read through ThreadQuerySet.with_anchor_state)."""
        return not self.anchor_exists


class Comment(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments", db_index=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="thread_comments")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Members named with @username who may see the layer (services/threads.py); others stay plain text.
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in")
    # The writer's id, so a retried post applies once (unique per author: two people never share one).
    client_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["thread", "id"]
        indexes = [models.Index(fields=["thread", "id"], name="comment_in_thread")]
        constraints = [models.UniqueConstraint(fields=["author", "client_id"], name="comment_client_id_unique")]

    def __str__(self):
        return f"comment {self.pk} by {self.author_id} on thread {self.thread_id}"

    @property
    def mention_names(self) -> list[str]:
        """The mentioned usernames, from the prefetched mentions (ThreadQuerySet.listed)."""
        return [user.get_username() for user in self.mentions.all()]
