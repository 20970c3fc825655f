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
from .annotations import annotation_response


class AssignmentList(generics.ListAPIView):
    """Your assignments (reviewers and managers: every assignment of their projects; `?mine=true` for yours)."""

    serializer_class = AssignmentSerializer
    pagination_class = IdCursorPagination
    filterset_class = AssignmentFilter

    def get_queryset(self):
        return Assignment.objects.visible_to(self.request.user).with_layer_id()


class AssignmentDetail(generics.RetrieveAPIView):
    serializer_class = AssignmentSerializer

    def get_queryset(self):
        return Assignment.objects.visible_to(self.request.user).with_layer_id()


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
        return annotation_response(Annotation.objects.for_detail().get(pk=layer.pk))


class SkipAssignment(APIView):
    """Skip the article, saying why; it goes back to the pool for someone else."""

    @extend_schema(request=SkipSerializer, responses=AssignmentSerializer)
    def post(self, request, pk):
        assignment = own_assignment(request, pk)
        data = SkipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotating.skip(assignment=assignment, reason=data.validated_data["reason"])
        return Response(AssignmentSerializer(Assignment.objects.filter(pk=pk).with_layer_id().get()).data)
