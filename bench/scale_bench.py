"""Pages and calls at two corpus sizes: per-article paths must cost the same, whatever the corpus holds.

    python bench/scale_bench.py [--sizes 2000 10000] [--runs 15]

For each size, a fresh database (SQLite always; PostgreSQL too when DATABASE_URL points at one) gets
the deterministic synthetic corpus through the importer, as one annotator's submitted layers. In a
child process on that database Django's test client times each request in-process (routing,
middleware, views, templates, serialisers, SQL: the server's side). The median over --runs is printed
for both sizes with their ratio and the queries per request.

Besides the loader's layer on every article, two more annotators ("second", "third") have layers on a
part of the corpus (min(2000, size / 5) articles), so agreement has something to compare. The dashboards'
figures are then counted once (`refresh_figures`, timed) as a deployment does after a bulk change.

Per-article and per-annotator paths (the workspace page, a layer's detail, taking the next article,
creating a span, one article's review page, My work of an annotator with few or many assignments) should
stay near 1.0. Project aggregates (dashboard, stance map, registry, agreement, a source's page) are read
from kept totals and should stay flat too; one stance-map cell's evidence is paginated. "peak MB" is
the most memory Python held during one request of that kind (tracemalloc, in a run apart from the timed ones).
"""
import argparse
import io
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import corpus, databases, fresh_database, link_sources, load_corpus, run_child

PER_ARTICLE = ["workspace page", "layer detail", "next article (new)", "create span", "create split span",
               "answer an article question", "threads of one article", "post a thread", "review of one article",
               "My work (new annotator)", "My work (all done)"]
AGGREGATES = ["dashboard", "agreement API", "source registry", "a source's page", "stance map",
              "stance evidence (first page)", "review index (open threads)"]


