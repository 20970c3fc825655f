"""Background jobs on the database backend: every kind, run by an in-process worker as db_worker runs them."""
import io

import orjson
from django.urls import reverse

from annotate.models import Article


def _jsonl(*records) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def _upload(name, data):
    f = io.BytesIO(data)
    f.name = name
    return f


def test_import_through_the_api_runs_as_a_job(client, project, manager, run_jobs):
    client.force_login(manager)
    data = _jsonl({"external_id": "a1", "text": "Morocco said it.", "title": "T"})
    response = client.post(reverse("api:import-start", args=[project.slug]), {"file": _upload("x.jsonl", data)})
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"id", "url", "status"} and body["status"] == "queued"
    assert not Article.objects.filter(project=project, external_id="a1").exists()
    assert run_jobs() == 1
    job = client.get(body["url"]).json()
    assert job["status"] == "done", job
    assert job["result"]["articles_created"] == 1
    assert Article.objects.filter(project=project, external_id="a1").exists()
    assert set(job) >= {"id", "kind", "status", "progress", "result", "error", "created_at", "started_at",
                        "finished_at"}
