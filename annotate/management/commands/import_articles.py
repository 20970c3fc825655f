import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.models import Project
from annotate.services import figures
from annotate.services.importing import ImportFailed, import_file


class Command(BaseCommand):
    help = (
        "Import articles from interchange JSONL (.jsonl) or scraped text (.txt) files into a project. "
        "Each file imports all-or-nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
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
                            help="Update articles that already exist (refused for annotated articles).")
        parser.add_argument("--replace", action="store_true",
                            help="Replace the annotator's existing layer on an article instead of failing.")
        parser.add_argument("--language", default="", help="Language code for scraped text files (e.g. en).")
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
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        if options["background"]:
            self._queue(options)
            return
        failed = False
        for path in options["files"]:
            show_bar = sys.stderr.isatty() and options["verbosity"] > 0
            with path.open("rb") as stream, tqdm(desc=path.name, unit=" articles", disable=not show_bar) as bar:
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
                        language=options["language"],
                        progress=bar.update,
                    )
                except ImportFailed as error:
                    failed = True
                    self.stderr.write(f"{path}: not imported, nothing written:\n{error}")
                    continue
            self.stdout.write(report.summary())
            for line, external_id, why in report.skipped:
                self.stdout.write(f"  skipped {external_id!r} (line {line}): {why}")
            self._count_figures(options["project"], show_bar)
        if failed:
            raise CommandError("some files were not imported (see above)")

    def _queue(self, options) -> None:
        """Each file as an import job: copied into the storage (the workers may run on other machines)."""
        from django.core.files import File

        from annotate.jobs.kinds.imports import start_import

        names = ("annotator", "create_users", "create_project", "update", "replace", "language")
        for path in options["files"]:
            with path.open("rb") as stream:
                job = start_import(File(stream, name=path.name), user=None, project_slug=options["project"],
                                   **{name: options[name] for name in names})
            self.stdout.write(f"{path}: queued as job {job.pk} (/api/v1/jobs/{job.pk}/)")

    def _count_figures(self, slug: str, show_bar: bool) -> None:
        """The dashboards' figures of what was imported, counted now that it is committed (the import marked
        its articles stale in its own transaction: if this is cut short, pages and refresh_figures finish it)."""
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            return
        with tqdm(desc="dashboard figures", unit=" articles", disable=not show_bar) as bar:
            figures.settle_all(project, progress=bar.update)
