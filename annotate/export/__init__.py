"""Exporting a project's annotation layers: one record iterator, one small writer per format.

    filters = parse_filters(params, project=project)     # or ExportFilters(...)
    summary = summarise(project, filters)                # count + version, for headers
    records = iter_records(project, filters, up_to=summary.last_id)
    for chunk in in_chunks(FORMATS["jsonl"].write(records)): ...

With `trailer=1` (jsonl and json only) the records pass through
with_completion_record first, so the last one says how many came before it.

The API views (api/export_views.py) and the export_annotations command both
do exactly this.
"""
from .completion import TRAILER_KEY, completion_record, parse_trailer, with_completion_record
from .filters import STATUSES, ExportFilters, FilterError, parse_datetime, parse_filters
from .formats import FORMATS, RECORD_FORMATS, ExportFormat, in_chunks
from .records import export_records, iter_records, iter_unannotated
from .schema import features_dict, json_schema
from .summary import ExportSummary, summarise
from .withdrawn import iter_withdrawals

__all__ = [
    "FORMATS",
    "RECORD_FORMATS",
    "STATUSES",
    "TRAILER_KEY",
    "ExportFilters",
    "ExportFormat",
    "ExportSummary",
    "FilterError",
    "completion_record",
    "export_records",
    "features_dict",
    "in_chunks",
    "iter_records",
    "iter_unannotated",
    "iter_withdrawals",
    "json_schema",
    "parse_datetime",
    "parse_filters",
    "parse_trailer",
    "summarise",
    "with_completion_record",
]
