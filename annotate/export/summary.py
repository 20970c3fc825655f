"""What an export will contain, known without reading it: the count and a version for the ETag.

Both come from two aggregate queries, so HEAD and a matching If-None-Match
are answered without touching a span.
"""
import hashlib
from dataclasses import dataclass

from django.db.models import Count, Max

from config.routers import replica_reads

from ..interchange import SCHEMA_VERSION
from ..models import Annotation, Project
from .filters import ExportFilters


@dataclass(frozen=True)
class ExportSummary:
    count: int  # layers the filters select (status=suggestions: articles)
    last_id: int | None  # the highest selected layer id (article id); the stream stops there
    version: str  # changes whenever the export could: the project's data, the filters, the schema


@replica_reads()
def summarise(project: Project, filters: ExportFilters) -> ExportSummary:
    if filters.suggestions:
        from .suggestions import summarise_suggestions  # it imports ExportSummary from here

        return summarise_suggestions(project, filters)
    selected = filters.q()
    layers = Annotation.objects.filter(article__project=project).aggregate(
        layers=Count("pk"),
        last_change=Max("updated_at"),
        count=Count("pk", filter=selected),
        last_id=Max("pk", filter=selected),
    )
    last_article_change = project.articles.aggregate(last=Max("updated_at"))["last"]
    # Every write to a layer (or to what it contains) bumps its updated_at;
    # the layer count catches deletions, which leave no timestamp behind.
    # Renaming a label, an entity or a user changes neither: see docs/export.md.
    state = "|".join(map(str, (
        SCHEMA_VERSION, project.pk, layers["layers"], layers["last_change"], last_article_change, filters.canonical(),
    )))
    return ExportSummary(
        count=layers["count"],
        last_id=layers["last_id"],
        version=hashlib.sha256(state.encode()).hexdigest()[:32],
    )
