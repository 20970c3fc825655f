import sys
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.models import Project
from annotate.services import figures
from annotate.services.importing import ImportFailed, import_file
from annotate.services.importing.formats import load_label_map
from annotate.services.importing.reading import FORMAT_KEYS


class Command(BaseCommand):
    help = (
        "Import articles from interchange JSONL (.jsonl), scraped text (.txt), or other tools' exports "
        "(Label Studio .json, doccano JSONL with --format doccano, brat directories or .zip, WebAnno/INCEpTION "
        "TSV 3 .tsv) into a project. Each file imports all-or-nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path,
                            help="Files to import; a brat corpus may be a directory of .txt/.ann pairs.")
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--annotator", help="Username whose submitted layer the files' annotations become "
                                                "(default: each record's own `annotator`, as exports write it).")
        parser.add_argument("--create-users", action="store_true",
                            help="Create the users that records name as annotator when they do not exist "
                                 "(without a usable password), e.g. to restore a backup into an empty database.")
        parser.add_argument("--create-project", action="store_true",
                            help="Create the project if missing and add the labels, relation types, targets "
                                 "and polarities the files use.")
        parser.add_argument("--update", action="store_true",
                            help="Update articles that already exist (refused for annotated articles unless "
                                 "--reanchor).")
        parser.add_argument("--reanchor", action="store_true",
                            help="With --update: an annotated article's corrected text re-anchors the spans of all "
                                 "its layers (moved where their text is unchanged, flagged needs_review where it "
                                 "changed or vanished), reported per article as 'moved N, flagged M, unchanged K'.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Do everything and report it, then roll it back: nothing is written.")
        parser.add_argument("--replace", action="store_true",
                            help="Replace the annotator's existing layer on an article instead of failing.")
        parser.add_argument("--language", default="", help="Language code for scraped text files (e.g. en).")
        parser.add_argument("--format", choices=FORMAT_KEYS,
                            help="The files' format, when their suffix does not say it (default: by suffix: .jsonl "
                                 "interchange, .txt scraped text, .json labelstudio, .zip or a directory or .ann "
                                 "brat, .tsv webanno; doccano's .jsonl needs --format doccano).")
        parser.add_argument("--label-map", type=Path, metavar="FILE",
                            help="Their span labels and relation types -> ours: a JSON object or a TSV of two "
                                 "columns. Labels it does not list must be the project's (or --create-project).")
        parser.add_argument("--background", action="store_true",
                            help="Queue each file as a background job (run by the workers: db_worker, or rqworker "
                                 "on RQ) and return at once, printing the jobs to follow (GET /api/v1/jobs/<id>/).")

    def handle(self, *args, **options):
        annotator = None
        if options["annotator"]:
            try:
                annotator = get_user_model().objects.get_by_natural_key(options["annotator"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"no user {options['annotator']!r}") from None
        for path in options["files"]:
            if not (path.is_file() or path.is_dir()):
                raise CommandError(f"{path}: no such file")
            if path.is_dir() and options["format"] not in (None, "brat"):
                raise CommandError(f"{path}: a directory is read as brat standoff, not {options['format']}")
        if options["reanchor"] and not options["update"]:
            raise CommandError("--reanchor needs --update (it re-anchors articles the file updates)")
        options["label_map"] = self._label_map(options["label_map"])
        if options["background"]:
            self._queue(options)
            return
        failed = False
        for path in options["files"]:
            show_bar = sys.stderr.isatty() and options["verbosity"] > 0
            with _opened(path, options["format"]) as (stream, fmt), \
                    tqdm(desc=path.name, unit=" articles", disable=not show_bar) as bar:
                try:
                    report = import_file(
                        stream,
                        name=str(path),
                        project_slug=options["project"],
                        annotator=annotator,
                        create_users=options["create_users"],
                        create_project_if_missing=options["create_project"],
                        update=options["update"],
                        replace=options["replace"],
                        reanchor=options["reanchor"],
                        dry_run=options["dry_run"],
                        language=options["language"],
                        format=fmt,
                        label_map=options["label_map"],
                        progress=bar.update,
                    )
                except ImportFailed as error:
                    failed = True
                    self.stderr.write(f"{path}: not imported, nothing written:\n{error}")
                    continue
            self.stdout.write(report.summary())
            for line, external_id, why in report.skipped:
                self.stdout.write(f"  skipped {external_id!r} (line {line}): {why}")
            for line in report.reanchor_lines():
                self.stdout.write(f"  {line}")
            if not report.dry_run:
                self._count_figures(options["project"], show_bar)
        if failed:
            raise CommandError("some files were not imported (see above)")

    def _queue(self, options) -> None:
        """Each file as an import job: copied into the storage (the workers may run on other machines)."""
        from django.core.files import File

        from annotate.jobs.kinds.imports import start_import

        names = ("annotator", "create_users", "create_project", "update", "replace", "reanchor", "dry_run", "language",
                 "label_map")
        for path in options["files"]:
            with _opened(path, options["format"]) as (stream, fmt):
                packed = path.is_dir() or (fmt == "brat" and path.suffix.lower() == ".ann")  # zipped by _opened
                upload = File(stream, name=f"{path.name}.zip" if packed else path.name)
                job = start_import(upload, user=None, project_slug=options["project"],
                                   format=fmt, **{name: options[name] for name in names})
            self.stdout.write(f"{path}: queued as job {job.pk} (/api/v1/jobs/{job.pk}/)")

    @staticmethod
    def _label_map(path) -> dict[str, str] | None:
        if path is None:
            return None
        path = Path(path)  # call_command passes the option as given
        try:
            return load_label_map(path.read_bytes(), str(path))
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        except ValueError as error:
            raise CommandError(str(error)) from None

    def _count_figures(self, slug: str, show_bar: bool) -> None:
        """The dashboards' figures of what was imported, counted now that it is committed (the import marked
        its articles stale in its own transaction: if this is cut short, pages and refresh_figures finish it)."""
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            return
        with tqdm(desc="dashboard figures", unit=" articles", disable=not show_bar) as bar:
            figures.settle_all(project, progress=bar.update)


@contextmanager
def _opened(path: Path, fmt: str | None):
    """The file to read, with its format: a brat directory (or one .ann and its .txt) as a zip of its pairs.

    The zip is spooled to a temporary file (a corpus may be large); its members are the pairs' paths
    relative to the directory, which become the articles' external ids.
    """
    brat_files = None
    if path.is_dir():
        brat_files = [(p, p.relative_to(path).as_posix()) for p in sorted(path.rglob("*"))
                      if p.suffix in (".txt", ".ann") and p.is_file()]
    elif path.suffix.lower() == ".ann" and fmt in (None, "brat"):
        brat_files = [(p, p.name) for p in (path, path.with_suffix(".txt")) if p.is_file()]
    if brat_files is None:
        with path.open("rb") as stream:
            yield stream, fmt
        return
    with tempfile.TemporaryFile(prefix="brat-", suffix=".zip") as stream:
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            for file, member in brat_files:
                archive.write(file, member)
        stream.seek(0)
        yield stream, "brat"
