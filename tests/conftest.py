"""Personas shared by every test: the people who use the tool, in one place."""
import pytest

from annotate.models import Membership
from synthetic.corpus import TARGETS

from .factories import make_project, make_user


@pytest.fixture
def project(db):
    return make_project("demo", name="Demo project", targets=TARGETS)


@pytest.fixture
def annotator_a(project):
    user = make_user("anna")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    return user


@pytest.fixture
def annotator_b(project):
    user = make_user("ben")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    return user


@pytest.fixture
def reviewer(project):
    user = make_user("rita")
    Membership.objects.create(project=project, user=user, role=Membership.Role.REVIEWER)
    return user


@pytest.fixture
def manager(project):
    user = make_user("max")
    Membership.objects.create(project=project, user=user, role=Membership.Role.MANAGER)
    return user


@pytest.fixture
def outsider(db):
    """A logged-in user who belongs to no project."""
    return make_user("otto")


@pytest.fixture
def superuser(db):
    return make_user("root", is_staff=True, is_superuser=True)
