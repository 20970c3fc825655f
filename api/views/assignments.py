from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import assignment_for
from annotate.models import Annotation, Assignment
from annotate.services import annotating

from ..filters import AssignmentFilter
from ..pagination import IdCursorPagination
from ..serializers.annotations import AnnotationSerializer
from ..serializers.articles import AssignmentSerializer, SkipSerializer
from .annotations import annotation_detail_queryset, annotation_response


def assignments_with_layer(queryset):
    """Assignments with their article and the annotator's layer id, in one query."""
    layer = Annotation.objects.filter(
        article=OuterRef("article_id"), annotator=OuterRef("annotator_id"), is_gold=False).values("pk")[:1]
    return queryset.select_related("article__project", "annotator").annotate(annotation_id=Subquery(layer))


class AssignmentList(generics.ListAPIView):
    """Your assignments (reviewers and managers: every assignment of their projects; `?mine=true` for yours)."""

    serializer_class = AssignmentSerializer
    pagination_class = IdCursorPagination
    filterset_class = AssignmentFilter

    def get_queryset(self):
        return assignments_with_layer(Assignment.objects.visible_to(self.request.user))


class AssignmentDetail(generics.RetrieveAPIView):
    serializer_class = AssignmentSerializer

    def get_queryset(self):
        return assignments_with_layer(Assignment.objects.visible_to(self.request.user))


def own_assignment(request, pk) -> Assignment:
    assignment = assignment_for(request.user, pk)
    if assignment.annotator_id != request.user.pk:
        raise PermissionDenied("This is another annotator's assignment.")
    return assignment


class OpenLayer(APIView):
    """Open your layer on the assigned article (created on first opening); answers the layer."""

    @extend_schema(request=None, responses=AnnotationSerializer)
    def post(self, request, pk):
        layer = annotating.open_layer(assignment=own_assignment(request, pk))
        return annotation_response(annotation_detail_queryset().get(pk=layer.pk))


class SkipAssignment(APIView):
    """Skip the article, saying why; it goes back to the pool for someone else."""

    @extend_schema(request=SkipSerializer, responses=AssignmentSerializer)
    def post(self, request, pk):
        assignment = own_assignment(request, pk)
        data = SkipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotating.skip(assignment=assignment, reason=data.validated_data["reason"])
        return Response(AssignmentSerializer(assignments_with_layer(Assignment.objects.filter(pk=pk)).get()).data)