def child(path: str, runs: int, size: int) -> None:
    import django

    django.setup()
    import orjson
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from annotate import dashboards
    from annotate.models import Annotation, ArticleQuestion, Membership, StaleArticle
    from annotate.services.assignments import refresh_project_needs_annotators
    from annotate.services.importing import import_file

    settings.ALLOWED_HOSTS.append("testserver")
    User = get_user_model()
    project, loader = load_corpus(path)
    # Two more annotators on a part of the corpus: the same records, so agreement has pairs to count.
    with open(path, "rb") as stream:
        part = b"".join(line for _, line in zip(range(min(2000, size // 5)), stream))
    for name in ("second", "third"):
        other = User.objects.create_user(name)
        import_file(io.BytesIO(part), name="part.jsonl", project_slug="scale", annotator=other)
    link_sources(project)  # their SOURCE spans too
    project.annotators_per_article = 2  # a slot left on every article for the worker's "next"
    project.save()
    refresh_project_needs_annotators(project=project)
    stale = StaleArticle.objects.count()
    started = time.perf_counter()
    call_command("refresh_figures", verbosity=0)
    counting = {"articles": stale, "seconds": time.perf_counter() - started}
    if connection.vendor == "postgresql":  # as autovacuum does within a minute or so of a bulk load
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # Issue 16's per-article paths: an article question to answer, and open threads on a hundred layers
    # (the review index's filter and My work read them through partial indexes).
    ArticleQuestion.objects.create(project=project, name="CHECK_WORTHY", prompt="Check-worthy?",
                                   choices=["yes", "no"])
    from annotate.services.threads import open_thread
    for spread in Annotation.objects.filter(annotator=loader).order_by("pk")[:100]:
        open_thread(annotation=spread, kind="article", anchor_id=None, body="Is this news?", author=loader)
    worker = User.objects.create_user("worker")
    Membership.objects.create(project=project, user=worker, role=Membership.Role.ANNOTATOR)
    reviewer = User.objects.create_user("reviewer")
    Membership.objects.create(project=project, user=reviewer, role=Membership.Role.REVIEWER)
    clients = {}
    for user in (worker, reviewer):
        clients[user.username] = Client()
        clients[user.username].force_login(user)

    def timed(who, method, url, body=None, version=None):
        headers = {"If-Match": f'"{version}"'} if version is not None else {}
        kwargs = {"content_type": "application/json", "data": orjson.dumps(body)} if body is not None else {}
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = getattr(clients[who], method)(url, headers=headers, **kwargs)
            elapsed = time.perf_counter() - start
        assert response.status_code < 300, (url, response.status_code, response.content[:300])
        return elapsed, len(queries), response

    # The worker's open article: taken once through "next", opened, kept for the workspace and the writes.
    taken = timed("worker", "post", "/api/v1/projects/scale/next/")[2].json()
    layer = timed("worker", "post", f"/api/v1/assignments/{taken['id']}/open/")[2].json()
    text_length = len(Annotation.objects.select_related("article").get(pk=layer["id"]).article.text)
    state = {"version": layer["version"], "at": 0}
    reviewed = Annotation.objects.filter(annotator=loader).order_by("pk").first()
    loader_client = clients["loader"] = Client()
    loader_client.force_login(loader)
    biggest = max(dashboards.source_registry(project), key=lambda entity: entity.mention_count)
    holders = dashboards.stance_map(project)["holders"]
    target = project.stance_targets.order_by("order", "name").first().name
    evidence_url = "/projects/scale/stances/evidence/?" + urlencode({"holder": holders[0], "target": target})

    def next_article():
        # Each take is a new article: the one taken is skipped (untimed) before the next run.
        elapsed, n, response = timed("worker", "post", "/api/v1/projects/scale/next/")
        clients["worker"].post(f"/api/v1/assignments/{response.json()['id']}/skip/",
                               data={"reason": "benchmark"}, content_type="application/json")
        return elapsed, n, response

    def create_span():
        start = state["at"] % (text_length - 1)
        state["at"] += 1
        elapsed, n, response = timed("worker", "post", f"/api/v1/annotations/{layer['id']}/spans/",
                                     {"label": "CLAIM", "start": start, "end": start + 1}, version=state["version"])
        state["version"] = response.json()["annotation_version"]
        return elapsed, n, response

    def create_split_span():
        start = state["at"] % (text_length - 4)
        state["at"] += 1
        elapsed, n, response = timed("worker", "post", f"/api/v1/annotations/{layer['id']}/spans/",
                                     {"label": "QUOTE", "fragments": [[start, start + 1], [start + 2, start + 3]]},
                                     version=state["version"])
        state["version"] = response.json()["annotation_version"]
        return elapsed, n, response

    def answer_question():
        state["at"] += 1
        elapsed, n, response = timed("worker", "put", f"/api/v1/annotations/{layer['id']}/article-labels/",
                                     {"version": state["version"],
                                      "article_labels": {"CHECK_WORTHY": "yes" if state["at"] % 2 else "no"}})
        state["version"] = response.json()["annotation_version"]
        return elapsed, n, response

    def post_thread():
        return timed("worker", "post", f"/api/v1/articles/{layer['article']}/threads/",
                     {"anchor": {"kind": "article", "id": layer["article"]}, "body": "Is the date right?"})

    requests = {
        "workspace page": lambda: timed("worker", "get", f"/work/{taken['id']}/"),
        "layer detail": lambda: timed("reviewer", "get", f"/api/v1/annotations/{reviewed.pk}/"),
        "next article (new)": next_article,
        "create span": create_span,
        "create split span": create_split_span,
        "answer an article question": answer_question,
        "threads of one article": lambda: timed("reviewer", "get", f"/api/v1/articles/{reviewed.article_id}/threads/"),
        "post a thread": post_thread,
        "review of one article": lambda: timed("reviewer", "get", f"/review/articles/{reviewed.article_id}/"),
        "My work (new annotator)": lambda: timed("worker", "get", "/"),
        "My work (all done)": lambda: timed("loader", "get", "/"),
        "dashboard": lambda: timed("reviewer", "get", "/projects/scale/dashboard/"),
        "agreement API": lambda: timed("reviewer", "get", "/api/v1/projects/scale/agreement/"),
        "source registry": lambda: timed("reviewer", "get", "/projects/scale/sources/"),
        "a source's page": lambda: timed("reviewer", "get", f"/projects/scale/sources/{biggest.pk}/"),
        "stance map": lambda: timed("reviewer", "get", "/projects/scale/stances/"),
        "stance evidence (first page)": lambda: timed("reviewer", "get", evidence_url),
        "review index (open threads)": lambda: timed("reviewer", "get", "/review/scale/?show=open_threads"),
    }
    results = {}
    for name, request in requests.items():
        request()  # warm: first-use imports, template compilation, caches
        count = runs if name in PER_ARTICLE else max(3, runs // 5)
        samples = [request() for _ in range(count)]
        # Memory apart from the timings (tracing slows Python down): the most Python held during one request.
        tracemalloc.start()
        request()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        results[name] = {"ms": statistics.median(s[0] for s in samples) * 1000, "queries": samples[-1][1],
                         "mb": peak}
    results["_counting"] = counting
    print(orjson.dumps(results).decode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs=2, default=[2000, 10000])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]), int(args.child[2]))
    small, large = args.sizes
    print(f"server time, median of {args.runs} runs (aggregates: {max(3, args.runs // 5)}), in-process client\n")
    print(f"{'db':<11} {'request':<30} {small:>9} {large:>9} {'ratio':>6} {'queries':>8} {'peak MB':>8}")
    for kind in databases():
        measured = {}
        for size in args.sizes:
            with fresh_database(kind) as url:
                measured[size] = run_child([str(Path(__file__)), "--child", str(corpus(size)), str(args.runs),
                                            str(size)], url)
        for name in PER_ARTICLE + AGGREGATES:
            a, b = measured[small][name], measured[large][name]
            print(f"{kind:<11} {name:<30} {a['ms']:>7.1f}ms {b['ms']:>7.1f}ms {b['ms'] / a['ms']:>6.2f} "
                  f"{a['queries']:>3}/{b['queries']:<3} {max(a['mb'], b['mb']):>7.1f}")
        for size in args.sizes:
            counting = measured[size]["_counting"]
            print(f"{kind:<11} counting the figures of {counting['articles']} articles at {size}: "
                  f"{counting['seconds']:.1f} s ({counting['articles'] / counting['seconds']:.0f} articles/s)")


if __name__ == "__main__":
    main()
