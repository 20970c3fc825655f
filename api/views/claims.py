"""Claims across articles (docs/claims.md): the project's clusters, one cluster with its members in context, and
the reviewers' decisions (merge, split, move) and recomputation. Reviewers and managers only: annotators get
403, outsiders 404.
"""
from django.core.exceptions import ValidationError as DomainError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import reviewed_project
from annotate.claims import curation, reading
from annotate.jobs.kinds.claims import cluster_in_background
from annotate.models import ClaimCluster

from ..pagination import IdCursorPagination
from ..serializers.claims import (
    ClaimClusterDetailOut,
    ClaimClusterOut,
    ClaimListQuery,
    ClaimPageOut,
    MergeIn,
    MoveIn,
    RecomputeIn,
    SplitIn,
)
from ..serializers.jobs import JobStartedSerializer


class ClaimPagination(IdCursorPagination):
    """Biggest clusters first, then by id, with the number of clusters listed (one COUNT on an index)."""

    ordering = ("-size", "id")

    def paginate_queryset(self, queryset, request, view=None):
        self.count = queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return Response({"count": self.count, "next": self.get_next_link(), "previous": self.get_previous_link(),
                         "results": data})


class ClaimList(generics.GenericAPIView):
    """The project's claim clusters, biggest first; `?min_size=1` lists single claims too (default 2)."""

    pagination_class = ClaimPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ClaimCluster.objects.none()
        project = reviewed_project(self.request.user, self.kwargs["slug"])
        params = ClaimListQuery(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return ClaimCluster.objects.filter(project=project).listed(min_size=params.validated_data["min_size"])

    # A GenericAPIView's GET reads as a "retrieve" to the schema generator, like the detail: named apart.
    @extend_schema(operation_id="v1_projects_claims_list", parameters=[ClaimListQuery], responses=ClaimPageOut)
    def get(self, request, slug):
        clusters = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(reading.page(clusters))


class ClaimDetail(APIView):
    """One cluster, its members (the first 500) each with the sentence around it, and its articles per month."""

    @extend_schema(responses=ClaimClusterDetailOut)
    def get(self, request, slug, pk):
        cluster = reading.reviewed_cluster(request.user, slug, pk)
        return Response(reading.page([cluster], members_limit=reading.MEMBERS_IN_DETAIL, context=True,
                                     per_month=True)[0])


def _decided(run, status_code=status.HTTP_200_OK) -> Response:
    try:
        cluster = run()
    except DomainError as error:
        raise ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}) \
            from error
    return Response(reading.page([cluster])[0], status=status_code)


def _other(cluster: ClaimCluster, pk: int, field: str) -> ClaimCluster:
    other = ClaimCluster.objects.filter(project_id=cluster.project_id, pk=pk).first()
    if other is None:
        raise ValidationError({field: ["no such claim cluster in this project."]})
    return other


class MergeClaims(APIView):
    """Merge this cluster into `into`: its members join `into` (which keeps its id); remembered."""

    @extend_schema(request=MergeIn, responses=ClaimClusterOut)
    def post(self, request, slug, pk):
        cluster = reading.reviewed_cluster(request.user, slug, pk)
        body = MergeIn(data=request.data)
        body.is_valid(raise_exception=True)
        into = _other(cluster, body.validated_data["into"], "into")
        return _decided(lambda: curation.merge_clusters(cluster=cluster, into=into, user=request.user))


class SplitClaim(APIView):
    """Take the member `span` out of this cluster into a cluster of its own (answered, 201); remembered."""

    @extend_schema(request=SplitIn, responses={201: ClaimClusterOut})
    def post(self, request, slug, pk):
        cluster = reading.reviewed_cluster(request.user, slug, pk)
        body = SplitIn(data=request.data)
        body.is_valid(raise_exception=True)
        return _decided(lambda: curation.split_member(cluster=cluster, span=body.validated_data["span"],
                                                      user=request.user), status.HTTP_201_CREATED)


class MoveClaim(APIView):
    """Move the member `span` of this cluster to the cluster `to` (answered); remembered."""

    @extend_schema(request=MoveIn, responses=ClaimClusterOut)
    def post(self, request, slug, pk):
        cluster = reading.reviewed_cluster(request.user, slug, pk)
        body = MoveIn(data=request.data)
        body.is_valid(raise_exception=True)
        to = _other(cluster, body.validated_data["to"], "to")
        return _decided(lambda: curation.move_member(cluster=cluster, span=body.validated_data["span"], to=to,
                                                     user=request.user))


class RecomputeClaims(APIView):
    """Compute the project's clusters again, in a job (the one queued or running, if any): 202 with the job."""

    @extend_schema(request=RecomputeIn, responses={202: JobStartedSerializer})
    def post(self, request, slug):
        project = reviewed_project(request.user, slug)
        body = RecomputeIn(data=request.data)
        body.is_valid(raise_exception=True)
        job = cluster_in_background(project, user=request.user, threshold=body.validated_data.get("threshold"))
        started = JobStartedSerializer.of(job)
        return Response(started, status=status.HTTP_202_ACCEPTED, headers={"Location": started["url"]})
