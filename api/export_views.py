"""Export endpoints: GET (or HEAD) /api/v1/projects/<slug>/export/<format>.

Thin on purpose: parse the filters, check access, then hand the record
iterator to the format's writer (annotate/export/). The command
export_annotations does the same with the same pieces. Beside the formats:
/export/schema (the type of one JSONL record, annotate/export/schema.py) and
/export/withdrawn (layers that left the selection, annotate/export/withdrawn.py).
"""
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.access import export_project_for
from annotate.export import (
    FORMATS,
    RECORD_FORMATS,
    STATUSES,
    FilterError,
    export_records,
    features_dict,
    in_chunks,
    iter_withdrawals,
    json_schema,
    parse_filters,
    parse_trailer,
    summarise,
)
from annotate.interchange import SCHEMA_VERSION

FILTER_PARAMETERS = [
    OpenApiParameter("status", str, enum=STATUSES, default="submitted",
                     description="submitted: annotators' submitted layers; gold: the adjudicated gold layers; "
                                 "all: every layer; suggestions (jsonl and json only): the recommenders' "
                                 "suggestions, one record per article, under \"predictions\"."),
    OpenApiParameter("annotator", str, description="Only this annotator's layers (username)."),
    OpenApiParameter("updated_since", OpenApiTypes.DATETIME,
                     description="Only layers whose updated_at is at or after this ISO 8601 datetime "
                                 "(incremental pulls)."),
    OpenApiParameter("article", str, description="Only this article (external id)."),
    OpenApiParameter("recommender", str, many=True,
                     description="status=suggestions: only these recommenders' suggestions (repeat it, or "
                                 "separate names by commas)."),
    OpenApiParameter("min_score", float, description="status=suggestions: only suggestions scoring at least "
                                                     "this (0 to 1)."),
    OpenApiParameter("include", str, enum=["comments"], description=(
        "comments (jsonl and json only): each layer's discussion threads with their comments, under \"threads\". "
        "Never included by default.")),
]
TRAILER_PARAMETER = OpenApiParameter(
    "trailer", str, enum=["0", "1"], default="0",
    description=f"1: end with a completion record, {{\"_export\": {{\"count\": N, \"complete\": true}}}}, "
                f"N the records written before it (the last line in jsonl, the last element in json). Only "
                f"{' and '.join(RECORD_FORMATS)}; other formats answer 400. Without it the bytes are the plain "
                f"export's.",
)


def project_and_filters(request, slug, *, suggestions: bool = False):
    """The project (for those who may export it) and the export filters of the query; a bad filter is a 400
    naming its parameter. `suggestions`: whether this door writes status=suggestions."""
    project = export_project_for(request.user, slug)
    try:
        return project, parse_filters(request.query_params, project=project, suggestions=suggestions)
    except FilterError as error:
        raise ValidationError({error.parameter: [error.message]}) from None


class _JSONErrorsWhateverTheAccept(BaseContentNegotiation):
    """An export has one representation; a client asking `Accept: text/csv` must not get 406.

    Errors (400, 401, 403, 404) are JSON. Also ignores DRF's `?format=`,
    which exports never use.
    """

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportView(APIView):
    """A project's annotation layers in one format, streamed (docs/export.md).

    For the project's reviewers, managers and ML engineers. `format_name` is
    set per route in export_urls.
    """

    format_name = "jsonl"
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JSONErrorsWhateverTheAccept

    @extend_schema(
        parameters=FILTER_PARAMETERS + [TRAILER_PARAMETER],
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description="The export, streamed (see docs/export.md). "
                                 "Headers: X-Export-Count, ETag, Content-Disposition. A response "
                                 "cut short ends without the final chunk, so HTTP clients raise."),
            304: OpenApiResponse(description="If-None-Match matched the ETag: nothing changed."),
            400: OpenApiResponse(description="A filter value (or trailer) is invalid; the body names the "
                                 "parameter."),
        },
    )
    def get(self, request, slug):
        return self.export(request, slug, with_body=True)

    def head(self, request, slug):
        # Headers only: the count and ETag come from aggregates, no record is read.
        return self.export(request, slug, with_body=False)

    def export(self, request, slug, *, with_body: bool):
        export_format = FORMATS[self.format_name]
        project, filters = project_and_filters(request, slug, suggestions=export_format.takes_suggestions)
        try:
            trailer = parse_trailer(request.query_params, export_format=export_format)
        except FilterError as error:
            raise ValidationError({error.parameter: [error.message]}) from None
        summary = summarise(project, filters)
        # Other bytes, another representation: the trailer's ETag must not match the plain one's.
        etag = f'"{summary.version}-{export_format.name}{"-trailer" if trailer else ""}"'

        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            not_modified["ETag"] = etag
            return not_modified

        body = ()
        if with_body:
            body = in_chunks(export_format.write(export_records(project, filters, summary, trailer=trailer)))
        # Streaming even for HEAD: a plain response would get Content-Length: 0. Streaming also means no
        # Content-Length, so the body is chunked: a worker killed mid-stream never sends the final chunk,
        # and clients raise instead of keeping a shorter file (tests/test_export_truncation.py).
        response = StreamingHttpResponse(body, content_type=export_format.content_type)
        response["ETag"] = etag
        response["X-Export-Count"] = str(summary.count)
        filename = f"{project.slug}-{timezone.now().date().isoformat()}.{export_format.extension}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


