"""Annotation layers and the spans, relations and stances inside them.

Reads go through annotate.access (404 for layers you may not see); writes go
through annotate.services.annotating with the version the client edited
(If-Match or "version"), so a stale write answers 409 and changes nothing.

Retries are safe: a create carries the client's `client_id` and, repeated,
answers 200 with the item made the first time; deleting an item already
deleted, or changing an item to what it already is, succeeds without writing.
Such replays carry the header `Idempotent-Replayed: true`.
"""
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import annotation_for, restorable_layer
from annotate.models import Annotation, Relation, Span, Stance
from annotate.services import annotating, restoring

from ..filters import AnnotationFilter
from ..pagination import IdCursorPagination
from ..serializers.annotations import (
    AnnotationListSerializer,
    AnnotationSerializer,
    RelationInput,
    RelationSerializer,
    SpanInput,
    SpanSerializer,
    StanceInput,
    StanceSerializer,
    SubmitInput,
    WriteResult,
)
from ..versioning import etag, expected_version

IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=False,
                            description='The layer version you edited, e.g. "7" (or send "version" in the body).')

SPANS = Span.objects.select_related("label", "entity").order_by("start", "end", "id")
RELATIONS = Relation.objects.select_related("type").order_by("id")
STANCES = Stance.objects.select_related("target", "polarity", "holder_entity").prefetch_related(
    Prefetch("evidence", Span.objects.only("id"))).order_by("id")


def annotation_response(annotation, *, status_code=status.HTTP_200_OK):
    return Response(AnnotationSerializer(annotation).data, status=status_code,
                    headers={"ETag": etag(annotation.version)})


class AnnotationList(generics.ListAPIView):
    """Layers you may read: your own; reviewers and managers every layer of their projects."""

    serializer_class = AnnotationListSerializer
    pagination_class = IdCursorPagination
    filterset_class = AnnotationFilter

    def get_queryset(self):
        spans = Span.objects.filter(annotation=OuterRef("pk")).values("annotation").annotate(n=Count("id")).values("n")
        return (Annotation.objects.visible_to(self.request.user)
                .select_related("article__project", "annotator")
                .annotate(span_count=Coalesce(Subquery(spans), 0)))


class AnnotationDetail(APIView):
    """One layer with its spans, relations and stances. The ETag is the layer version."""

    @extend_schema(responses=AnnotationSerializer)
    def get(self, request, pk):
        annotation = Annotation.objects.visible_to(request.user).for_detail().filter(pk=pk).first()
        if annotation is None:
            raise Http404("No such annotation.")
        if request.headers.get("If-None-Match") == etag(annotation.version):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag(annotation.version)})
        return annotation_response(annotation)


class SubmitAnnotation(APIView):
    """Submit your layer: it becomes read-only for you and counts as done."""

    @extend_schema(request=SubmitInput, parameters=[IF_MATCH], responses=AnnotationSerializer)
    def post(self, request, pk):
        annotation = annotation_for(request.user, pk, write=True)
        data = SubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        annotating.submit(annotation=annotation, expected_version=expected_version(request), actor=request.user,
                          confirm_missing_evidence=data.validated_data["confirm_missing_evidence"])
        return annotation_response(Annotation.objects.for_detail().get(pk=pk))


