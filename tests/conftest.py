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


def run_queued_jobs() -> int:
    """Run every job queued on the database backend, in this process (and this test's transaction), as
    `manage.py db_worker` would: claim a task, run it, record it. How many ran."""
    from django.db import transaction
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="test-worker", excluded_queue_names=[])
    ran = 0
    while True:
        with transaction.atomic():
            task = DBTaskResult.objects.ready().get_locked()
            if task is None:
                return ran
            task.claim(worker.worker_id)
        worker.run_task(task)
        ran += 1


@pytest.fixture
def run_jobs(db):
    return run_queued_jobs


@pytest.fixture(autouse=True)
def _fresh_jobs_cache():
    """Jobs' live progress is keyed by job id, and ids come round again once a test's rows are rolled back."""
    from django.core.cache import caches

    caches["jobs"].clear()
    yield


def require_redis() -> None:
    """Skip an RQ test when no Redis answers at REDIS_URL, saying so; CI (REQUIRE_REDIS_TESTS=1) fails instead."""
    import os

    import redis
    from django.conf import settings

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        if os.environ.get("REQUIRE_REDIS_TESTS") == "1":
            pytest.fail(f"REQUIRE_REDIS_TESTS=1 but no Redis at {settings.REDIS_URL}: {error}")
        pytest.skip(f"no Redis at {settings.REDIS_URL} (RQ backend tests)")
