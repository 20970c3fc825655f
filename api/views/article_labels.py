"""A layer's answers to its project's article questions (annotate/services/article_labels.py).

GET reads them ({"QUESTION_NAME": value}); PUT writes some of them with the layer version: every question it
names is set to the value sent, or cleared by null, and questions it does not name keep their answers (a PUT of
the answers it names, so a client sends only what the annotator changed). Sending answers the layer already
holds is a no-op success (a retry whose reply was lost), answered with Idempotent-Replayed: true.
"""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import annotation_for
from annotate.services import article_labels

from ..versioning import etag, expected_version
from .annotations import IF_MATCH

ANSWERS_HELP = ('{"QUESTION_NAME": value}: a string for a single-choice or free-text question, a list of strings '
                "for a multiple-choice one, null to clear an answer.")


class ArticleLabelsInput(serializers.Serializer):
    version = serializers.IntegerField(required=False, help_text="The layer version you edited (or If-Match).")
    article_labels = serializers.DictField(child=serializers.JSONField(allow_null=True), allow_empty=False,
                                           help_text=ANSWERS_HELP)


class ArticleLabelsOutput(serializers.Serializer):
    annotation_version = serializers.IntegerField(help_text="The layer version to send with your next write.")
    article_labels = serializers.DictField(help_text="Every answer the layer now holds, " + ANSWERS_HELP)


class ArticleLabels(APIView):
    """The layer's article-level answers: read them, or set and clear some (send the layer version)."""

    @extend_schema(responses=ArticleLabelsOutput, operation_id="annotations_article_labels_retrieve")
    def get(self, request, pk):
        annotation = annotation_for(request.user, pk)
        return answered(annotation.pk, annotation.version)

    @extend_schema(request=ArticleLabelsInput, parameters=[IF_MATCH], responses=ArticleLabelsOutput,
                   operation_id="annotations_article_labels_update",
                   description="Set the answers named (null clears one); answers not named are kept. Every "
                               "problem comes back at once, keyed article_labels.QUESTION_NAME.")
    def put(self, request, pk):
        annotation = annotation_for(request.user, pk, write=True)
        data = ArticleLabelsInput(data=request.data)
        data.is_valid(raise_exception=True)
        annotation = article_labels.set_article_labels(
            annotation=annotation, expected_version=expected_version(request), actor=request.user,
            article_labels=data.validated_data["article_labels"])
        response = answered(annotation.pk, annotation.version)
        if annotation.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


def answered(annotation_id: int, version: int) -> Response:
    return Response({"annotation_version": version, "article_labels": article_labels.answers_of(annotation_id)},
                    headers={"ETag": etag(version)})
