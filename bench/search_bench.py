"""Corpus search at two corpus sizes: query latency (p50/p95), queries per page, and the index build.

    python bench/search_bench.py [--sizes 10000 50000] [--runs 20] [--only sqlite|postgresql]

For each size, a fresh database (SQLite always; PostgreSQL too when DATABASE_URL points at one) gets the
deterministic synthetic corpus through the importer (the index is kept by the import itself: PostgreSQL's
expression index, SQLite's triggers), every SOURCE span linked to a canonical source, and is analysed. In a
child process a reviewer's API client times each search in-process (DRF, the compiler, the queries, the
hits' context): one warm-up, then --runs timed requests; the first page of each query counts its results,
"page 2" follows the first page's cursor. The index build is timed by dropping and building it again
(PostgreSQL: the GIN expression index and the trigram indexes; SQLite: the FTS5 table re-filled).

Targets (issue 15), on PostgreSQL: a text query with one field filter p95 < 100 ms; a hits-in-context page of
50 p95 < 150 ms; the index build for 10k articles < 60 s; sub-linear growth from 10k to 50k.
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Timer, databases, load_corpus, measure_sizes, percentiles, two_sizes_parser

# name: (query, mode)
QUERIES = {
    "text + field, articles": ("Bourita language:en", "articles"),
    "text + field, hits": ("Bourita language:en", "hits"),
    "phrase, hits": ('"autonomy plan"', "hits"),
    "prefix, hits": ("sovereign*", "hits"),
    "rare word, hits": ("Laayoune", "hits"),
    "no such word, hits": ("xylophone", "hits"),
    "label + word, hits": ("label:QUOTE ISIS", "hits"),
    "source: by name, hits": ("source:Bourita", "hits"),
    "stances against, hits": ("polarity:against target:sovereignty", "hits"),
    "quotes of a source, hits": ('label:QUOTE source:"Omar Hilale"', "hits"),
    "mentions, not marked": ('"Polisario Front" -has:STANCE_EVIDENCE', "articles"),
}


def child(path: str, runs: int) -> None:
    import django

    django.setup()
    import orjson
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from rest_framework.test import APIClient

    from annotate.models import Membership
    from annotate.search import index
    from synthetic.builders import make_user

    settings.ALLOWED_HOSTS.append("testserver")
    project, _ = load_corpus(Path(path))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    with Timer() as build:
        index.drop(connection)
        index.create(connection)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_article" if connection.vendor == "postgresql" else "ANALYZE")
    reviewer = make_user("rita")
    Membership.objects.create(project=project, user=reviewer, role=Membership.Role.REVIEWER)
    client = APIClient()
    client.force_authenticate(reviewer)
    url = reverse("api:project-search", args=[project.slug])

    def timed(params):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url, params)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, (params, response.status_code, response.content[:300])
        return elapsed, len(queries), response.json()

    results = {"build_s": build.seconds}
    for name, (q, mode) in QUERIES.items():
        params = {"q": q, "mode": mode}
        _, _, first = timed(params)  # warm
        samples = [timed(params) for _ in range(runs)]
        p50, p95 = percentiles([s[0] for s in samples])
        results[name] = {"p50": p50, "p95": p95, "queries": samples[-1][1], "count": first["count"],
                         "page": len(first["results"])}
        if name == "text + field, hits" and first["next"]:
            cursor = first["next"].split("cursor=")[1].split("&")[0]
            samples = [timed({**params, "cursor": cursor}) for _ in range(runs)]
            p50, p95 = percentiles([s[0] for s in samples])
            results["text + field, hits, page 2"] = {"p50": p50, "p95": p95, "queries": samples[-1][1],
                                                     "count": first["count"], "page": len(samples[-1][2]["results"])}
    print(orjson.dumps(results).decode())


def main() -> None:
    args = two_sizes_parser(__doc__, sizes=[10000, 50000], runs=20).parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]))
    small, large = args.sizes
    print(f"search as a reviewer through the API, in-process, p50/p95 of {args.runs} runs (ms)\n")
    for kind in [args.only] if args.only else databases():
        measured = measure_sizes(str(Path(__file__)), kind, args.sizes, args.runs,  # raw figures as each is done
                                 each=lambda size, figures: print(f"{kind} {size}: {figures}", flush=True))
        print(f"{'db':<11} {'query':<30} {small:>15} {large:>15} {'p95 ratio':>9} {'queries':>8} {'count':>12}")
        for name in measured[small]:
            if name == "build_s":
                continue
            a, b = measured[small][name], measured[large].get(name)
            if b is None:
                continue
            print(f"{kind:<11} {name:<30} {a['p50']:>6.1f}/{a['p95']:>6.1f}  {b['p50']:>6.1f}/{b['p95']:>6.1f}  "
                  f"{b['p95'] / a['p95']:>9.2f} {a['queries']:>3}/{b['queries']:<3} {a['count']:>5}/{b['count']:<5}")
        print(f"{kind:<11} index build: {measured[small]['build_s']:.1f} s at {small}, "
              f"{measured[large]['build_s']:.1f} s at {large}\n")


if __name__ == "__main__":
    main()
