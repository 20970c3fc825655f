"""Export routes, included by api/urls.py at v1/projects/<slug:slug>/export/ (inside the "api" namespace)."""
from django.urls import path

from annotate.export import FORMATS

from .export_views import ExportSchemaView, ExportView, WithdrawnView

urlpatterns = [
    # Before the formats, so that no format name can shadow them.
    path("schema", ExportSchemaView.as_view(), name="export-schema"),
    path("withdrawn", WithdrawnView.as_view(), name="export-withdrawn"),
] + [
    path(name, ExportView.as_view(format_name=name), name=f"export-{name}")
    for name in FORMATS  # jsonl, json, csv, conll, brat, parquet, attributions, stance_tsv, checkworthy_tsv, csv_tables
]

# The dataset card (annotate/export/card.py): the README.md of the export with the same filters.
from .export_views import DatasetCardView  # noqa: E402 - appended beside the routes above

urlpatterns += [path("card", DatasetCardView.as_view(), name="export-card")]