class LayerItemsBase(APIView):
    """Shared by the three kinds of item; subclasses name their rows, serializers and service calls."""

    queryset = None  # rows of this kind, with what their serializer reads
    serializer_class = None  # output
    input = None  # input serializer
    kind = None  # the service functions' keyword for the item: "span", "relation", "stance"
    add = change = remove = None  # annotate.services.annotating functions (staticmethods)

    def answer(self, item, annotation, status_code=status.HTTP_200_OK) -> Response:
        """The item as stored, with the layer version to write with next; a replay says so."""
        replayed = getattr(item, "replayed", False)
        response = written(self.serializer_class(self.queryset.get(pk=item.pk)).data, annotation.version,
                           status.HTTP_200_OK if replayed else status_code)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class LayerItems(LayerItemsBase):
    """GET lists the layer's items; POST adds one (send the layer version)."""

    def get(self, request, pk):
        annotation = annotation_for(request.user, pk)
        items = self.queryset.filter(annotation=annotation)
        return Response(self.serializer_class(items, many=True).data, headers={"ETag": etag(annotation.version)})

    def post(self, request, pk):
        annotation = annotation_for(request.user, pk, write=True)
        data = self.input(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k != "version"}
        item = self.add(annotation=annotation, expected_version=expected_version(request), actor=request.user,
                        **fields)
        return self.answer(item, annotation, status.HTTP_201_CREATED)


