import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.models import Article, Project
from annotate.suggestions import running


class Command(BaseCommand):
    help = ("Run recommenders over a project's articles and store their suggestions (replacing each one's "
            "earlier suggestions there). Without --recommender: the project's enabled recommenders (the built-in "
            "ones on first use). Trainable ones train first when they never did or are due (--retrain: always).")

    def add_arguments(self, parser):
        parser.add_argument("project", help="Slug of the project.")
        parser.add_argument("--recommender", action="append", dest="recommenders", metavar="NAME",
                            help="Run this recommender (repeat for several): attribution, string_match, tagger, "
                                 "or an external one's name.")
        parser.add_argument("--article", action="append", dest="articles", metavar="ID",
                            help="Only this article (its id or external id; repeat for several).")
        parser.add_argument("--retrain", action="store_true", help="Train the trainable recommenders first.")
        parser.add_argument("--background", action="store_true",
                            help="Queue a job instead (run by the workers) and return at once.")

    def handle(self, *args, project, recommenders=None, articles=None, retrain=False, background=False, **options):
        found = Project.objects.filter(slug=project).first()
        if found is None:
            raise CommandError(f"no project {project!r}")
        article_ids = self._article_ids(found, articles) if articles else None
        if background:
            from annotate.jobs.kinds.suggestions import start_suggestions

            job = start_suggestions(found, recommenders=recommenders, articles=article_ids, retrain=retrain)
            self.stdout.write(f"{found.slug}: queued as job {job.pk} (/api/v1/jobs/{job.pk}/)")
            return
        show_bar = sys.stderr.isatty() and options["verbosity"] > 0
        total = running.article_count(found, article_ids)
        with tqdm(total=total, desc=found.slug, unit=" articles", disable=not show_bar) as bar:
            try:
                outcomes = running.run(found, names=recommenders, article_ids=article_ids, retrain=retrain,
                                       progress=bar.update, log=lambda line: bar.write(line, file=self.stderr))
            except LookupError as error:
                raise CommandError(str(error)) from None
        failed = False
        for name, outcome in outcomes.items():
            if outcome.skipped:
                self.stdout.write(f"{name}: skipped: {outcome.skipped}")
                continue
            trained = f" (trained: version {outcome.trained['version']})" if outcome.trained else ""
            self.stdout.write(f"{name}{trained}: {outcome.articles} article(s), {outcome.stored.spans} span(s), "
                              f"{outcome.stored.relations} relation(s), {outcome.stored.stances} stance(s) suggested"
                              + (f"; {len(outcome.errors)} error(s), the last: {outcome.errors[-1]}"
                                 if outcome.errors else ""))
            failed = failed or (bool(outcome.errors) and not outcome.articles)
        if failed:
            raise CommandError("a recommender failed on every article it was asked about (see above).")

    @staticmethod
    def _article_ids(project, given: list[str]) -> list[int]:
        numbers = [int(value) for value in given if value.isdigit()]
        found = dict(Article.objects.filter(project=project, pk__in=numbers).values_list("pk", "pk"))
        found.update(Article.objects.filter(project=project, external_id__in=given).values_list("external_id", "pk"))
        missing = [value for value in given if value not in found and not (value.isdigit() and int(value) in found)]
        if missing:
            raise CommandError(f"no article {', '.join(missing)} in {project.slug}")
        return sorted(set(found.values()))
