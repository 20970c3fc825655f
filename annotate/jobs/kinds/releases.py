"""A release: one cut of the corpus written once to files in every release format, with a dataset card and
SHA256SUMS, under MEDIA_ROOT/releases/<project>/<name>/ (annotate/models/release.py).

One cut for every format: the layers are read from the database once, into the JSONL file (the same
records and writer as the streamed export, up to the highest layer id counted when the job starts), and
every other format is written from that file's records. So the formats hold exactly the same layers in
exactly the same state, even if someone edits a layer while the release is being written.

The files are written in a hidden directory beside the final one and renamed into place when complete;
the release is marked ready, with its manifest, only then. They are made read-only and are not the job's
output_file: the jobs' retention (lifecycle.clean) deletes the job after JOB_RETENTION_DAYS, never them.
"""
import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path

import orjson
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone

from ...export import FORMATS, ExportSummary, FilterError, in_chunks, iter_records, parse_filters, summarise
from ...export.card import dataset_card, file_name
from ...models import Release
from ..lifecycle import start
from ..registry import kind

# jsonl first: it is the cut every other format is written from. Parquet when it is registered.
RELEASE_FORMATS = tuple(name for name in ("jsonl", "parquet", "csv", "conll", "brat") if name in FORMATS)
CARD, CHECKSUMS = "README.md", "SHA256SUMS"
READ_ONLY = 0o444


def start_release(project, *, user, name: str, status: str = "submitted", license: str = "") -> Release:
    """Check the name and the filters now (a FilterError is the caller's 400), record the release and queue
    its job, in one transaction. A name is taken for good once its release is building or ready; a failed
    release's name may be used again (the failed row is replaced)."""
    name = (name or "").strip()
    try:
        validate_slug(name)
    except ValidationError:
        raise FilterError("name", "letters, digits, hyphens and underscores only (e.g. v1)") from None
    if len(name) > Release._meta.get_field("name").max_length:
        raise FilterError("name", f"at most {Release._meta.get_field('name').max_length} characters")
    filters = parse_filters({"status": status or ""}, project=project)
    license = (license or "").strip()
    if len(license) > 100 or any(c.isspace() for c in license):
        raise FilterError("license", "a license identifier such as cc-by-4.0 (no spaces)")
    with transaction.atomic():
        existing = Release.objects.select_for_update().filter(project=project, name=name).first()
        if existing is not None:
            if existing.settle().status != Release.Status.FAILED:
                raise FilterError("name", f"project {project.slug!r} already has a release named {name!r}")
            existing.delete()
        try:
            with transaction.atomic():
                release = Release.objects.create(project=project, name=name, created_by=user,
                                                 filters={"status": filters.status})
        except IntegrityError:  # the same name, posted at the same moment by someone else
            raise FilterError("name", f"project {project.slug!r} already has a release named {name!r}") from None
        release.job = start("release", user=user, project=project, arguments={"release": release.pk,
                                                                                    "license": license})
        release.save(update_fields=["job"])
    return release


@kind("release", label="Release")
def run_release(context, *, release: int, license: str = "") -> dict:
    release = Release.objects.select_related("project").get(pk=release)
    try:
        return _write(context, release, license=license)
    except BaseException as error:
        Release.objects.filter(pk=release.pk, status=Release.Status.BUILDING).update(
            status=Release.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000])
        raise


def _write(context, release: Release, *, license: str) -> dict:
    project = release.project
    filters = parse_filters({"status": release.filters.get("status", "submitted")}, project=project)
    summary = summarise(project, filters)
    final = Path(default_storage.path(release.directory))
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        # Not ready, so nothing was ever served from it: left by a worker lost between the rename and the
        # row's update, or by a deleted release. The cut is taken again.
        shutil.rmtree(final)
    partial = final.with_name(f".{final.name}.partial-{context.job.pk}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    stem = f"{project.slug}-{release.name}"
    files, languages, counted = {}, set(), {"records": 0}
    try:
        for name in RELEASE_FORMATS:
            context.phase(f"writing {summary.count} record(s) as {name}", total=summary.count)
            if name == "jsonl":
                records = _read_database(iter_records(project, filters, up_to=summary.last_id or 0), context,
                                         languages, counted)
            else:
                records = _read_back(partial / files["jsonl"]["file"], context)
            filename = file_name(stem, name)
            files[name] = {"file": filename, **_write_file(partial / filename, FORMATS[name].write(records)),
                           "records": counted["records"]}
        cut = ExportSummary(count=counted["records"], last_id=summary.last_id, version=summary.version)
        now = timezone.now()
        card = dataset_card(project, filters, summary=cut, release=release.name, languages=languages,
                            license=license or None, generated_at=now,
                            files={name: {"path": entry["file"], **_public(entry)} for name, entry in files.items()})
        files["card"] = {"file": CARD, **_write_file(partial / CARD, [card.encode()]), "records": None}
        sums = "".join(f"{entry['sha256']}  {entry['file']}\n" for entry in files.values())
        files["checksums"] = {"file": CHECKSUMS, **_write_file(partial / CHECKSUMS, [sums.encode()]),
                              "records": None}
        for entry in files.values():
            os.chmod(partial / entry["file"], READ_ONLY)
        os.replace(partial, final)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    manifest = {name: {"path": f"{release.directory}/{entry['file']}", **_public(entry)}
                for name, entry in files.items()}
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.READY, manifest=manifest, card=card, up_to=summary.last_id,
        records=counted["records"], error="")
    return {"release": release.name, "records": counted["records"], "up_to": summary.last_id,
            "files": {name: _public(entry) | {"file": entry["file"]} for name, entry in files.items()},
            "created_at": now.astimezone(dt.UTC).isoformat()}


def _public(entry: dict) -> dict:
    return {"sha256": entry["sha256"], "bytes": entry["bytes"], "records": entry["records"]}


def _read_database(records, context, languages: set, counted: dict):
    for record in records:
        counted["records"] += 1
        if record.get("language"):
            languages.add(record["language"].strip().lower())
        context.advance()
        yield record


def _read_back(path: Path, context):
    """The cut's records from its JSONL file (orjson reads back exactly what the writer wrote)."""
    with path.open("rb") as lines:
        for line in lines:
            context.advance()
            yield orjson.loads(line)


def _write_file(path: Path, pieces) -> dict:
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        for chunk in in_chunks(pieces):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return {"sha256": digest.hexdigest(), "bytes": size}
