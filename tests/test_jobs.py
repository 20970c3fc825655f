"""Background jobs: every kind through the API on the database backend and on RQ (the local Redis), and the
life of a job (claimed once, cancelled, reaped when its worker is lost, cleaned after retention)."""
import hashlib
import io
from contextlib import contextmanager
from datetime import timedelta

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from annotate import dashboards, jobs
from annotate.jobs import live
from annotate.jobs.kinds.snapshots import start_snapshot
from annotate.jobs.runner import execute
from annotate.models import Article, Job, Membership, Span, StaleArticle
from annotate.services import figures
from annotate.services.importing import import_file
from synthetic.corpus import annotated_records, to_jsonl

from .conftest import require_redis, run_queued_jobs
from .factories import api_client, make_project, make_user

BAD_LINE = (b'{"external_id": "x2", "text": "Short.", '
            b'"annotations": {"spans": [{"start": 0, "end": 99, "label": "QUOTE"}]}}\n')


def _upload(name: str, data: bytes):
    stream = io.BytesIO(data)
    stream.name = name
    return stream


class Backend:
    """One task backend, as the tests drive it: start jobs (their enqueue fires on commit) and run them."""

    def __init__(self, name, capture, queue=None):
        self.name, self._capture, self._queue = name, capture, queue

    @contextmanager
    def starting(self):
        with self._capture(execute=True):
            yield

    def run(self) -> None:
        if self._queue is None:
            run_queued_jobs()
            return
        from django_rq.workers import get_worker
        from rq import SimpleWorker

        get_worker(self._queue.name, worker_class=SimpleWorker).work(burst=True)


@pytest.fixture(params=["database", "rq"])
def backend(request, settings, django_capture_on_commit_callbacks):
    if request.param == "database":
        yield Backend("database", django_capture_on_commit_callbacks)
        return
    import django_rq

    require_redis()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [settings.JOBS_QUEUE]}}
    queue = django_rq.get_queue(settings.JOBS_QUEUE)
    queue.empty()
    yield Backend("rq", django_capture_on_commit_callbacks, queue)
    queue.empty()


def _start_import(client, project, data: bytes, name="corpus.jsonl", **options):
    return client.post(reverse("api:import-start", args=[project.slug]),
                       {"file": _upload(name, data), **options}, format="multipart")


def _job(client, body) -> dict:
    return client.get(body["url"]).json()


# Every kind, on both backends.

def test_an_import_job_imports_the_file_and_counts_its_figures(backend, project, manager, annotator_a):
    client = api_client(manager)
    with backend.starting():
        response = _start_import(client, project, to_jsonl(annotated_records(12)), annotator="anna")
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"id", "url", "status"} and body["status"] == "queued"
    assert response["Location"] == body["url"] == f"/api/v1/jobs/{body['id']}/"
    assert not Article.objects.filter(project=project).exists()  # nothing happens in the request

    backend.run()
    job = _job(client, body)
    assert job["status"] == "done", job
    assert job["kind"] == "import" and job["error"] is None
    assert job["result"]["articles_created"] == 12 and job["result"]["layers_created"] == 12
    assert job["result"]["spans"] == Span.objects.filter(annotation__article__project=project).count() > 0
    assert job["started_at"] <= job["finished_at"]
    assert Article.objects.filter(project=project).count() == 12
    assert not StaleArticle.objects.filter(project_id=project.pk).exists()  # the figures were counted
    assert sum(n for _, n in dashboards.label_distribution(project)) == job["result"]["spans"]
    assert not default_storage.exists(Job.objects.get(pk=body["id"]).input_file)  # the upload is gone


