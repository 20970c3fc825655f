"""Real workers in their own processes, killed mid-job: the job is marked failed, nothing it wrote is kept.

PostgreSQL only: the workers must reach the test database from another process (SQLite's test database
lives in this process's memory).
"""
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from annotate import jobs
from annotate.jobs import live
from annotate.jobs.kinds.imports import start_import
from annotate.jobs.runner import run_job
from annotate.models import Article, Job, Membership
from synthetic.corpus import annotated_records, to_jsonl

from .conftest import require_redis
from .factories import api_client, make_project, make_user

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("workers in other processes need a database they can reach (PostgreSQL)")


def _worker(*command: str, **env: str) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return subprocess.Popen(
        [sys.executable, "manage.py", *command], cwd=ROOT, start_new_session=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "DATABASE_URL": url, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _kill(worker: subprocess.Popen) -> None:
    """SIGKILL, no goodbye: the worker and the work horse RQ forks per job (in a process group of its own)."""
    horses = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout.split()
    for pid in horses:
        os.kill(int(pid), signal.SIGKILL)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)


def _wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def _big_import(manager):
    project = make_project("killed")
    Membership.objects.create(project=project, user=manager, role=Membership.Role.MANAGER)
    annotator = make_user("kim")
    Membership.objects.create(project=project, user=annotator)
    data = to_jsonl(annotated_records(3000))
    upload = io.BytesIO(data)
    upload.name = "big.jsonl"
    return project, start_import(upload, user=manager, project_slug=project.slug, annotator="kim")


def _killed_mid_import(settings, command, **env):
    manager = make_user("mona")
    project, job = _big_import(manager)
    worker = _worker(*command, **env)
    try:
        # Killed once the import is under way: records read, rows being written in its transaction.
        _wait_for(lambda: (live.last_beat(job.pk) or {}).get("done", 0) > 0)
    finally:
        _kill(worker)
    job.refresh_from_db()
    assert job.status == "running"  # as the worker left it
    assert not Article.objects.filter(project=project).exists()  # its transaction died with it
    settings.JOB_STALE_SECONDS = 1
    time.sleep(1.5)
    seen = api_client(manager).get(reverse("api:job-detail", args=[job.pk])).json()
    assert seen["status"] == "failed" and "stopped responding" in seen["error"]["message"], seen
    return project, job


def test_a_database_worker_killed_mid_import_leaves_nothing_and_the_job_failed(settings):
    project, job = _killed_mid_import(settings, ["db_worker", "--queue-name", "*", "--no-reload",
                                                 "--interval", "0.1", "--no-startup-delay"])
    # A new worker does not run it again: it is no longer queued.
    worker = _worker("db_worker", "--queue-name", "*", "--no-reload", "--batch", "--no-startup-delay")
    worker.wait(60)
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == 1
    assert not Article.objects.filter(project=project).exists()


def test_an_rq_worker_killed_mid_import_leaves_nothing_and_the_job_failed(settings):
    import django_rq

    require_redis()
    redis_url = os.environ["REDIS_URL"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [settings.JOBS_QUEUE]}}
    settings.CACHES = {**settings.CACHES, "jobs": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                   "LOCATION": redis_url,
                                                   "KEY_PREFIX": f"jobs-{settings.JOBS_QUEUE}"}}
    django_rq.get_queue(settings.JOBS_QUEUE).empty()
    project, job = _killed_mid_import(settings, ["rqworker", settings.JOBS_QUEUE], TASKS_BACKEND="rq")
    worker = _worker("rqworker", settings.JOBS_QUEUE, "--burst", TASKS_BACKEND="rq")
    worker.wait(60)
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == 1
    assert not Article.objects.filter(project=project).exists()
    django_rq.get_queue(settings.JOBS_QUEUE).empty()


def test_several_rq_workers_run_every_job_exactly_once(settings):
    import django_rq

    require_redis()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [settings.JOBS_QUEUE]}}
    django_rq.get_queue(settings.JOBS_QUEUE).empty()
    manager = make_user("mona")
    started = []
    for i in range(20):
        project = make_project(f"p{i}")
        started.append(jobs.start("figures", user=manager, project=project))
    run_job.enqueue(started[0].pk)  # a duplicate delivery of the first
    workers = [_worker("rqworker", settings.JOBS_QUEUE, "--burst", TASKS_BACKEND="rq") for _ in range(3)]
    for worker in workers:
        worker.wait(120)
    done = Job.objects.filter(pk__in=[job.pk for job in started])
    assert sorted(done.values_list("status", flat=True)) == ["done"] * 20
    assert set(done.values_list("attempts", flat=True)) == {1}
