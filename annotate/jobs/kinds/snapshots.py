"""A snapshot: a whole export written to a file once, downloaded later (and resumed) as often as needed.

The same records and writers as the streamed export (annotate/export/). The file is written under a
temporary name and renamed when complete, and the job's result (with the file's SHA-256) is recorded
only then: a snapshot cut short by a failure or a lost worker is never offered for download.
"""
import hashlib
import os
from pathlib import Path

from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from ...export import (
    FORMATS,
    FilterError,
    export_records,
    in_chunks,
    parse_filters,
    parse_trailer,
    summarise,
)
from ..context import JobFailed
from ..lifecycle import start
from ..registry import kind

FILTERS = ("status", "annotator", "updated_since", "article")


def start_snapshot(project, *, user, format: str = "jsonl", trailer: bool = False, with_unannotated: bool = False,
                   **filters):
    """Check the export's options now (a FilterError is the caller's 400) and queue the snapshot."""
    if format not in FORMATS:
        raise FilterError("format", f"one of {', '.join(FORMATS)}")
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise FilterError(sorted(unknown)[0], "not an export filter")
    parse_filters({k: v for k, v in filters.items() if v not in (None, "")}, project=project)
    parse_trailer({"trailer": "1" if trailer else ""}, export_format=FORMATS[format])
    return start("snapshot", user=user, project=project, arguments={
        "format": format, "trailer": trailer, "with_unannotated": with_unannotated, **filters})


@kind("snapshot", label="Export snapshot")
def run_snapshot(context, *, format: str = "jsonl", trailer: bool = False, with_unannotated: bool = False,
                 **filters) -> dict:
    job = context.job
    project = job.project
    export_format = FORMATS[format]
    try:
        parsed = parse_filters({k: v for k, v in filters.items() if v not in (None, "")}, project=project)
        trailer = parse_trailer({"trailer": "1" if trailer else ""}, export_format=export_format)
    except FilterError as error:
        raise JobFailed({"message": f"{error.parameter}: {error.message}", "field": error.parameter}) from None
    summary = summarise(project, parsed)
    context.phase(f"writing {summary.count} record(s) as {format}", total=summary.count)
    records = _counted(export_records(project, parsed, summary, trailer=trailer, with_unannotated=with_unannotated),
                       context)

    name = f"snapshots/{project.slug}/{project.slug}-{timezone.now():%Y%m%dT%H%M%S}-{job.pk}.{export_format.extension}"
    final = Path(default_storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(final.name + ".partial")
    digest, size = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            for chunk in in_chunks(export_format.write(records)):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    type(job).objects.filter(pk=job.pk).update(output_file=name)
    job.output_file = name
    return {
        "download_url": reverse("api:job-download", args=[job.pk]),
        "sha256": digest.hexdigest(),
        "bytes": size,
        "records": summary.count,
        "format": export_format.name,
        "content_type": export_format.content_type,
        "filename": final.name,
    }


def _counted(records, context):
    for record in records:
        context.advance()
        yield record
