"""Jobs over the API: start an import, a snapshot or an agreement report (202), follow, cancel, download.

Who sees a job: its starter (while still a member of its project) and the project's managers
(annotate/jobs/lifecycle.visible_to); anyone else gets 404, as for every object they may not see.
"""
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import jobs
from annotate.access import export_project_for, holds_role
from annotate.export import FilterError
from annotate.jobs.kinds.imports import start_import, upload_problem
from annotate.jobs.kinds.snapshots import FILTERS, start_snapshot
from annotate.jobs.live import last_beats
from annotate.models import Job, Membership, Project
from annotate.services.importing.formats import load_label_map
from annotate.services.importing.reading import FORMAT_KEYS

from ..files import ranged_file_response
from ..pagination import IdCursorPagination
from ..serializers.jobs import JobSerializer, JobStartedSerializer

TRUE = {"1", "true", "on", "yes"}
FALSE = {"", "0", "false", "off", "no"}


def _flag(data, name: str) -> bool:
    value = data.get(name, "")
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE | FALSE:
        return text in TRUE
    raise ValidationError({name: ["true or false."]})


def _started(job: Job) -> Response:
    body = JobStartedSerializer.of(job)
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


def visible_job(user, pk: int) -> Job:
    job = jobs.visible_to(user).select_related("project", "started_by").filter(pk=pk).first()
    if job is None:
        raise Http404("No such job.")
    jobs.reap([job])
    return job


class StartImport(APIView):
    """Import a file into the project, as `manage.py import_articles` would, in a background job.

    Multipart: `file`, and the command's options as fields (`annotator`, `create_project`, `create_users`,
    `update`, `replace`, `language`, `format`, and `label_map`: a file, or JSON text). For the project's
    managers; `create_project` for those who may create projects. Answers 202 with the job to follow;
    the file lands whole or not at all.
    """

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=inline_serializer("ImportUpload", {
            "file": serializers.FileField(),
            "annotator": serializers.CharField(required=False),
            "create_project": serializers.BooleanField(required=False),
            "create_users": serializers.BooleanField(required=False),
            "update": serializers.BooleanField(required=False),
            "replace": serializers.BooleanField(required=False),
            "reanchor": serializers.BooleanField(required=False, help_text="With update: an annotated article's "
                                                 "corrected text re-anchors its spans (moved, or flagged "
                                                 "needs_review); the job's result says per article."),
            "dry_run": serializers.BooleanField(required=False, help_text="Report what the import would do; "
                                                "write nothing."),
            "language": serializers.CharField(required=False),
            "format": serializers.ChoiceField(choices=FORMAT_KEYS, required=False),
            "label_map": serializers.FileField(required=False, help_text="JSON object or two-column TSV of "
                                               "their label -> ours; JSON text is accepted too."),
        }),
        responses={202: JobStartedSerializer, 400: OpenApiResponse(description="The file or an option is invalid.")},
    )
    def post(self, request, slug):
        user = request.user
        project = Project.objects.visible_to(user).filter(slug=slug).first()
        if project is not None:
            if not holds_role(user, project, {Membership.Role.MANAGER}):
                raise PermissionDenied("Importing is for the project's managers.")
            create_project = _flag(request.data, "create_project")
        else:  # only those who may create projects may name one that does not exist (yet)
            if not user.has_perm("annotate.add_project") or Project.objects.filter(slug=slug).exists():
                raise Http404("No such project.")
            create_project = _flag(request.data, "create_project")
            if not create_project:
                raise Http404("No such project (send create_project=true to create it).")
        options = {"create_project": create_project, "create_users": _flag(request.data, "create_users"),
                   "update": _flag(request.data, "update"), "replace": _flag(request.data, "replace"),
                   "reanchor": _flag(request.data, "reanchor"), "dry_run": _flag(request.data, "dry_run"),
                   "language": str(request.data.get("language", ""))[:20],
                   "annotator": self._annotator(request.data.get("annotator"))}
        options["format"], options["label_map"] = self._format(request.data), self._label_map(request)
        if options["reanchor"] and not options["update"]:
            raise ValidationError({"reanchor": ["Re-anchoring needs update: it re-anchors the articles the file "
                                                "updates."]})
        if options["create_users"] and not user.is_superuser:
            raise ValidationError({"create_users": ["Only administrators create users."]})
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["No file was sent (multipart field `file`)."]})
        problem = upload_problem(upload, format=options["format"])
        if problem:
            raise ValidationError({"file": [problem]})
        return _started(start_import(upload, user=user, project_slug=slug, **options))

    @staticmethod
    def _format(data) -> str | None:
        fmt = str(data.get("format") or "")
        if fmt and fmt not in FORMAT_KEYS:
            raise ValidationError({"format": [f"Unknown format {fmt!r}: use {', '.join(FORMAT_KEYS)}."]})
        return fmt or None

    @staticmethod
    def _label_map(request) -> dict[str, str] | None:
        upload = request.FILES.get("label_map")
        if upload is not None:
            data, name = upload.read(), upload.name
        elif request.data.get("label_map"):
            data, name = str(request.data["label_map"]).encode(), "label_map.json"
        else:
            return None
        try:
            return load_label_map(data, name)
        except ValueError as error:
            raise ValidationError({"label_map": [str(error)]}) from None

    @staticmethod
    def _annotator(username) -> str | None:
        if not username:
            return None
        if not get_user_model().objects.filter(username=username).exists():
            raise ValidationError({"annotator": [f"No user {username!r}."]})
        return username


