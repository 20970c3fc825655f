"""Exporting a project's annotation layers: one record iterator, one small writer per format.

    filters = parse_filters(params, project=project)     # or ExportFilters(...)
    summary = summarise(project, filters)                # count + version, for headers
    records = iter_records(project, filters, up_to=summary.last_id)
    for chunk in in_chunks(FORMATS["jsonl"].write(records)): ...

The API views (api/export_views.py) and the export_annotations command both
do exactly this.
"""
from .filters import STATUSES, ExportFilters, FilterError, parse_datetime, parse_filters
from .formats import FORMATS, ExportFormat, in_chunks
from .records import iter_records, iter_unannotated
from .summary import ExportSummary, summarise

__all__ = [
    "FORMATS",
    "STATUSES",
    "ExportFilters",
    "ExportFormat",
    "ExportSummary",
    "FilterError",
    "in_chunks",
    "iter_records",
    "iter_unannotated",
    "parse_datetime",
    "parse_filters",
    "summarise",
]