def test_a_failed_import_job_names_every_problem_and_writes_nothing(backend, project, manager):
    client = api_client(manager)
    data = b'{"external_id": "x1", "text": "Fine."}\n' + BAD_LINE + b"not json\n"
    with backend.starting():
        body = _start_import(client, project, data, name="bad.jsonl").json()
    backend.run()
    job = _job(client, body)
    assert job["status"] == "failed"
    assert job["result"] is None
    assert "bad.jsonl: not imported, nothing written" in job["error"]["message"]
    problems = job["error"]["problems"]
    assert [(p["file"], p["line"]) for p in problems] == [("bad.jsonl", 2), ("bad.jsonl", 3)]
    assert all(p["field"] is not None and p["message"] for p in problems)
    assert not Article.objects.filter(project=project).exists()


def test_a_snapshot_job_writes_the_export_to_a_file_with_its_checksum(backend, project, reviewer, annotator_a):
    _import_now(project, annotated_records(8))
    client = api_client(reviewer)
    with backend.starting():
        response = client.post(reverse("api:snapshot-start", args=[project.slug]), {"format": "jsonl"}, format="json")
    assert response.status_code == 202, response.content
    backend.run()
    job = _job(client, response.json())
    assert job["status"] == "done", job
    result = job["result"]
    streamed = b"".join(client.get(reverse("api:export-jsonl", args=[project.slug])).streaming_content)
    download = client.get(result["download_url"])
    body = b"".join(download.streaming_content)
    assert body == streamed and result["records"] == 8
    assert result["sha256"] == hashlib.sha256(body).hexdigest()
    assert int(download["Content-Length"]) == len(body) == result["bytes"]
    assert download["ETag"] == f'"{result["sha256"]}"'
    assert download["Accept-Ranges"] == "bytes"


def test_an_agreement_report_job_computes_the_narrowed_report(backend, project, manager, annotator_a, annotator_b):
    _import_now(project, annotated_records(6), owner=annotator_a)
    _import_now(project, annotated_records(6), owner=annotator_b)
    client = api_client(manager)
    with backend.starting():
        response = client.post(reverse("api:agreement-report", args=[project.slug]),
                               {"annotators": ["anna", "ben"], "labels": ["QUOTE"]}, format="json")
    assert response.status_code == 202, response.content
    backend.run()
    job = _job(client, response.json())
    assert job["status"] == "done", job
    expected = dashboards.agreement(project, annotators=["anna", "ben"], labels=["QUOTE"])
    assert job["result"] == orjson.loads(orjson.dumps(expected))


def test_a_figures_job_recounts_a_project(backend, project, annotator_a):
    _import_now(project, annotated_records(5))
    before = dashboards.label_distribution(project)
    with backend.starting():
        job = jobs.start("figures", project=project, arguments={"rebuild": True})
    backend.run()
    job.refresh_from_db()
    assert job.status == "done" and job.result == {"articles_counted": 5, "rebuilt": True}
    assert dashboards.label_distribution(project) == before


def _import_now(project, records, owner=None):
    """Import records in the foreground (the command's path), as anna's layers unless `owner` is given."""
    owner = owner or get_user_model().objects.get(username="anna")
    import_file(io.BytesIO(to_jsonl(records)), name="seed.jsonl", project_slug=project.slug, annotator=owner)
    figures.settle_all(project)


# The life of a job.

def test_a_job_runs_once_however_often_it_is_delivered(project, manager, run_jobs):
    job = start_snapshot(project, user=manager)
    job.refresh_from_db()
    assert execute(job.pk) == "done"
    first = Job.objects.get(pk=job.pk)
    assert execute(job.pk) == "skipped"  # a second delivery (a retry, a duplicate) finds nothing to claim
    assert run_jobs() == 1  # the queued task itself: skipped too
    again = Job.objects.get(pk=job.pk)
    assert (again.attempts, again.result, again.finished_at) == (1, first.result, first.finished_at)


