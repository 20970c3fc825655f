"""Bulk annotation from search over the API (annotate/search/bulk.py; docs/search.md, "Bulk annotation").

POST …/search/annotate/ previews (200, writes nothing) or commits (201; a commit sent again with the same
client_id answers 200 with the first operation); GET …/search/operations/ lists the project's operations;
POST …/search/operations/<id>/undo/ takes one back. For the project's reviewers and managers: annotators
get 403, people outside the project 404.
"""
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import reviewed_project
from annotate.models import BulkOperation
from annotate.search import bulk

from ..pagination import IdCursorPagination
from ..serializers.search_bulk import BulkInput, OperationOut, PreviewOut


class NewestFirst(IdCursorPagination):
    ordering = "-id"


class BulkAnnotate(APIView):
    """Mark every text hit of a query with a label (and a source): a preview, or the commit."""

    @extend_schema(request=BulkInput, responses={200: PreviewOut, 201: OperationOut})
    def post(self, request, slug):
        project = reviewed_project(request.user, slug)
        data = BulkInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        common = dict(project=project, user=request.user, q=d["q"], label=d["label"], into=d["into"],
                      entity=d.get("entity"))
        if d["preview"]:
            found = bulk.preview(**common)
            return Response({"preview": True, "counts": vars(found.counts), "sample": found.sample,
                             "problem": found.problem})
        operation = bulk.apply(**common, attributes=d.get("attributes") or {}, client_id=d.get("client_id"))
        return Response(OperationOut(operation).data,
                        status=status.HTTP_200_OK if operation.replayed else status.HTTP_201_CREATED)


class OperationList(generics.ListAPIView):
    """The project's bulk operations, newest first."""

    serializer_class = OperationOut
    pagination_class = NewestFirst

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no project
            return BulkOperation.objects.none()
        return bulk.operations_of(reviewed_project(self.request.user, self.kwargs["slug"]))


class UndoOperation(APIView):
    """Take an operation back: its spans out of the layers (through the history), or its suggestions deleted."""

    @extend_schema(request=None, responses=OperationOut)
    def post(self, request, slug, pk):
        project = reviewed_project(request.user, slug)
        operation = bulk.undo(operation=bulk.operation_of(request.user, project, pk), user=request.user)
        return Response(OperationOut(operation).data)
