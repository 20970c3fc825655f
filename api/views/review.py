"""Review endpoints: differences between layers, building and adjudicating gold, sending back, merging sources."""
from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import reviewed_article, reviewed_layer, reviewed_project
from annotate.models import Annotation, Entity
from annotate.review import differences, layers_of, line_up_answers
from annotate.services import review

from ..versioning import expected_version
from .annotations import annotation_response


def _key(key) -> list:
    return [list(part) if isinstance(part, tuple) else part for part in key]


class ArticleReview(APIView):
    """Every annotator's submitted layer of the article lined up: who has each item, and the conflicts."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        article = reviewed_article(request.user, pk)
        layers, gold = layers_of(article)
        diff = differences(layers, gold)
        items = {
            kind: [{"key": _key(item.key), "state": diff["state"][kind][key], "annotators": item.annotators,
                    "ids": {name: obj.pk for name, obj in item.by.items()},
                    "gold_id": item.gold.pk if item.gold is not None else None}
                   for key, item in sorted(group.items(), key=lambda kv: repr(kv[0]))]
            for kind, group in diff["items"].items()
        }
        return Response({
            "article": article.pk,
            "annotators": diff["annotators"],
            "layers": {layer.annotator.get_username(): layer.pk for layer in layers},
            "gold": gold.pk if gold else None,
            "items": items,
            "label_conflicts": [{"start": s, "end": e, "labels": labels}
                                for (s, e), labels in diff["label_conflicts"].items()],
            "boundary_conflicts": [[_key(a), _key(b)] for a, b in diff["boundary_conflicts"]],
            "entity_conflicts": [_key(k) for k in diff["entity_conflicts"]],
            "polarity_conflicts": [_key(k) for k in diff["polarity_conflicts"]],
            # Per article question: each annotator's answer, the gold one, agreed / conflict / partial / open.
            "article_labels": line_up_answers(layers, gold),
        })


class StartGold(APIView):
    """Create the gold layer from one annotator's layer (`source`) or from the agreed items only (no source)."""

    class StartGoldInput(serializers.Serializer):
        source = serializers.IntegerField(required=False, allow_null=True)

    @extend_schema(request=StartGoldInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        article = reviewed_article(request.user, pk)
        data = self.StartGoldInput(data=request.data)
        data.is_valid(raise_exception=True)
        source = None
        if data.validated_data.get("source"):
            source = Annotation.objects.filter(pk=data.validated_data["source"], article=article).first()
            if source is None:
                raise ValidationError({"source": "not a layer of this article."})
        gold = review.start_gold(article=article, reviewer=request.user, source=source)
        return annotation_response(Annotation.objects.for_detail().get(pk=gold.pk), status_code=status.HTTP_201_CREATED)


class AcceptItem(APIView):
    """Copy an annotator's span, relation or stance into this gold layer (with the spans it needs)."""

    class AcceptItemInput(serializers.Serializer):
        kind = serializers.ChoiceField(["span", "relation", "stance", "article_label"],
                                       help_text="article_label: item_id is the answer's id in the review's "
                                                 "article_labels (its gold answer becomes that annotator's).")
        item_id = serializers.IntegerField()
        version = serializers.IntegerField(required=False)

    @extend_schema(request=AcceptItemInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        gold = reviewed_layer(request.user, pk)
        data = self.AcceptItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        review.accept_item(gold=gold, expected_version=expected_version(request), actor=request.user,
                           kind=data.validated_data["kind"], item_id=data.validated_data["item_id"])
        return annotation_response(Annotation.objects.for_detail().get(pk=gold.pk))


class Adjudicate(APIView):
    """Mark the gold layer adjudicated (final)."""

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        gold = reviewed_layer(request.user, pk)
        review.adjudicate(gold=gold, expected_version=expected_version(request), reviewer=request.user)
        return annotation_response(Annotation.objects.for_detail().get(pk=gold.pk))


class ReturnLayer(APIView):
    """Send a submitted layer back to its annotator with a comment."""

    class ReturnInput(serializers.Serializer):
        comment = serializers.CharField(max_length=5000)

    @extend_schema(request=ReturnInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        annotation = reviewed_layer(request.user, pk)
        data = self.ReturnInput(data=request.data)
        data.is_valid(raise_exception=True)
        review.return_to_annotator(annotation=annotation, reviewer=request.user,
                                   comment=data.validated_data["comment"])
        return annotation_response(Annotation.objects.for_detail().get(pk=pk))


class MergeEntities(APIView):
    """Merge another source of the project into this one: every mention and stance moves to it."""

    class MergeInput(serializers.Serializer):
        absorb = serializers.IntegerField()

    @extend_schema(request=MergeInput, responses=OpenApiTypes.OBJECT)
    def post(self, request, slug, pk):
        project = reviewed_project(request.user, slug)
        data = self.MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        keep = Entity.objects.filter(project=project, pk=pk).first()
        absorb = Entity.objects.filter(project=project, pk=data.validated_data["absorb"]).first()
        if keep is None or absorb is None:
            raise Http404("No such source in this project.")
        keep = review.merge_entities(keep=keep, absorb=absorb, actor=request.user)
        return Response({"id": keep.pk, "name": keep.name, "aliases": keep.aliases})
