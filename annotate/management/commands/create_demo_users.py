"""Demo accounts for a laptop: an admin and two annotators, members of the demo project.

Idempotent: a second run finds the users and resets their passwords to the
ones printed, so the printed credentials always work.
"""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotate.models import Membership, Project
from annotate.services.membership import add_member

DEMO_PROJECT = "morocco-news"
DEMO_USERS = (
    # username, password, superuser, role in the demo project
    ("admin", "admin-demo-pass", True, Membership.Role.MANAGER),
    ("alice", "alice-demo-pass", False, Membership.Role.ANNOTATOR),
    ("bob", "bob-demo-pass", False, Membership.Role.ANNOTATOR),
)


class Command(BaseCommand):
    help = "Create (or reset) the demo users admin, alice and bob. Refused when DEBUG is off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo users have published passwords: only with DEBUG=1")
        User = get_user_model()
        project = Project.objects.filter(slug=DEMO_PROJECT).first()
        for username, password, is_superuser, role in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            user.is_staff = user.is_superuser = is_superuser
            user.set_password(password)
            user.save()
            if project is not None:
                add_member(project=project, user=user, role=role)
            state = "created" if created else "exists"
            kind = "admin" if is_superuser else "annotator"
            self.stdout.write(f"  {kind:<9} {username:<6} password: {password}   ({state})")
        if project is None:
            self.stdout.write(f"(no project {DEMO_PROJECT!r} yet: load the demo fixture to add memberships)")
