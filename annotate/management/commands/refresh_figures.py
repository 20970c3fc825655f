import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.models import Project, StaleArticle
from annotate.services import figures


class Command(BaseCommand):
    help = ("Count the articles whose corpus changed since the dashboards' figures were counted (every project, "
            "or one). With --rebuild, forget the project's figures and count every article again: the repair "
            "after a bug or a manual edit of the database. Pages stay usable meanwhile and say what is pending.")

    def add_arguments(self, parser):
        parser.add_argument("--project", help="Slug of the project (default: every project).")
        parser.add_argument("--rebuild", action="store_true", help="Count every article again from scratch.")
        parser.add_argument("--background", action="store_true",
                            help="Queue a job per project instead (run by the workers) and return at once.")

    def handle(self, *args, project=None, rebuild=False, **options):
        projects = Project.objects.order_by("pk")
        if project:
            projects = projects.filter(slug=project)
            if not projects.exists():
                raise CommandError(f"no project {project!r}")
        if options["background"]:
            from django.db import IntegrityError, transaction

            from annotate.jobs import start

            for each in projects:
                try:
                    with transaction.atomic():
                        job = start("figures", project=each, arguments={"rebuild": rebuild})
                except IntegrityError:  # one refresh per project at a time
                    self.stdout.write(f"{each.slug}: a refresh is already queued or running.")
                    continue
                self.stdout.write(f"{each.slug}: queued as job {job.pk} (/api/v1/jobs/{job.pk}/)")
            return
        show_bar = sys.stderr.isatty() and options["verbosity"] > 0
        for each in projects:
            if rebuild:
                figures.rebuild(each)
            total = StaleArticle.objects.filter(project_id=each.pk).count()
            with tqdm(total=total, desc=each.slug, unit=" articles", disable=not show_bar) as bar:
                counted = figures.settle_all(each, progress=bar.update)
            self.stdout.write(f"{each.slug}: {counted} article(s) counted.")
