from django.core.management.base import BaseCommand, CommandError

from annotate.claims import computing
from annotate.models import Project


class Command(BaseCommand):
    help = ("Group the project's CLAIM and QUOTE spans that say the same thing across articles (docs/claims.md), "
            "replacing its clusters; the reviewers' merges and splits are applied again and clusters that stay "
            "keep their ids.")

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Slug of the project.")
        parser.add_argument("--threshold", type=float,
                            help=f"Cosine at which two claims are linked (default: the setting "
                                 f"CLAIM_SIMILARITY_THRESHOLD, else {computing.DEFAULT_THRESHOLD}).")
        parser.add_argument("--background", action="store_true",
                            help="Queue a job instead (run by the workers) and return at once.")

    def handle(self, *args, slug, threshold=None, background=False, **options):
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"no project {slug!r}")
        if threshold is not None and not 0 < threshold <= 1:
            raise CommandError("--threshold must be in (0, 1].")
        if background:
            from annotate.jobs.kinds.claims import cluster_in_background

            job = cluster_in_background(project, threshold=threshold)
            self.stdout.write(f"{project.slug}: job {job.pk} ({job.status}, /api/v1/jobs/{job.pk}/)")
            return
        outcome = computing.compute(project, similarity=threshold)
        self.stdout.write(f"{project.slug}: {outcome.claims} claim(s) in {outcome.clusters} cluster(s), "
                          f"{outcome.multi} of two or more; {outcome.kept} id(s) kept.")
