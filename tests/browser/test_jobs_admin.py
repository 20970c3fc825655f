"""The admin's job page in a real browser: an upload lands on its job, whose page follows it to the end by
itself (polling the API from a static script, no reload by hand), and a snapshot started from the projects'
action downloads with the SHA-256 the page shows.

The worker is the tests' in-process one (tests/conftest.run_queued_jobs), run from the test thread: the test
database is transactional here, so the live server sees what the job commits. While it runs, the page's poll is
held in the browser (worker_run): on SQLite the test database is one in-memory database shared by the test
thread and the server's, and a poll read in the middle of the job's write transaction would meet "database
schema is locked", a limit of the test setup (a deployment's web process and worker share a file, in WAL mode).
"""
import hashlib
import io
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from annotate.models import Article, Job
from annotate.services.importing import import_file
from synthetic.corpus import annotated_records, to_jsonl

from ..conftest import run_queued_jobs
from .conftest import SCREENSHOTS
from .helpers import session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


JOB_API = "**/api/v1/jobs/*/"


@contextmanager
def worker_run(page):
    """Run the queued jobs while the page's next poll waits in the browser, then let it through.

    The page polls one request at a time, so once a poll is held nothing else reaches the server. Playwright
    calls route handlers only while this thread is in a Playwright call (wait_for_timeout below), never
    while the worker runs.
    """
    held = []

    def hold(route):
        held.append(route)

    page.route(JOB_API, hold)
    for _ in range(100):  # the page polls every second
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page did not poll its job"
    try:
        yield run_queued_jobs()
    finally:
        for route in held:
            route.continue_()
        page.unroute(JOB_API, hold)


@pytest.fixture
def admin_page(page, context, live_server, superuser):
    context.add_cookies([session_cookie(superuser, live_server.url)])
    # Django's admin pages name no icon, so Chromium asks for /favicon.ico, which nothing serves.
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    return page


def test_an_upload_lands_on_its_job_page_which_follows_it_to_the_end(admin_page, project, annotator_a):
    page = admin_page
    page.goto("/admin/annotate/article/import/")
    page.fill("input[name=project]", project.slug)
    page.select_option("select[name=annotator]", label=annotator_a.username)
    page.set_input_files("input[name=file]", files=[{
        "name": "batch.jsonl", "mimeType": "application/x-ndjson", "buffer": to_jsonl(annotated_records(3))}])
    page.click("input[type=submit][value=Import]")

    job = Job.objects.get()
    expect(page).to_have_url(re.compile(rf"/admin/annotate/job/{job.pk}/change/$"))
    status = page.locator('[data-job-field="status"]')
    expect(status).to_have_text("queued")
    expect(page.locator(".job-cancel input[type=submit]")).to_be_visible()
    assert Article.objects.count() == 0

    with worker_run(page) as ran:
        assert ran == 1
        assert Article.objects.filter(project=project).count() == 3
        expect(status).to_have_text("queued")  # the page has not been told yet

    expect(status).to_have_text("done")  # the page saw it by itself
    expect(page.locator(".job-summary")).to_contain_text("batch.jsonl: 3 article(s) created")
    expect(page.locator(".job-counts")).to_contain_text("Articles created")
    bar = page.locator('progress[data-job-field="bar"]')
    assert bar.evaluate("bar => bar.max > 0 && bar.value === bar.max")  # full
    expect(page.locator(".job-log")).to_contain_text("importing batch.jsonl")
    expect(page.locator(".job-cancel")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "job-import.png", full_page=True)


def test_a_snapshot_from_the_project_action_downloads_with_the_checksum_shown(admin_page, project, annotator_a,
                                                                               tmp_path):
    import_file(io.BytesIO(to_jsonl(annotated_records(2))), name="seed.jsonl", project_slug=project.slug,
                annotator=annotator_a)
    page = admin_page
    page.goto("/admin/annotate/project/")
    page.check(f"input[name=_selected_action][value='{project.pk}']")
    page.select_option("select[name=action]", value="export_snapshot_jsonl")
    page.click("button[name=index]")

    job = Job.objects.get()
    expect(page).to_have_url(re.compile(rf"/admin/annotate/job/{job.pk}/change/$"))
    expect(page.locator('[data-job-field="status"]')).to_have_text("queued")

    with worker_run(page) as ran:
        assert ran == 1

    link = page.locator("a.job-download")
    expect(link).to_be_visible()
    shown = page.locator(".job-sha256").inner_text().strip()
    with page.expect_download() as started:
        link.click()
    download = started.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    body = Path(saved).read_bytes()

    job.refresh_from_db()
    assert hashlib.sha256(body).hexdigest() == shown == job.result["sha256"]
    with default_storage.open(job.output_file, "rb") as stored:
        assert body == stored.read()
    assert download.suggested_filename == job.result["filename"]
    assert [line.count(b'"external_id"') for line in body.splitlines()] == [1, 1]
    page.screenshot(path=SCREENSHOTS / "job-snapshot.png", full_page=True)
