"""Discussion threads on an article's layers (docs/review.md, "Threads").

Whoever may read a layer (its annotator, the project's reviewers and managers) may read its threads, open
one, reply, resolve and reopen; nobody else learns that they exist (404, through annotate.access). Writes go
through annotate/services/threads.py; they never change the layer's version. A retried post (same
`client_id`) answers 200 with what the first one made and `Idempotent-Replayed: true`.
"""
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import article_for, thread_for, thread_layer_for
from annotate.models import Thread
from annotate.services import threads

from ..serializers.threads import CommentIn, ThreadIn, ThreadListQuery, ThreadOut, ThreadPatch, ThreadWritten


def _written(thread_pk: int, comment, unmatched: list[str], replayed: bool) -> Response:
    thread = Thread.objects.listed().get(pk=thread_pk)
    thread.comment, thread.unmatched_mentions = comment.pk, unmatched
    response = Response(ThreadWritten(thread).data, status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class ArticleThreads(APIView):
    """GET: the threads you may see on this article, oldest first, with their comments (not paginated: an
    article's discussion). POST: open a thread on the article or on an item of one of its layers."""

    @extend_schema(operation_id="v1_articles_threads_list", parameters=[ThreadListQuery],
                   responses=ThreadOut(many=True))
    def get(self, request, pk):
        article = article_for(request.user, pk)
        params = ThreadListQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        found = Thread.objects.visible_to(request.user).filter(article=article)
        if params.validated_data.get("annotation") is not None:
            found = found.filter(annotation_id=params.validated_data["annotation"])
        if params.validated_data["resolved"] is not None:
            found = found.filter(resolved=params.validated_data["resolved"])
        return Response(ThreadOut(found.listed(), many=True).data)

    @extend_schema(request=ThreadIn, responses={201: ThreadWritten, 200: ThreadWritten})
    def post(self, request, pk):
        article = article_for(request.user, pk)
        body = ThreadIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        layer = thread_layer_for(request.user, article, data.get("annotation"))
        thread = threads.open_thread(annotation=layer, kind=data["anchor"]["kind"],
                                     anchor_id=data["anchor"].get("id"), body=data["body"], author=request.user,
                                     client_id=data.get("client_id"))
        first = thread.comments.order_by("id").first()
        return _written(thread.pk, first, thread.unmatched_mentions, thread.replayed)


class ThreadDetail(APIView):
    """GET one thread; PATCH `{"resolved": true}` resolves it, `false` reopens it (saying what already holds
    changes nothing)."""

    @extend_schema(responses=ThreadOut)
    def get(self, request, pk):
        thread = thread_for(request.user, pk)
        return Response(ThreadOut(Thread.objects.listed().get(pk=thread.pk)).data)

    @extend_schema(request=ThreadPatch, responses=ThreadOut)
    def patch(self, request, pk):
        body = ThreadPatch(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            thread = thread_for(request.user, pk, lock=True)
            threads.set_resolved(thread=thread, resolved=body.validated_data["resolved"], user=request.user)
        return Response(ThreadOut(Thread.objects.listed().get(pk=thread.pk)).data)


class ThreadComments(APIView):
    """POST a reply: answers the whole thread, `comment` naming the reply."""

    @extend_schema(request=CommentIn, responses={201: ThreadWritten, 200: ThreadWritten})
    def post(self, request, pk):
        thread = thread_for(request.user, pk)
        body = CommentIn(data=request.data)
        body.is_valid(raise_exception=True)
        comment = threads.add_comment(thread=thread, body=body.validated_data["body"], author=request.user,
                                      client_id=body.validated_data.get("client_id"))
        return _written(thread.pk, comment, comment.unmatched_mentions, comment.replayed)
