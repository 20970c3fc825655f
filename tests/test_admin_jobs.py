"""Jobs in the admin: the import page and the export action start jobs and land on the job's page, which
only the starter and the project's managers see; the list of jobs, cancelling, deleting and downloading."""
import hashlib
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate import jobs
from annotate.jobs import live
from annotate.jobs.kinds.imports import start_import
from annotate.jobs.kinds.snapshots import start_snapshot
from annotate.models import Article, Job, Membership
from annotate.services.importing import import_file
from synthetic.corpus import annotated_records, to_jsonl

from .factories import make_member, make_project, make_user

pytestmark = pytest.mark.django_db


def job_url(job, view="change"):
    return reverse(f"admin:annotate_job_{view}", args=[job.pk])


JOBS = reverse("admin:annotate_job_changelist")
# The jobs list for a staff manager: session, user, count, full count, the page of jobs with their projects and
# starters (one query); the admin's navigation: the user's and their groups' permissions, and the webhooks
# admin's "manages a project?" check. Running jobs' progress comes from the jobs cache, not the database.
LIST_QUERIES = 8
PROJECTS = reverse("admin:annotate_project_changelist")


def staff(user, *permissions):
    """`user` as an admin user: staff, with these model permissions."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(*Permission.objects.filter(codename__in=permissions))
    return type(user).objects.get(pk=user.pk)  # forget cached permissions


@pytest.fixture
def admin_manager(manager):
    """The project's manager, as staff who may import articles."""
    return staff(manager, "add_article", "view_article", "view_project")


@pytest.fixture
def other_manager(db):
    """Staff managing another project: sees its jobs, never ours."""
    return staff(make_member(make_project("other"), make_user("olga"), role=Membership.Role.MANAGER),
                 "add_article", "view_project")


@pytest.fixture
def corpus(project, annotator_a):
    """Two articles with annotator_a's submitted layers: what a snapshot of submitted layers exports."""
    import_file(io.BytesIO(to_jsonl(annotated_records(2))), name="seed.jsonl", project_slug=project.slug,
                annotator=annotator_a)
    return project


def import_job(project, user, content=b"") -> Job:
    upload = SimpleUploadedFile("batch.jsonl", content or to_jsonl(annotated_records(1)))
    return start_import(upload, user=user, project_slug=project.slug, annotator="anna")


# Starting from the import page ---------------------------------------------------------------------------


def test_the_import_page_starts_a_job_and_its_page_follows_it(client, project, admin_manager, annotator_a,
                                                                run_jobs):
    client.force_login(admin_manager)
    response = client.post(reverse("admin:annotate_article_import"), {
        "project": "demo", "annotator": annotator_a.pk,
        "file": SimpleUploadedFile("batch.jsonl", to_jsonl(annotated_records(3)))})

    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert (job.kind, job.project, job.started_by, job.status) == ("import", project, admin_manager, "queued")
    assert default_storage.exists(job.input_file)  # the upload waits for the worker
    assert Article.objects.count() == 0

    page = client.get(job_url(job)).content.decode()
    assert 'data-job-status="queued"' in page and f'data-job-api="/api/v1/jobs/{job.pk}/"' in page
    assert re.search(r'<script type="module" src="/static/js/job-page\.js"></script>', page)
    assert "<script>" not in page  # no inline script: the CSP forbids them
    assert f'action="{job_url(job, "cancel")}"' in page

    assert run_jobs() == 1
    response = client.get(job_url(job))
    page = response.content.decode()
    assert response.context["job"].status == "done"
    assert 'data-job-status="done"' in page and "Cancel" not in page
    assert "batch.jsonl: 3 article(s) created" in page
    assert ("articles created", 3) in response.context["import_counts"]
    bar = response.context["bar"]
    assert bar["max"] and bar["value"] == bar["max"]  # full
    assert "importing batch.jsonl" in response.context["job"].log
    assert Article.objects.filter(project=project).count() == 3
    assert not default_storage.exists(job.input_file)


