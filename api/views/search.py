"""Corpus search: GET /api/v1/projects/<slug>/search/?q=…&mode=hits|articles (docs/search.md).

Any member may search; what they find is what they may see (annotate/search/compile.py). Outsiders get 404.
A query that does not parse answers 400 {"q": ["… at position N"]}.
"""
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from annotate.access import project_for
from annotate.search.hits import BadCursor, search
from annotate.search.query import QuerySyntaxError

from ..serializers.search import SearchPageOut, SearchQuery


class ProjectSearch(APIView):
    """Articles, or hits in context, matching a query over the project's text and annotations."""

    @extend_schema(parameters=[SearchQuery], responses=SearchPageOut)
    def get(self, request, slug):
        project = project_for(request.user, slug)
        params = SearchQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        try:
            page = search(project=project, user=request.user, q=p["q"], mode=p["mode"], cursor=p.get("cursor"),
                          size=p["page_size"])
        except QuerySyntaxError as error:
            raise ValidationError({"q": [str(error)]}) from error
        except BadCursor as error:
            raise ValidationError({"cursor": [str(error)]}) from error
        url = request.build_absolute_uri()
        following = replace_query_param(url, "cursor", page.cursor) if page.cursor else None
        return Response({"count": page.count, "results": page.results, "next": following})