def test_a_queued_job_cancelled_never_runs_and_its_upload_is_deleted(project, manager, run_jobs):
    client = api_client(manager)
    body = _start_import(client, project, b'{"external_id": "a", "text": "A."}\n').json()
    stored = Job.objects.get(pk=body["id"]).input_file
    assert default_storage.exists(stored)
    response = client.post(reverse("api:job-cancel", args=[body["id"]]))
    assert response.status_code == 202 and response.json()["status"] == "cancelled"
    run_jobs()
    assert _job(client, body)["status"] == "cancelled"
    assert not Article.objects.filter(project=project).exists()
    assert not default_storage.exists(stored)
    again = client.post(reverse("api:job-cancel", args=[body["id"]]))
    assert again.status_code == 400 and "already ended" in again.json()["status"][0]


def test_a_running_import_cancelled_is_rolled_back(project, manager):
    client = api_client(manager)
    lines = b"".join(b'{"external_id": "c%d", "text": "Text %d."}\n' % (i, i) for i in range(600))
    body = _start_import(client, project, lines).json()
    job = Job.objects.get(pk=body["id"])
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)  # as a worker would have claimed it
    response = client.post(reverse("api:job-cancel", args=[job.pk]))
    assert response.status_code == 202 and response.json()["status"] == "running"  # stops at its next step
    assert live.cancel_asked(job.pk)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)  # hand it to the worker, flag still raised
    assert execute(job.pk) == "cancelled"
    job.refresh_from_db()
    assert job.status == "cancelled" and "Cancelled" in job.error["message"]
    assert not Article.objects.filter(project=project).exists()


def test_a_running_job_shows_its_live_progress(project, manager):
    job = start_snapshot(project, user=manager)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    live.beat(job.pk, done=40, total=100, message="writing 100 record(s) as jsonl", log="09:00:00 writing")
    data = api_client(manager).get(reverse("api:job-detail", args=[job.pk])).json()
    assert data["status"] == "running"
    assert data["progress"] == {"done": 40, "total": 100, "message": "writing 100 record(s) as jsonl"}
    assert data["log"] == "09:00:00 writing"  # the log so far, before the job has ended
    listed = api_client(manager).get(reverse("api:job-list")).json()["results"]
    assert listed[0]["log"] == "09:00:00 writing"


def test_a_job_whose_worker_went_silent_is_marked_failed(project, manager, settings):
    settings.JOB_STALE_SECONDS = 30
    quiet, beating = start_snapshot(project, user=manager), start_snapshot(project, user=manager)
    long_ago = timezone.now() - timedelta(minutes=5)
    Job.objects.filter(pk__in=[quiet.pk, beating.pk]).update(status=Job.Status.RUNNING, started_at=long_ago)
    live.beat(beating.pk, done=1, total=2, message="")
    client = api_client(manager)
    listed = {j["id"]: j for j in client.get(reverse("api:job-list")).json()["results"]}
    assert listed[quiet.pk]["status"] == "failed"
    assert "stopped responding" in listed[quiet.pk]["error"]["message"]
    assert listed[beating.pk]["status"] == "running"
    assert Job.objects.get(pk=quiet.pk).status == "failed"  # recorded, not only shown


def test_clean_jobs_deletes_old_ended_jobs_and_their_files(project, manager, django_capture_on_commit_callbacks):
    old, recent, running = (start_snapshot(project, user=manager) for _ in range(3))
    name = default_storage.save("snapshots/demo/old.jsonl", ContentFile(b"{}\n"))
    Job.objects.filter(pk=old.pk).update(status="done", output_file=name,
                                         finished_at=timezone.now() - timedelta(days=30))
    Job.objects.filter(pk=recent.pk).update(status="done", finished_at=timezone.now() - timedelta(days=1))
    Job.objects.filter(pk=running.pk).update(status="running", started_at=timezone.now())
    live.beat(running.pk, done=0, total=None, message="")
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the rows' deletion commits
        call_command("clean_jobs", stdout=out)
    assert "1 ended job(s) deleted" in out.getvalue()
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}
    assert not default_storage.exists(name)