SCHEMA_FORMS = {"json-schema": "JSON Schema (draft 2020-12)", "features": "datasets.Features.to_dict()"}


class ExportSchemaView(APIView):
    """The type of one JSONL record (annotate/export/schema.py): JSON Schema, or `?as=features`."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JSONErrorsWhateverTheAccept

    @extend_schema(
        parameters=[OpenApiParameter("as", str, enum=list(SCHEMA_FORMS), default="json-schema",
                                     description="json-schema: the JSON Schema of one record; features: the "
                                                 "datasets.Features as a dict (datasets.Features.from_dict).")],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The schema of one JSONL record."),
                   400: OpenApiResponse(description="`as` is neither json-schema nor features.")},
    )
    def get(self, request, slug):
        export_project_for(request.user, slug)
        form = request.query_params.get("as") or "json-schema"
        if form not in SCHEMA_FORMS:
            raise ValidationError({"as": [f"must be one of {', '.join(SCHEMA_FORMS)}, got {form!r}"]})
        etag = f'"schema-{SCHEMA_VERSION}-{form}"'
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            not_modified["ETag"] = etag
            return not_modified
        body = features_dict() if form == "features" else json_schema(schema_id=request.build_absolute_uri())
        response = Response(body)
        response["ETag"] = etag
        return response


class WithdrawnView(APIView):
    """Tombstones: layers that left the export's selection since `updated_since` (annotate/export/withdrawn.py)."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JSONErrorsWhateverTheAccept

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description="JSONL, one {annotation_id, article, "
                                 "external_id, annotator, withdrawn_at, reason} per layer that left the "
                                 "selection (see docs/export.md, Withdrawals)."),
            400: OpenApiResponse(description="A filter value is invalid; the body names the parameter."),
        },
    )
    def get(self, request, slug):
        project, filters = project_and_filters(request, slug)
        jsonl = FORMATS["jsonl"]
        response = StreamingHttpResponse(in_chunks(jsonl.write(iter_withdrawals(project, filters))),
                                         content_type=jsonl.content_type)
        filename = f"{project.slug}-withdrawn-{timezone.now().date().isoformat()}.jsonl"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class DatasetCardView(APIView):
    """The dataset card (README.md, annotate/export/card.py) of the export with the same filters, as Markdown."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JSONErrorsWhateverTheAccept

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={(200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="The card: YAML front "
                   "matter (Hugging Face dataset card metadata), then label counts, annotators, agreement, "
                   "guidelines version, export date and filters."),
                   400: OpenApiResponse(description="A filter value is invalid; the body names the parameter.")},
    )
    def get(self, request, slug):
        from django.http import HttpResponse

        from annotate.export.card import dataset_card

        project, filters = project_and_filters(request, slug)
        card = dataset_card(project, filters, summary=summarise(project, filters))
        response = HttpResponse(card.encode(), content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="README.md"'
        return response
