from rest_framework import generics

from annotate.models import Article

from ..filters import ArticleFilter
from ..pagination import IdCursorPagination
from ..serializers.articles import ArticleListSerializer, ArticleSerializer


class ArticleList(generics.ListAPIView):
    """Articles you may read: all of your projects' as reviewer or manager, your assigned ones as annotator."""

    serializer_class = ArticleListSerializer
    pagination_class = IdCursorPagination
    filterset_class = ArticleFilter

    def get_queryset(self):
        # The list leaves the text out: it is the heavy column and lists do not show it.
        return Article.objects.visible_to(self.request.user).select_related("project").defer("text", "metadata")


class ArticleDetail(generics.RetrieveAPIView):
    """One article with its text: span offsets are code points into `text`."""

    serializer_class = ArticleSerializer

    def get_queryset(self):
        return Article.objects.visible_to(self.request.user).select_related("project")
