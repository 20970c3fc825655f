"""A snapshot's download: length, checksum, byte ranges to resume a cut download, and who may fetch it."""
import base64
import hashlib

import pytest
from django.urls import reverse

from annotate.jobs.kinds.snapshots import start_snapshot
from annotate.models import Membership

from .factories import api_client, make_article, make_user


@pytest.fixture
def snapshot(project, reviewer, run_jobs):
    for i in range(30):
        make_article(project, text=f"Article {i} 🌍 مقال", external_id=f"a{i}")
    job = start_snapshot(project, user=reviewer, format="jsonl", status="all", with_unannotated=True)
    run_jobs()
    job.refresh_from_db()
    assert job.status == "done", job.error
    return job


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_whole_file_with_its_length_and_digest(snapshot, reviewer):
    response = api_client(reviewer).get(snapshot.result["download_url"])
    body = _body(response)
    assert response.status_code == 200 and body.count(b"\n") == 30
    assert int(response["Content-Length"]) == len(body) == snapshot.result["bytes"]
    digest = hashlib.sha256(body).digest()
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
    assert response["ETag"] == f'"{digest.hex()}"' and response["Accept-Ranges"] == "bytes"
    assert snapshot.result["filename"] in response["Content-Disposition"]


def test_ranges_resume_a_cut_download(snapshot, reviewer):
    client = api_client(reviewer)
    url = snapshot.result["download_url"]
    whole = _body(client.get(url))
    size = len(whole)
    first = client.get(url, HTTP_RANGE="bytes=0-99")
    part = _body(first)
    assert first.status_code == 206 and part == whole[:100]
    assert first["Content-Range"] == f"bytes 0-99/{size}" and first["Content-Length"] == "100"
    rest = client.get(url, HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=first["ETag"])
    assert rest.status_code == 206 and part + _body(rest) == whole
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert _body(tail) == whole[-10:] and tail["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
    beyond = client.get(url, HTTP_RANGE=f"bytes={size}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"
    # The client's part came from another file: this one is sent whole rather than spliced onto it.
    stale = client.get(url, HTTP_RANGE="bytes=100-", HTTP_IF_RANGE='"another-file"')
    assert stale.status_code == 200 and _body(stale) == whole
    several = client.get(url, HTTP_RANGE="bytes=0-1,5-6")
    assert several.status_code == 200 and _body(several) == whole
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_head_answers_the_length_without_the_body(snapshot, reviewer):
    response = api_client(reviewer).head(snapshot.result["download_url"])
    assert response.status_code == 200 and int(response["Content-Length"]) == snapshot.result["bytes"]


def test_only_those_who_see_the_job_and_may_export_download(snapshot, project, reviewer, manager, annotator_a,
                                                             outsider):
    url = snapshot.result["download_url"]
    assert api_client(manager).get(url).status_code == 200
    assert api_client(annotator_a).get(url).status_code == 404
    assert api_client(outsider).get(url).status_code == 404
    other_engineer = make_user("eve")
    Membership.objects.create(project=project, user=other_engineer, role=Membership.Role.ENGINEER)
    assert api_client(other_engineer).get(url).status_code == 404  # another starter's job
    Membership.objects.filter(user=reviewer).update(role=Membership.Role.ANNOTATOR)
    assert api_client(reviewer).get(url).status_code == 403  # the starter may no longer pull the corpus


def test_a_job_without_a_file_has_nothing_to_download(project, reviewer):
    job = start_snapshot(project, user=reviewer)
    response = api_client(reviewer).get(reverse("api:job-download", args=[job.pk]))
    assert response.status_code == 404
