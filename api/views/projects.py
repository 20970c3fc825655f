from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Subquery, Value
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import project_for
from annotate.models import Assignment, Entity, Label, Membership, Polarity, Project, RelationType, StanceTarget
from annotate.services.assignments import take_next_article

from ..filters import EntityFilter
from ..pagination import IdCursorPagination
from ..serializers.articles import AssignmentSerializer
from .assignments import assignments_with_layer
from ..serializers.projects import EntitySerializer, ProjectSerializer


def projects_with_vocabulary(user):
    """Visible projects with the caller's role and the whole label set, in a fixed number of queries."""
    role = (Value(Membership.Role.MANAGER) if user.is_superuser else
            Subquery(Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]))
    return Project.objects.visible_to(user).annotate(role=role).prefetch_related(
        Prefetch("labels", Label.objects.order_by("order", "name")),
        Prefetch("relation_types", RelationType.objects.select_related("from_label", "to_label")),
        Prefetch("stance_targets", StanceTarget.objects.order_by("order", "name")),
        Prefetch("polarities", Polarity.objects.order_by("order", "name")),
    )


class ProjectList(generics.ListAPIView):
    """The projects you are a member of, with their labels, relation types, targets and polarities."""

    serializer_class = ProjectSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Project.objects.none()
        return projects_with_vocabulary(self.request.user)


class ProjectDetail(generics.RetrieveAPIView):
    serializer_class = ProjectSerializer
    lookup_field = "slug"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        return projects_with_vocabulary(self.request.user)


# Who may add canonical sources: everyone who annotates or reviews (not the read-only ML engineer).
ENTITY_WRITERS = {Membership.Role.ANNOTATOR, Membership.Role.REVIEWER, Membership.Role.MANAGER}


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
        if not self.request.user.is_superuser and project.role_of(self.request.user) not in ENTITY_WRITERS:
            raise PermissionDenied("Your role in this project does not add sources.")
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
        assignment = assignments_with_layer(Assignment.objects.filter(pk=assignment.pk)).get()
        return Response(AssignmentSerializer(assignment).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
