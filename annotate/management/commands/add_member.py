from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotate.models import Membership, Project
from annotate.services.membership import add_member


class Command(BaseCommand):
    help = "Make a user a member of a project with a role (annotator, reviewer or manager)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("username")
        parser.add_argument("--role", choices=Membership.Role.values, default=Membership.Role.ANNOTATOR)

    def handle(self, *args, slug, username, role, **options):
        try:
            project = Project.objects.get(slug=slug)
        except Project.DoesNotExist:
            raise CommandError(f"no project {slug!r}") from None
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}") from None
        membership, created = add_member(project=project, user=user, role=role)
        if created:
            self.stdout.write(f"{username} added to {slug} as {membership.role}")
        else:
            self.stdout.write(f"{username} is {membership.role} in {slug}")
