"""An import as a job: the uploaded file (kept in the storage until the job ends) through import_file.

All or nothing, as in the foreground: the import is one transaction, so a job that fails, is cancelled
or loses its worker mid-way leaves nothing written. The dashboards' figures of what it imported are
counted afterwards, in the same job.
"""
import uuid
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat

from ...models import Project
from ...services import figures
from ...services.importing import READABLE_SUFFIXES, ImportFailed, import_file
from ..context import JobFailed
from ..lifecycle import start
from ..registry import kind

# format: a reader's key (reading.FORMAT_KEYS) or None for the file's suffix; label_map: a dict or None.
OPTIONS = ("annotator", "create_users", "create_project", "update", "replace", "reanchor", "dry_run", "language",
           "format", "label_map")


def upload_problem(upload, *, format: str | None = None) -> str | None:
    """Why an upload cannot be imported (its type, its size), before anything is stored; None if it can.

    The limit is read at request time, so a deployment (or a test) can change it."""
    if Path(upload.name).suffix.lower() not in READABLE_SUFFIXES and not format:
        return f"“{upload.name}” is not an importable file: use {', '.join(sorted(READABLE_SUFFIXES))}."
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if upload.size > limit:
        return (f"The file is {filesizeformat(upload.size)}; the upload limit is {filesizeformat(limit)}. "
                "Split it, or import it with `manage.py import_articles`.")
    return None


def start_import(upload, *, user, project_slug: str, **options) -> "Job":  # noqa: F821
    """Keep the upload (a file object with a name) in the storage and queue its import.

    `options` are import_file's, by the command's names (OPTIONS); the annotator by username.
    """
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise TypeError(f"unknown import options: {sorted(unknown)}")
    file_name = Path(upload.name).name
    stored = default_storage.save(f"imports/{uuid.uuid4().hex}/{file_name}", upload)
    try:
        return start("import", user=user, project=Project.objects.filter(slug=project_slug).first(),
                     arguments={"file_name": file_name, "project_slug": project_slug, **options},
                     input_file=stored)
    except BaseException:
        default_storage.delete(stored)
        raise


@kind("import", label="Import")
def run_import(context, *, file_name: str, project_slug: str, annotator: str | None = None,
               create_users: bool = False, create_project: bool = False, update: bool = False,
               replace: bool = False, reanchor: bool = False, dry_run: bool = False, language: str = "",
               format: str | None = None,
               label_map: dict[str, str] | None = None) -> dict:
    job = context.job
    owner = get_user_model().objects.get_by_natural_key(annotator) if annotator else None
    try:
        with default_storage.open(job.input_file, "rb") as stream:
            context.phase(f"importing {file_name}", total=default_storage.size(job.input_file))
            records = 0

            def read_one(n: int) -> None:
                nonlocal records
                records += n
                context.progress(done=stream.tell(), message=f"importing {file_name}: {records} record(s) read")

            report = import_file(
                stream, name=file_name, project_slug=project_slug, annotator=owner, create_users=create_users,
                create_project_if_missing=create_project, update=update, replace=replace, reanchor=reanchor,
                dry_run=dry_run, language=language,
                format=format, label_map=label_map, progress=read_one,
            )
    except ImportFailed as failed:
        raise JobFailed({
            "message": f"{file_name}: not imported, nothing written ({len(failed.problems)} problem(s)"
                       f"{', stopped there' if failed.truncated else ''}).",
            "problems": [asdict(problem) for problem in failed.problems],
            "truncated": failed.truncated,
        }) from None
    finally:
        default_storage.delete(job.input_file)
    context.log(report.summary())
    for line in report.reanchor_lines():
        context.log(line)
    if dry_run:  # nothing was written: no project to attach, no figures to count
        return {**_report_as_dict(report), "summary": report.summary(), "reanchor": report.reanchor_lines()}
    project = Project.objects.get(slug=project_slug)
    if job.project_id is None:  # created by this import
        type(job).objects.filter(pk=job.pk).update(project=project)
    context.phase("counting the dashboards' figures", total=figures.stale_count(project))
    figures.settle_all(project, progress=context.advance)
    return {**_report_as_dict(report), "summary": report.summary(), "reanchor": report.reanchor_lines()}


def _report_as_dict(report) -> dict:
    data = asdict(report)
    data["skipped"] = [{"line": line, "external_id": external_id, "reason": why}
                       for line, external_id, why in report.skipped]
    return data
