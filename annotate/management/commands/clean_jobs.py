from django.conf import settings
from django.core.management.base import BaseCommand

from annotate import jobs


class Command(BaseCommand):
    help = (
        "Delete jobs that ended more than JOB_RETENTION_DAYS days ago, with their files (uploads, snapshots), "
        "and ended webhook deliveries as old; mark failed the running jobs whose worker stopped beating. "
        "Run it daily (cron, systemd timer)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help=f"Keep this many days instead (default: JOB_RETENTION_DAYS, "
                                 f"{settings.JOB_RETENTION_DAYS}).")

    def handle(self, *args, **options):
        deleted = jobs.clean(older_than_days=options["days"])
        self.stdout.write(f"{deleted} ended job(s) deleted, with their files.")
