"""The management commands people type."""
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.models import Membership

from .factories import make_user

pytestmark = pytest.mark.django_db


def test_add_member_adds_and_changes_roles(project, capsys):
    make_user("zoe")
    call_command("add_member", "demo", "zoe", "--role", "annotator")
    assert project.role_of(get_user_model().objects.get(username="zoe")) == "annotator"
    call_command("add_member", "demo", "zoe", "--role", "reviewer")
    assert Membership.objects.get(user__username="zoe").role == "reviewer"
    assert "zoe added to demo as annotator" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [(["nope", "zoe"], "no project 'nope'"), (["demo", "nobody"], "no user")])
def test_add_member_errors(project, args, message):
    make_user("zoe")
    with pytest.raises(CommandError, match=message):
        call_command("add_member", *args)


def test_demo_users_are_idempotent_and_members(settings, capsys):
    settings.DEBUG = True
    call_command("loaddata", "demo_project", verbosity=0)
    call_command("create_demo_users")
    call_command("create_demo_users")
    User = get_user_model()
    assert sorted(User.objects.values_list("username", flat=True)) == ["admin", "alice", "bob"]
    assert User.objects.get(username="admin").is_superuser
    alice = User.objects.get(username="alice")
    assert alice.check_password("alice-demo-pass") and not alice.is_staff
    assert Membership.objects.get(user=alice, project__slug="morocco-news").role == "annotator"
    assert "alice-demo-pass" in capsys.readouterr().out


def test_demo_users_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("create_demo_users")