class StartSnapshot(APIView):
    """Write the project's export to a file in a background job; download it from the job's result.

    Options as the streamed export's (`format`, `status`, `annotator`, `updated_since`, `article`, `trailer`)
    plus `with_unannotated`. For the project's reviewers, managers and ML engineers.
    """

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=inline_serializer("SnapshotOptions", {
            "format": serializers.CharField(required=False, default="jsonl"),
            "status": serializers.CharField(required=False),
            "annotator": serializers.CharField(required=False),
            "updated_since": serializers.DateTimeField(required=False),
            "article": serializers.CharField(required=False),
            "trailer": serializers.BooleanField(required=False),
            "with_unannotated": serializers.BooleanField(required=False),
        }),
        responses={202: JobStartedSerializer, 400: OpenApiResponse(description="An option is invalid.")},
    )
    def post(self, request, slug):
        project = export_project_for(request.user, slug)
        data = request.data
        filters = {name: str(data[name]) for name in FILTERS if data.get(name) not in (None, "")}
        try:
            job = start_snapshot(project, user=request.user, format=str(data.get("format") or "jsonl"),
                                 trailer=_flag(data, "trailer"), with_unannotated=_flag(data, "with_unannotated"),
                                 **filters)
        except FilterError as error:
            raise ValidationError({error.parameter: [error.message]}) from None
        return _started(job)


class StartAgreementReport(APIView):
    """Compute an agreement report (narrowed like GET agreement/) in a background job; the job's result is it."""

    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        request=inline_serializer("AgreementReportOptions", {
            "annotators": serializers.ListField(child=serializers.CharField(), required=False),
            "articles": serializers.ListField(child=serializers.IntegerField(), required=False),
            "labels": serializers.ListField(child=serializers.CharField(), required=False),
        }),
        responses={202: JobStartedSerializer},
    )
    def post(self, request, slug):
        project = export_project_for(request.user, slug)
        arguments = {}
        for name, kind in (("annotators", str), ("articles", int), ("labels", str)):
            value = request.data.get(name)
            if value in (None, "", []):
                continue
            items = value.split(",") if isinstance(value, str) else value
            try:
                arguments[name] = [kind(item) for item in items]
            except (TypeError, ValueError):
                raise ValidationError({name: [f"a list of {'ids' if kind is int else 'names'}."]}) from None
        return _started(jobs.start("agreement", user=request.user, project=project, arguments=arguments))


class JobList(generics.ListAPIView):
    """The jobs you may see, newest first: yours, and your managed projects'. Filters: project, kind, status."""

    serializer_class = JobSerializer

    class Pagination(IdCursorPagination):
        ordering = "-id"

    pagination_class = Pagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Job.objects.none()
        jobs_ = jobs.visible_to(self.request.user).select_related("project", "started_by")
        params = self.request.query_params
        if params.get("project"):
            jobs_ = jobs_.filter(project__slug=params["project"])
        if params.get("kind"):
            jobs_ = jobs_.filter(kind=params["kind"])
        if params.get("status"):
            jobs_ = jobs_.filter(status=params["status"])
        return jobs_

    def get_serializer(self, *args, **kwargs):
        if args and not getattr(self, "swagger_fake_view", False):
            page = list(args[0])
            jobs.reap(page)
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["beats"] = last_beats(job.pk for job in page if job.status == Job.Status.RUNNING)
            args = (page, *args[1:])
        return super().get_serializer(*args, **kwargs)


class JobDetail(generics.RetrieveAPIView):
    serializer_class = JobSerializer

    def get_object(self):
        return visible_job(self.request.user, self.kwargs["pk"])


class CancelJob(APIView):
    """Cancel a queued or running job: a running one stops at its next step, and its work is rolled back."""

    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request, pk):
        job = visible_job(request.user, pk)
        if not job.is_active:
            raise ValidationError({"status": [f"The job has already ended ({job.status})."]})
        job = jobs.cancel(job)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class DownloadJobFile(APIView):
    """The file a finished job wrote (a snapshot): Content-Length, ETag and Repr-Digest (SHA-256), ranges."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              206: OpenApiResponse(description="The range asked for."),
                              416: OpenApiResponse(description="The range is outside the file.")})
    def get(self, request, pk):
        job = visible_job(request.user, pk)
        if job.status != Job.Status.DONE or not job.output_file:
            raise Http404("This job has no file to download (yet).")
        if job.project is not None:
            export_project_for(request.user, job.project.slug)  # still allowed the corpus
        path = Path(default_storage.path(job.output_file))
        if not path.exists():
            raise Http404("The file was deleted (jobs' files are kept for JOB_RETENTION_DAYS days).")
        return ranged_file_response(request, path, content_type=job.result.get("content_type",
                                    "application/octet-stream"), filename=job.result["filename"],
                                    sha256=job.result["sha256"])

    def head(self, request, pk):
        return self.get(request, pk)