def test_clean_jobs_forgets_the_queues_old_task_rows(project, manager, run_jobs):
    from django_tasks_db.models import DBTaskResult

    old, recent = start_snapshot(project, user=manager), start_snapshot(project, user=manager)
    run_jobs()
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=30))
    DBTaskResult.objects.filter(args_kwargs__args=[old.pk]).update(enqueued_at=timezone.now() - timedelta(days=30))
    call_command("clean_jobs", stdout=io.StringIO())
    assert [task.args_kwargs["args"] for task in DBTaskResult.objects.all()] == [[recent.pk]]


def test_clean_jobs_forgets_old_webhook_deliveries_but_not_pending_ones(project, manager):
    from annotate.models import Webhook, WebhookDelivery

    hook = Webhook.objects.create(project=project, url="https://hooks.example.org/x", events=["snapshot.ready"])
    long_ago = timezone.now() - timedelta(days=30)
    sent, failed, pending, recent = (WebhookDelivery.objects.create(
        webhook=hook, event="snapshot.ready", payload={}, status=status) for status in
        ("sent", "failed", "pending", "sent"))
    WebhookDelivery.objects.filter(pk__in=[sent.pk, failed.pk, pending.pk]).update(created_at=long_ago)
    call_command("clean_jobs", stdout=io.StringIO())
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {pending.pk, recent.pk}


def test_a_job_rq_could_not_hear_of_is_failed_not_left_queued(project, manager, backend, settings):
    if backend.name != "rq":
        pytest.skip("the database backend queues in the job's own transaction: both or neither")
    from django.test import override_settings

    with override_settings(RQ_QUEUES={settings.JOBS_QUEUE: {"URL": "redis://127.0.0.1:1/0"}}), backend.starting():
        job = start_snapshot(project, user=manager)
    job.refresh_from_db()
    assert job.status == "failed" and "could not be queued" in job.error["message"]


def test_the_command_queues_files_in_the_background(project, run_jobs, tmp_path, annotator_a):
    path = tmp_path / "one.jsonl"
    path.write_bytes(b'{"external_id": "bg1", "text": "Queued."}\n')
    out = io.StringIO()
    call_command("import_articles", str(path), project=project.slug, background=True, stdout=out)
    job = Job.objects.get(kind="import")
    assert f"queued as job {job.pk}" in out.getvalue()
    assert not Article.objects.filter(external_id="bg1").exists()
    run_jobs()
    job.refresh_from_db()
    assert job.status == "done" and Article.objects.filter(external_id="bg1").exists()


def test_pages_hand_a_bulk_of_stale_figures_to_one_background_job(project, reviewer, run_jobs, client):
    owner = make_user("ivy")
    Membership.objects.create(project=project, user=owner)
    _import_now(project, annotated_records(5), owner=owner)

    figures.rebuild(project)  # every article stale, as after a bulk change by SQL
    client.force_login(reviewer)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(figures, "SETTLE_PER_REQUEST", 2)
        page = client.get(reverse("review:stances", args=[project.slug]))
        client.get(reverse("review:stances", args=[project.slug]))
    assert page.status_code == 200 and b"a background job is counting" in page.content
    assert Job.objects.filter(kind="figures", project=project).count() == 1  # one, however many pages
    run_jobs()
    assert figures.stale_count(project) == 0


# Who may do what (the permission matrix covers every persona; these are the cases it cannot show).

def test_jobs_are_seen_by_their_starter_and_the_projects_managers_only(project, manager, reviewer):
    other = make_project("other")
    other_manager = make_user("olga")
    Membership.objects.create(project=other, user=other_manager, role=Membership.Role.MANAGER)
    job = start_snapshot(project, user=reviewer)
    url = reverse("api:job-detail", args=[job.pk])
    assert api_client(reviewer).get(url).status_code == 200
    assert api_client(manager).get(url).status_code == 200
    assert api_client(other_manager).get(url).status_code == 404
    assert [j["id"] for j in api_client(other_manager).get(reverse("api:job-list")).json()["results"]] == []
    Membership.objects.filter(project=project, user=reviewer).delete()  # the starter left the project
    assert api_client(reviewer).get(url).status_code == 404