def test_a_failed_import_lists_its_problems_by_file_line_and_field(client, project, admin_manager, annotator_a,
                                                                   run_jobs):
    line = b'{"external_id": "x2", "text": "Short.", "annotations": {"spans": [{"start": 0, "end": 99, ' \
           b'"label": "QUOTE"}]}}\n'
    job = import_job(project, admin_manager, to_jsonl(annotated_records(1)) + line)
    run_jobs()
    client.force_login(admin_manager)

    response = client.get(job_url(job))

    page = response.content.decode()
    assert response.context["job"].status == "failed"
    assert "not imported, nothing written" in page
    [problem] = response.context["problems"]
    assert re.match(r"batch\.jsonl:2: [\w.\[\]]+: ", problem), problem
    assert problem in page
    assert Article.objects.count() == 0


# Who sees a job ------------------------------------------------------------------------------------------


def test_the_job_page_is_for_the_starter_and_the_projects_managers(client, project, admin_manager, reviewer,
                                                                   other_manager, annotator_a, superuser):
    starter = staff(reviewer)
    job = start_snapshot(project, user=starter)

    for user in (starter, admin_manager, superuser):
        client.force_login(user)
        assert client.get(job_url(job)).status_code == 200, user

    for user in (other_manager, staff(make_member(project, make_user("sam")))):  # staff, not a manager here
        client.force_login(user)
        assert client.get(job_url(job)).status_code == 404, user
        assert client.post(job_url(job, "cancel")).status_code == 404, user
    assert Job.objects.get().status == "queued"

    client.force_login(annotator_a)  # not staff: the admin sends them to its login
    response = client.get(job_url(job))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_the_list_shows_only_the_jobs_one_may_see_in_a_fixed_number_of_queries(
        client, project, admin_manager, reviewer, other_manager, django_assert_max_num_queries):
    ours = [start_snapshot(project, user=admin_manager), start_snapshot(project, user=staff(reviewer)),
            import_job(project, admin_manager)]
    theirs = start_snapshot(other_manager.memberships.get().project, user=other_manager)
    jobs.cancel(ours[0])

    client.force_login(admin_manager)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(JOBS)
    assert sorted(job.pk for job in response.context["cl"].result_list) == sorted(job.pk for job in ours)
    page = response.content.decode()
    assert "Export snapshot" in page and "Import" in page and "cancelled" in page

    client.force_login(other_manager)
    response = client.get(JOBS)
    assert [job.pk for job in response.context["cl"].result_list] == [theirs.pk]
    assert [job.pk for job in client.get(JOBS + "?kind=import").context["cl"].result_list] == []
    assert [job.pk for job in client.get(JOBS + "?status=queued").context["cl"].result_list] == [theirs.pk]


def test_the_list_query_count_does_not_grow_with_jobs(client, project, admin_manager, run_jobs,
                                                      django_assert_max_num_queries):
    client.force_login(admin_manager)
    start_snapshot(project, user=admin_manager)
    with CaptureQueriesContext(connection) as one:
        client.get(JOBS)
    for n in range(20):
        job = start_snapshot(project, user=admin_manager)
        if n % 2:
            jobs.cancel(job)
    run_jobs()
    import_job(project, admin_manager)
    with django_assert_max_num_queries(len(one)):
        assert client.get(JOBS).status_code == 200
    assert len(one) <= LIST_QUERIES


def test_a_running_jobs_progress_comes_from_its_heartbeat(client, project, admin_manager):
    job = start_snapshot(project, user=admin_manager)
    Job.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    live.beat(job.pk, done=3, total=10, message="writing 10 record(s) as jsonl")
    client.force_login(admin_manager)

    assert '<progress value="3" max="10"></progress> 3 / 10 – writing' in client.get(JOBS).content.decode()
    page = client.get(job_url(job)).content.decode()
    assert 'data-job-status="running"' in page
    assert re.search(r'<progress data-job-field="bar" value="3" max="10">', page)
    assert "3 / 10 – writing 10 record(s) as jsonl" in page


def test_jobs_are_seen_not_added_or_edited(client, project, admin_manager):
    job = start_snapshot(project, user=admin_manager)
    client.force_login(admin_manager)

    assert client.get(reverse("admin:annotate_job_add")).status_code == 403
    response = client.post(job_url(job), {"status": "done"})
    assert response.status_code == 200  # the job's page, read-only
    assert Job.objects.get().status == "queued"


# Cancel and delete ---------------------------------------------------------------------------------------