class LayerItem(LayerItemsBase):
    """GET one item; PATCH changes some of its fields; DELETE removes it (writes send the layer version)."""

    def item(self, request, pk, item_pk, *, write=False):
        annotation = annotation_for(request.user, pk, write=write)
        item = self.queryset.filter(annotation=annotation, pk=item_pk).first()
        if item is None:
            raise Http404("No such item in this annotation.")
        item.annotation = annotation  # the checked layer, whose version the write will bump
        return item

    def get(self, request, pk, item_pk):
        return Response(self.serializer_class(self.item(request, pk, item_pk)).data)

    def patch(self, request, pk, item_pk):
        item = self.item(request, pk, item_pk, write=True)
        data = self.input(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = {k: v for k, v in data.validated_data.items() if k != "version"}
        item = self.change(**{self.kind: item}, expected_version=expected_version(request), actor=request.user,
                           **changes)
        return self.answer(item, item.annotation)

    def delete(self, request, pk, item_pk):
        annotation = annotation_for(request.user, pk, write=True)
        item = self.queryset.filter(annotation=annotation, pk=item_pk).first()
        if item is None:
            # Gone: if this layer's history shows it deleted, this is a retry of that delete (or a second tab's).
            version = annotating.deleted_before(annotation=annotation, model=self.queryset.model, item_id=item_pk,
                                                expected_version=expected_version(request))
            if version is None:
                raise Http404("No such item in this annotation.")
            response = written({}, version)
            response["Idempotent-Replayed"] = "true"
            return response
        item.annotation = annotation
        self.remove(**{self.kind: item}, expected_version=expected_version(request), actor=request.user)
        return written({}, annotation.version)


def written(data: dict, version: int, status_code=status.HTTP_200_OK) -> Response:
    """A write's answer: the item and the layer's new version (also as ETag), to send with the next write."""
    return Response({**data, "annotation_version": version}, status=status_code, headers={"ETag": etag(version)})


def list_schema(kind: str, output, input_serializer) -> dict:
    """The OpenAPI description of a kind's list view: GET lists, POST adds (idempotent with a client_id)."""
    return dict(
        get=extend_schema(responses=output(many=True), operation_id=f"annotations_{kind}s_list"),
        post=extend_schema(
            request=input_serializer, parameters=[IF_MATCH],
            description=f"Add a {kind} to the layer. Send a client_id (UUID) and reuse it when you retry: a "
                        f"repeated create answers 200 with the {kind} made the first time (header "
                        "Idempotent-Replayed: true), never a second one, whatever version it carries.",
            responses={201: OpenApiResponse(output, description="Created."),
                       200: OpenApiResponse(output, description="A replay: the layer already held this client_id; "
                                                                "nothing was written.")}),
    )


def detail_schema(kind: str, output, input_serializer) -> dict:
    """The OpenAPI description of a kind's detail view: GET, PATCH and DELETE, the writes idempotent."""
    return dict(
        get=extend_schema(responses=output, operation_id=f"annotations_{kind}s_retrieve"),
        patch=extend_schema(
            request=input_serializer, parameters=[IF_MATCH],
            description=f"Change the {kind}. A change the {kind} already has is a no-op success (a retry whose "
                        "reply was lost), answered with Idempotent-Replayed: true.",
            responses=output),
        delete=extend_schema(
            parameters=[IF_MATCH],
            description=f"Delete the {kind}. Deleting a {kind} this layer's history shows deleted already is a "
                        "no-op success (200, Idempotent-Replayed: true), not a 404.",
            responses=WriteResult),
    )


class SpanViews:
    """What the span views share: their rows, shapes and service functions."""

    queryset, serializer_class, input, kind = SPANS, SpanSerializer, SpanInput, "span"
    add, change, remove = (staticmethod(annotating.add_span), staticmethod(annotating.update_span),
                           staticmethod(annotating.delete_span))


class RelationViews:
    queryset, serializer_class, input, kind = RELATIONS, RelationSerializer, RelationInput, "relation"
    add, change, remove = (staticmethod(annotating.add_relation), staticmethod(annotating.update_relation),
                           staticmethod(annotating.delete_relation))


class StanceViews:
    queryset, serializer_class, input, kind = STANCES, StanceSerializer, StanceInput, "stance"
    add, change, remove = (staticmethod(annotating.add_stance), staticmethod(annotating.update_stance),
                           staticmethod(annotating.delete_stance))


@extend_schema_view(**list_schema("span", SpanSerializer, SpanInput))
class SpanList(SpanViews, LayerItems):
    """The layer's spans. POST adds one."""


@extend_schema_view(**detail_schema("span", SpanSerializer, SpanInput))
class SpanDetail(SpanViews, LayerItem):
    """One span of the layer. PATCH changes it, DELETE removes it."""


@extend_schema_view(**list_schema("relation", RelationSerializer, RelationInput))
class RelationList(RelationViews, LayerItems):
    """The layer's relations. POST adds one."""


@extend_schema_view(**detail_schema("relation", RelationSerializer, RelationInput))
class RelationDetail(RelationViews, LayerItem):
    """One relation of the layer. PATCH changes it, DELETE removes it."""


@extend_schema_view(**list_schema("stance", StanceSerializer, StanceInput))
class StanceList(StanceViews, LayerItems):
    """The layer's stances. POST adds one."""


@extend_schema_view(**detail_schema("stance", StanceSerializer, StanceInput))
class StanceDetail(StanceViews, LayerItem):
    """One stance of the layer. PATCH changes it, DELETE removes it."""


class HistoryEventSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    action = serializers.CharField()
    actor = serializers.CharField(source="actor.get_username", default=None)
    created_at = serializers.DateTimeField()
    before = serializers.JSONField()
    after = serializers.JSONField()


class AnnotationHistory(APIView):
    """The layer's append-only history, oldest first: who changed what, from what, to what."""

    @extend_schema(responses=HistoryEventSerializer(many=True))
    def get(self, request, pk):
        annotation = annotation_for(request.user, pk)
        events = annotation.events.select_related("actor").order_by("version", "id")
        return Response(HistoryEventSerializer(events, many=True).data)


class RestoreInput(serializers.Serializer):
    to_version = serializers.IntegerField(min_value=1)
    version = serializers.IntegerField(required=False, help_text="The layer's current version (or If-Match).")


class RestoreAnnotation(APIView):
    """Bring the layer back to an earlier version (the project's managers only); recorded and undoable."""

    @extend_schema(request=RestoreInput, parameters=[IF_MATCH], responses=AnnotationSerializer)
    def post(self, request, pk):
        annotation = restorable_layer(request.user, pk)
        data = RestoreInput(data=request.data)
        data.is_valid(raise_exception=True)
        restoring.restore(annotation=annotation, version=data.validated_data["to_version"],
                        expected_version=expected_version(request), actor=request.user)
        return annotation_response(Annotation.objects.for_detail().get(pk=pk))
