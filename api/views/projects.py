from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import check_adds_entities, project_for
from annotate.models import Assignment, Entity, Membership, Project
from annotate.services.assignments import take_next_article

from ..filters import EntityFilter
from ..pagination import IdCursorPagination
from ..serializers.articles import AssignmentSerializer
from ..serializers.projects import EntitySerializer, ProjectSerializer


class ProjectList(generics.ListAPIView):
    """The projects you are a member of, with their labels, relation types, targets and polarities."""

    serializer_class = ProjectSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Project.objects.none()
        return Project.objects.visible_to(self.request.user).with_role(self.request.user).with_vocabulary()


class ProjectDetail(generics.RetrieveAPIView):
    serializer_class = ProjectSerializer
    lookup_field = "slug"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        return Project.objects.visible_to(self.request.user).with_role(self.request.user).with_vocabulary()


class EntityList(generics.ListCreateAPIView):
    """The project's canonical sources; `?search=` matches names and aliases. POST adds one."""

    serializer_class = EntitySerializer
    pagination_class = IdCursorPagination
    filterset_class = EntityFilter

    def get_project(self):
        if not hasattr(self, "_project"):
            self._project = project_for(self.request.user, self.kwargs["slug"])
        return self._project

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Entity.objects.none()
        return Entity.objects.filter(project=self.get_project())

    def perform_create(self, serializer):
        project = self.get_project()
        check_adds_entities(self.request.user, project)
        if Entity.objects.filter(project=project, name=serializer.validated_data["name"]).exists():
            raise ValidationError({"name": "this project already has a source with this name."})
        serializer.save(project=project)


class EntityDetail(generics.RetrieveAPIView):
    serializer_class = EntitySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Entity.objects.none()
        return Entity.objects.filter(project=project_for(self.request.user, self.kwargs["slug"]))


class NextArticle(APIView):
    """Take your next article in the project: an open assignment you have, else a new one.

    201 with a new assignment, 200 with an open one you already had, 204 when
    nothing is left for you.
    """

    @extend_schema(request=None, responses={200: AssignmentSerializer, 201: AssignmentSerializer, 204: None})
    def post(self, request, slug):
        project = project_for(request.user, slug, roles={Membership.Role.ANNOTATOR, Membership.Role.REVIEWER,
                                                          Membership.Role.MANAGER})
        assignment, created = take_next_article(project=project, user=request.user)
        if assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        assignment = Assignment.objects.filter(pk=assignment.pk).with_layer_id().get()
        return Response(AssignmentSerializer(assignment).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