def test_the_cancel_button_cancels_a_queued_job_and_drops_its_upload(client, project, admin_manager):
    job = import_job(project, admin_manager)
    client.force_login(admin_manager)

    assert client.get(job_url(job, "cancel")).status_code == 405
    response = client.post(job_url(job, "cancel"))

    assert response.status_code == 302 and response["Location"] == job_url(job)
    job.refresh_from_db()
    assert job.status == "cancelled" and not default_storage.exists(job.input_file)
    page = client.get(job_url(job)).content.decode()
    assert "Cancelled at the user" in page and 'value="Cancel"' not in page


def test_the_cancel_action_cancels_the_active_jobs_among_those_selected(client, project, admin_manager, run_jobs):
    done = start_snapshot(project, user=admin_manager)
    run_jobs()
    queued = start_snapshot(project, user=admin_manager)
    client.force_login(admin_manager)

    response = client.post(JOBS, {"action": "cancel_jobs", "_selected_action": [done.pk, queued.pk]}, follow=True)

    assert dict(Job.objects.values_list("pk", "status")) == {done.pk: "done", queued.pk: "cancelled"}
    texts = [m.message for m in response.context["messages"]]
    assert any(text.startswith("Cancelled 1 job(s)") for text in texts)
    assert "1 job(s) had already ended; nothing to cancel." in texts


def test_only_ended_jobs_are_deleted_and_their_files_with_them(client, corpus, admin_manager, run_jobs,
                                                               django_capture_on_commit_callbacks):
    finished = start_snapshot(corpus, user=admin_manager)
    run_jobs()
    finished.refresh_from_db()
    assert default_storage.exists(finished.output_file)
    queued = start_snapshot(corpus, user=admin_manager)
    client.force_login(admin_manager)

    assert client.get(job_url(queued, "delete")).status_code == 403
    response = client.post(JOBS, {"action": "delete_selected", "_selected_action": [queued.pk, finished.pk]})
    assert response.status_code == 200 and "cancel first" in response.content.decode()  # refused
    assert Job.objects.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(job_url(finished, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert list(Job.objects.all()) == [queued]
    assert not default_storage.exists(finished.output_file)


# The export action ---------------------------------------------------------------------------------------


def test_the_export_action_starts_a_snapshot_and_its_download_matches_its_checksum(client, corpus, admin_manager,
                                                                                   run_jobs):
    client.force_login(admin_manager)
    response = client.post(PROJECTS, {"action": "export_snapshot_jsonl", "_selected_action": [corpus.pk]})

    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert (job.kind, job.project, job.started_by) == ("snapshot", corpus, admin_manager)
    assert job.arguments["format"] == "jsonl" and job.arguments["status"] == "submitted"

    run_jobs()
    response = client.get(job_url(job))
    page = response.content.decode()
    download = response.context["download"]
    assert f'href="/api/v1/jobs/{job.pk}/download/"' in page and download["sha256"] in page
    assert download["records"] == 2

    file = client.get(download["download_url"])
    assert file.status_code == 200
    body = b"".join(file.streaming_content) if file.streaming else file.content
    assert len(body) == download["bytes"] and hashlib.sha256(body).hexdigest() == download["sha256"]
    assert [line.count(b'"external_id"') for line in body.splitlines()] == [1, 1]


def test_the_export_action_skips_projects_one_does_not_manage(client, corpus, admin_manager, other_manager,
                                                              superuser):
    other = other_manager.memberships.get().project
    client.force_login(admin_manager)

    response = client.post(PROJECTS, {"action": "export_snapshot_csv", "_selected_action": [corpus.pk, other.pk]})

    [job] = Job.objects.all()
    assert response["Location"] == job_url(job) and job.project == corpus and job.arguments["format"] == "csv"
    messages = [m.message for m in client.get(job_url(job)).context["messages"]]
    assert "Exports are for the project's managers; not exported: other." in messages

    client.force_login(superuser)  # manages every project
    response = client.post(PROJECTS, {"action": "export_snapshot_jsonl", "_selected_action": [corpus.pk, other.pk]})
    assert response["Location"] == f"{JOBS}?kind=snapshot"
    assert Job.objects.filter(kind="snapshot", started_by=superuser).count() == 2
