from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import dashboards
from annotate.access import export_project_for

from ..serializers.agreement import AgreementSerializer


def _names(value: str | None) -> list[str] | None:
    return [name.strip() for name in value.split(",") if name.strip()] if value else None


class Agreement(APIView):
    """Inter-annotator agreement of the project's submitted layers (see docs/agreement.md for the shape)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("annotators", str, description="Comma-separated usernames."),
            OpenApiParameter("articles", str, description="Comma-separated article ids."),
            OpenApiParameter("labels", str, description="Comma-separated span label names; each is listed, "
                                                       "used or not (unused: null scores, no items)."),
        ],
        responses=AgreementSerializer,
    )
    def get(self, request, slug):
        project = export_project_for(request.user, slug)
        articles = _names(request.query_params.get("articles"))
        if articles and not all(a.isdigit() for a in articles):
            raise ValidationError({"articles": "comma-separated article ids (integers)."})
        report = dashboards.agreement(
            project,
            annotators=_names(request.query_params.get("annotators")),
            articles=[int(a) for a in articles] if articles else None,
            labels=_names(request.query_params.get("labels")),
        )
        return Response(report)