def test_only_those_who_may_create_projects_import_into_a_new_one(manager, superuser, run_jobs):
    data = b'{"external_id": "n1", "text": "New."}\n'
    refused = _start_import(api_client(manager), type("P", (), {"slug": "brand-new"}), data, create_project="true")
    assert refused.status_code == 404
    response = _start_import(api_client(superuser), type("P", (), {"slug": "brand-new"}), data, create_project="true")
    assert response.status_code == 202, response.content
    run_jobs()
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == "done" and job.project.slug == "brand-new"


@pytest.mark.parametrize("options,field", [
    ({}, "file"),
    ({"file": _upload("notes.pdf", b"%PDF")}, "file"),
    ({"file": _upload("a.jsonl", b"{}\n"), "annotator": "nobody"}, "annotator"),
    ({"file": _upload("a.jsonl", b"{}\n"), "update": "maybe"}, "update"),
    ({"file": _upload("a.jsonl", b"{}\n"), "create_users": "true"}, "create_users"),
])
def test_an_import_request_with_bad_options_is_refused_and_queues_nothing(project, manager, options, field):
    response = api_client(manager).post(reverse("api:import-start", args=[project.slug]), options,
                                        format="multipart")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Job.objects.exists()


def test_a_snapshot_request_with_a_bad_filter_is_refused(project, reviewer):
    client = api_client(reviewer)
    for body, field in (({"format": "xml"}, "format"), ({"status": "draft"}, "status"),
                        ({"updated_since": "yesterday"}, "updated_since"),
                        ({"format": "csv", "trailer": True}, "trailer")):
        response = client.post(reverse("api:snapshot-start", args=[project.slug]), body, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.content)
    assert not Job.objects.exists()


def test_job_lists_read_a_fixed_number_of_queries(project, manager, django_assert_max_num_queries):
    client = api_client(manager)
    for _ in range(3):
        start_snapshot(project, user=manager)
    with django_assert_max_num_queries(6):
        small = client.get(reverse("api:job-list"))
    for _ in range(20):
        start_snapshot(project, user=manager)
    with django_assert_max_num_queries(6):
        large = client.get(reverse("api:job-list"))
    assert len(small.json()["results"]) == 3 and len(large.json()["results"]) == 23



def test_a_release_job_writes_its_files(backend, project, manager, annotator_a):
    from annotate.jobs.kinds.releases import start_release

    _import_now(project, annotated_records(4))
    with backend.starting():
        release = start_release(project, user=manager, name="v1")
    backend.run()
    release.refresh_from_db()
    assert release.status == "ready" and release.records == 4
    assert release.manifest["jsonl"]["sha256"] == hashlib.sha256(
        default_storage.open(release.manifest["jsonl"]["path"]).read()).hexdigest()


def test_a_webhook_delivery_task_posts_the_event(backend, project, annotator_a, settings):
    """The delivery task on each backend (tests/test_webhooks.py covers signing, retries and the guard)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from annotate.models import Webhook, WebhookDelivery
    from annotate.services import annotating

    from .factories import make_article, make_assignment

    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on loopback
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(orjson.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        Webhook.objects.create(project=project, url=f"http://127.0.0.1:{server.server_port}/",
                               events=["layer.submitted"])
        layer = annotating.open_layer(assignment=make_assignment(make_article(project), annotator_a))
        with backend.starting():
            annotating.submit(annotation=layer, expected_version=layer.version)
        backend.run()
    finally:
        server.shutdown()
        server.server_close()
    assert [body["event"] for body in received] == ["layer.submitted"]
    assert received[0]["data"]["annotation"] == layer.pk
    assert WebhookDelivery.objects.get().status == "sent"
