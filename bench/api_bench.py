"""API latency: p50/p95 of sequential requests through gunicorn against a loaded corpus.

    DATABASE_URL=postgres://…/postgres python bench/api_bench.py [--articles 10000] [--requests 300]

A fresh database is loaded with the generated corpus (each article one
submitted annotation layer of about 70 spans), then a client with a token and
a kept-alive connection times, one request after another:

* the annotation detail with its ~70 spans, relations and stances,
* a list page of 100 articles,
* creating one span (on an open layer, sending the version it read),
* "next article" (each one skipped afterwards, untimed, so the next call assigns a new one).
"""
import argparse
import http.client
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, corpus, databases, fresh_database, gunicorn, percentiles, run_child

TARGETS_MS = {"annotation detail": 15, "list 100 articles": 50, "create span": 20, "next article": 20}


def setup_child(path: str) -> dict:
    """Load the corpus and prepare the benchmark's users; print what the client needs."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from annotate.models import Annotation, Membership, Project
    from annotate.services.assignments import refresh_project_needs_annotators
    from annotate.services.importing import import_file

    call_command("migrate", verbosity=0)
    User = get_user_model()
    loader = User.objects.create_user("loader")
    with open(path, "rb") as stream:
        import_file(stream, name=Path(path).name, project_slug="bench", annotator=loader,
                    create_project_if_missing=True)
    project = Project.objects.get(slug="bench")
    project.annotators_per_article = 2  # every article has a slot left for the "next article" caller
    project.save()
    refresh_project_needs_annotators(project=project)
    reader = User.objects.create_user("reader")
    Membership.objects.create(project=project, user=reader, role=Membership.Role.REVIEWER)
    worker = User.objects.create_user("worker")
    Membership.objects.create(project=project, user=worker, role=Membership.Role.ANNOTATOR)
    layer = Annotation.objects.filter(annotator=loader).order_by("pk").first()
    return {"reader": Token.objects.create(user=reader).key, "worker": Token.objects.create(user=worker).key,
            "layer": layer.pk, "spans": layer.spans.count()}


class Client:
    def __init__(self, base: str, token: str):
        url = urlparse(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict | None, float]:
        start = time.perf_counter()
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers={**self.headers, **(headers or {})})
        response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
        return response.status, (json.loads(data) if data else None), elapsed


def measure(base: str, setup: dict, n: int) -> dict[str, list[float]]:
    reader, worker = Client(base, setup["reader"]), Client(base, setup["worker"])
    times = {name: [] for name in TARGETS_MS}
    for _ in range(10):  # warm up connections and caches
        reader.call("GET", f"/api/v1/annotations/{setup['layer']}/")
    for _ in range(n):
        status, _, took = reader.call("GET", f"/api/v1/annotations/{setup['layer']}/")
        assert status == 200, status
        times["annotation detail"].append(took)
    for _ in range(n):
        status, body, took = reader.call("GET", "/api/v1/articles/?project=bench&page_size=100")
        assert status == 200 and len(body["results"]) == 100, status
        times["list 100 articles"].append(took)
    layer, version, start = None, None, 0
    for _ in range(n):
        status, body, took = worker.call("POST", "/api/v1/projects/bench/next/")
        assert status in (200, 201), status
        times["next article"].append(took)
        if layer is None:  # keep the first one open for the span writes
            status, opened, _ = worker.call("POST", f"/api/v1/assignments/{body['id']}/open/")
            layer, version = opened["id"], opened["version"]
            article = worker.call("GET", f"/api/v1/articles/{body['article']['id']}/")[1]
            length = article["length"]
        else:
            worker.call("POST", f"/api/v1/assignments/{body['id']}/skip/", {"reason": "benchmark"})
    for i in range(n):
        start = i % (length - 1)
        status, body, took = worker.call("POST", f"/api/v1/annotations/{layer}/spans/",
                                         {"label": "CLAIM", "start": start, "end": start + 1, "version": version})
        assert status == 201, (status, body)
        version = body["annotation_version"]
        times["create span"].append(took)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        print(json.dumps(setup_child(args.setup)))
        return
    path = corpus(args.articles)
    kinds = [k for k in databases() if k == "postgresql"] or databases()
    for kind in kinds:
        with fresh_database(kind) as url:
            setup = run_child([str(ROOT / "bench" / "api_bench.py"), "--setup", str(path)], url)
            with gunicorn(url) as (base, _pid):
                times = measure(base, setup, args.requests)
        print(f"{kind}: {args.articles} articles, annotation detail with {setup['spans']} spans, "
              f"{args.requests} sequential requests each (gunicorn, 2 workers)")
        print(f"{'endpoint':<20}{'p50 ms':>9}{'p95 ms':>9}{'target p95':>12}")
        for name, samples in times.items():
            p50, p95 = percentiles(samples)
            print(f"{name:<20}{p50:>9.1f}{p95:>9.1f}{TARGETS_MS[name]:>12}")


if __name__ == "__main__":
    main()
