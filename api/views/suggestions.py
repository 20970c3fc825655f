"""An article's suggestions: read them, ask for fresh ones, accept or reject them into a layer.

Who sees them: the project's reviewers and managers, and annotators on the articles assigned to them
(annotate.access.article_for: 404 for any other article). Accepting and rejecting is for whoever may
write the layer (its annotator; gold: reviewers and managers). Accepting is a versioned write like
any other (If-Match or "version"), and retrying it applies it once.
"""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import annotation_for, article_for
from annotate.models import Annotation
from annotate.suggestions import deciding, running
from annotate.suggestions.reading import suggestions_of

from ..serializers.annotations import RELATION, SPAN, STANCE
from ..serializers.suggestions import (
    AcceptedOut,
    ChoiceInput,
    RefreshInput,
    RefreshOut,
    RejectedOut,
    SuggestionQuery,
    SuggestionsOut,
)
from ..versioning import etag, expected_version
from .annotations import IF_MATCH, RELATIONS, SPANS, STANCES


def _listed(values) -> list[str]:
    """`?recommender=a&recommender=b` and `?recommender=a,b` alike."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _layer_of(request, article, layer_id):
    """The layer whose holdings and decisions are left out: the one asked for (which the user may write),
    else an annotator's own on this article."""
    if layer_id is not None:
        layer = annotation_for(request.user, layer_id, write=True)
        if layer.article_id != article.pk:
            raise Http404("No such annotation on this article.")
        return layer
    return Annotation.objects.filter(article=article, annotator=request.user, is_gold=False).first()


def _shown(request, article, *, recommender=None, min_score=None, layer_id=None) -> dict:
    layer = _layer_of(request, article, layer_id)
    return suggestions_of(article, recommender=recommender or None, min_score=min_score, layer=layer,
                          user=request.user if layer is not None else None)


class ArticleSuggestions(APIView):
    @extend_schema(parameters=[SuggestionQuery], responses=SuggestionsOut)
    def get(self, request, pk):
        article = article_for(request.user, pk)
        query = SuggestionQuery(data={**request.query_params.dict(),
                                      "recommender": _listed(request.query_params.getlist("recommender"))})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return Response(_shown(request, article, recommender=data.get("recommender"),
                               min_score=data.get("min_score"), layer_id=data.get("layer")))


class RefreshSuggestions(APIView):
    """Run the project's enabled recommenders (or those named) on this article now, and answer what is shown.

    Trainable recommenders predict with what they learned last; they are trained by project runs
    (`manage.py suggest`, the suggestions job). A recommender that fails is listed under `errors`; the
    others' suggestions are stored and shown all the same.
    """

    @extend_schema(request=RefreshInput, parameters=[SuggestionQuery], responses=RefreshOut)
    def post(self, request, pk):
        article = article_for(request.user, pk)
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        names = data.validated_data.get("recommender") or None
        try:
            outcomes = running.run(article.project, names=names, article_ids=[article.pk], may_train=False,
                                   log=lambda line: None)
        except LookupError as error:
            return Response({"recommender": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        errors = [{"recommender": name, "message": message}
                  for name, outcome in outcomes.items() for message in outcome.errors]
        errors += [{"recommender": name, "message": outcome.skipped}
                   for name, outcome in outcomes.items() if outcome.skipped]
        query = SuggestionQuery(data={**request.query_params.dict(),
                                      "recommender": _listed(request.query_params.getlist("recommender"))})
        query.is_valid(raise_exception=True)
        shown = _shown(request, article, min_score=query.validated_data.get("min_score"),
                       layer_id=query.validated_data.get("layer"))
        return Response({**shown, "errors": errors})


def _chosen(request, annotation, data: dict) -> deciding.Chosen:
    return deciding.choose(annotation, user=request.user, spans=data["spans"], relations=data["relations"],
                           stances=data["stances"], label=data.get("label"), min_score=data.get("min_score"))


class AcceptSuggestions(APIView):
    """Accept suggestions into this layer: spans, relations (their spans come along) and stances (their holder
    and evidence spans come along) by id, or every suggested span of one `label` you still see.

    Each becomes an ordinary item whose provenance names the recommender, its version and the score.
    Send the layer version (If-Match or "version"); a retry of an accept that was applied answers the same
    items again (header `Idempotent-Replayed: true`) and writes nothing.
    """

    @extend_schema(request=ChoiceInput, parameters=[IF_MATCH], responses={201: AcceptedOut, 200: AcceptedOut})
    def post(self, request, pk):
        annotation = annotation_for(request.user, pk, write=True)
        data = ChoiceInput(data=request.data)
        data.is_valid(raise_exception=True)
        chosen = _chosen(request, annotation, data.validated_data)
        accepted = deciding.accept(annotation=annotation, expected_version=expected_version(request), chosen=chosen,
                                   actor=request.user)
        body = {
            "spans": SPAN.rows(SPANS.filter(pk__in=[span.pk for span in accepted.spans])),
            "relations": RELATION.rows(RELATIONS.filter(pk__in=[relation.pk for relation in accepted.relations])),
            "stances": [STANCE.of(stance) for stance in STANCES.filter(pk__in=[s.pk for s in accepted.stances])],
            "annotation_version": accepted.version,
        }
        response = Response(body, status=status.HTTP_200_OK if accepted.replayed else status.HTTP_201_CREATED,
                            headers={"ETag": etag(accepted.version)})
        if accepted.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class RejectSuggestions(APIView):
    """Reject suggestions for this layer (by id, or every suggested span of one `label` you still see). They are
    not shown to you on this article again; the layer does not change, so no version is needed."""

    @extend_schema(request=ChoiceInput, responses=RejectedOut)
    def post(self, request, pk):
        annotation = annotation_for(request.user, pk, write=True)
        data = ChoiceInput(data=request.data)
        data.is_valid(raise_exception=True)
        chosen = _chosen(request, annotation, data.validated_data)
        return Response({"rejected": deciding.reject(annotation=annotation, chosen=chosen, actor=request.user)})
