"""Releases: named, frozen versions of a project's corpus (annotate/models/release.py, docs/export.md).

POST (the project's managers) starts the job that writes them; the list, a release's manifest and its
files are for those who may pull the corpus (reviewers, managers, ML engineers), as the exports are.
"""
from pathlib import Path

from django.core.files.storage import default_storage
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import export_project_for, holds_role, project_for
from annotate.export import FORMATS, FilterError
from annotate.jobs.kinds.releases import start_release
from annotate.models import Membership, Release

from ..files import ranged_file_response
from ..serializers.jobs import JobStartedSerializer
from ..serializers.releases import ReleaseSerializer

CONTENT_TYPES = {"card": "text/markdown; charset=utf-8", "checksums": "text/plain; charset=utf-8"}


def release_for(user, slug: str, name: str) -> Release:
    project = export_project_for(user, slug)
    release = project.releases.select_related("project", "created_by", "job").filter(name=name).first()
    if release is None:
        raise Http404("No such release.")
    return release.settle()


class ReleaseList(APIView):
    """The project's releases, newest first (export roles); POST freezes a new one (managers)."""

    parser_classes = [JSONParser, FormParser]

    @extend_schema(responses={200: ReleaseSerializer(many=True)})
    def get(self, request, slug):
        project = export_project_for(request.user, slug)
        releases = [release.settle() for release in project.releases.select_related("project", "created_by", "job")]
        return Response(ReleaseSerializer(releases, many=True).data)

    @extend_schema(
        request=inline_serializer("ReleaseOptions", {
            "name": serializers.CharField(help_text="A slug, unique in the project: v1, 2025-06, ..."),
            "status": serializers.ChoiceField(["submitted", "gold", "all"], required=False, default="submitted"),
            "license": serializers.CharField(required=False, help_text="For the dataset card, e.g. cc-by-4.0."),
        }),
        responses={202: JobStartedSerializer,
                   400: OpenApiResponse(description="A bad or already used name, or a bad status.")},
    )
    def post(self, request, slug):
        project = project_for(request.user, slug)
        if not holds_role(request.user, project, {Membership.Role.MANAGER}):
            raise PermissionDenied("Releases are made by the project's managers.")
        data = request.data
        try:
            release = start_release(project, user=request.user, name=str(data.get("name") or ""),
                                    status=str(data.get("status") or ""), license=str(data.get("license") or ""))
        except FilterError as error:
            raise ValidationError({error.parameter: [error.message]}) from None
        body = {**JobStartedSerializer.of(release.job), "release": ReleaseSerializer(release).data}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ReleaseDetail(APIView):
    """One release: its status, filters and manifest (each file with its download URL, SHA-256 and size)."""

    @extend_schema(responses={200: ReleaseSerializer})
    def get(self, request, slug, name):
        return Response(ReleaseSerializer(release_for(request.user, slug, name)).data)


class ReleaseFile(APIView):
    """One file of a ready release, byte for byte as written: Content-Length, ETag and Repr-Digest, ranges."""

    @extend_schema(operation_id="v1_projects_releases_file_retrieve",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              206: OpenApiResponse(description="The range asked for."),
                              416: OpenApiResponse(description="The range is outside the file.")})
    def get(self, request, slug, name, file):
        release = release_for(request.user, slug, name)
        if release.status != Release.Status.READY:
            raise Http404(f"The release is {release.status}: no file to download.")
        found = [(name, entry) for name, entry in release.manifest.items() if entry["path"].rsplit("/", 1)[-1] == file]
        if not found:
            raise Http404("No such file in this release.")
        format_name, entry = found[0]
        path = Path(default_storage.path(entry["path"]))
        if not path.exists():
            raise Http404("The release's file is missing from the server's storage.")
        content_type = CONTENT_TYPES.get(format_name) or (
            FORMATS[format_name].content_type if format_name in FORMATS else "application/octet-stream")
        return ranged_file_response(request, path, content_type=content_type, filename=file, sha256=entry["sha256"])

    def head(self, request, slug, name, file):
        return self.get(request, slug, name, file)

