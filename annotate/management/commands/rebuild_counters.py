from django.core.management.base import BaseCommand, CommandError

from annotate.services.counters import rebuild_counters


class Command(BaseCommand):
    help = ("Count assignments (by annotator and status, by day, by time taken), articles and adjudicated gold "
            "again from the rows, and say which stored counts differed. The triggers keep them; this repairs.")

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Only compare: change nothing, and fail if any count differs.")

    def handle(self, *args, check, **options):
        drifts = rebuild_counters(dry_run=check)
        for drift in drifts:
            self.stdout.write(f"{drift.counter} {drift.key}: stored {drift.stored}, counted {drift.counted}")
        if check and drifts:
            raise CommandError(f"{len(drifts)} counts differ from the rows; run rebuild_counters to repair them.")
        self.stdout.write(f"{len(drifts)} counts differed" + ("" if check else ", now recounted") + ".")
