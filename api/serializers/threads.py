"""Discussion threads' inputs and answers (annotate/services/threads.py; docs/review.md, "Threads")."""
from rest_framework import serializers

from annotate.models import Thread
from annotate.services.threads import BODY_LIMIT

ID = dict(min_value=1, max_value=2**63 - 1)  # a 64-bit column: a larger id is a 400, not a driver's 500


class AnchorIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Thread.Kind.choices)
    id = serializers.IntegerField(required=False, allow_null=True, **ID, help_text=(
        "The span's, relation's or stance's id in the layer; for kind article the article's id (may be left out)."))


class ThreadIn(serializers.Serializer):
    annotation = serializers.IntegerField(required=False, allow_null=True, **ID, help_text=(
        "The layer the thread is about; an annotator may leave it out for their own layer on the article."))
    anchor = AnchorIn()
    body = serializers.CharField(max_length=BODY_LIMIT, help_text="The first comment; @username mentions a member.")
    client_id = serializers.UUIDField(required=False, allow_null=True, help_text=(
        "Your id for the first comment: a retry with the same id answers the thread made the first time."))


class CommentIn(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_LIMIT, help_text="@username mentions a member.")
    client_id = serializers.UUIDField(required=False, allow_null=True, help_text=(
        "Your id for the comment: a retry with the same id applies once."))


class ThreadPatch(serializers.Serializer):
    resolved = serializers.BooleanField(help_text="true resolves the thread, false reopens it.")


class ThreadListQuery(serializers.Serializer):
    annotation = serializers.IntegerField(required=False, **ID, help_text="Only this layer's threads.")
    resolved = serializers.BooleanField(required=False, allow_null=True, default=None,
                                        help_text="true: resolved threads only; false: open ones only.")


class AnchorOut(serializers.Serializer):
    kind = serializers.CharField(source="anchor_kind")
    id = serializers.IntegerField(source="anchor_id")
    text = serializers.CharField(source="anchor_text", help_text="What the item was when the thread was opened.")
    gone = serializers.BooleanField(source="anchor_gone", help_text=(
        "The item has been deleted since; the thread is kept (and may be resolved)."))


class CommentOut(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.username")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    mentions = serializers.ListField(child=serializers.CharField(), source="mention_names",
                                     help_text="The members this comment mentions (usernames).")
    client_id = serializers.UUIDField(allow_null=True)


class ThreadOut(serializers.Serializer):
    id = serializers.IntegerField()
    article = serializers.IntegerField(source="article_id")
    annotation = serializers.IntegerField(source="annotation_id")
    anchor = AnchorOut(source="*")
    resolved = serializers.BooleanField()
    resolved_by = serializers.CharField(source="resolved_by.username", allow_null=True, default=None)
    resolved_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()
    comments = CommentOut(many=True, help_text="Oldest first.")


class ThreadWritten(ThreadOut):
    comment = serializers.IntegerField(help_text="The comment this request wrote (or found, when replayed).")
    unmatched_mentions = serializers.ListField(child=serializers.CharField(), help_text=(
        "@names in the body that were not linked: no member of that name may see this layer. Whether such a "
        "user exists is not said."))
