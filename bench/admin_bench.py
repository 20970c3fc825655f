"""The Django admin's changelists and searches at two corpus sizes: each must cost the same at any size.

    python bench/admin_bench.py [--sizes 2000 10000] [--runs 7]

For each size, a fresh database (SQLite always; PostgreSQL too when DATABASE_URL points at one) gets
the deterministic synthetic corpus through the importer, as one annotator's submitted layers; every
SOURCE span is linked to a canonical source named by its text, and the database is analysed (as
autovacuum would). In a child process a superuser's Django test client times each admin page
in-process (middleware, the changelist's queries, the template for 100 rows). The median over --runs
is printed for both sizes with their ratio and the queries per request.

The target (issue 11): every page under 500 ms at 50k articles (3.4M spans) on PostgreSQL.
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import databases, load_corpus, measure_sizes, two_sizes_parser

A = "/admin/annotate/"
PAGES = {
    "projects": A + "project/",
    "articles": A + "article/",
    "articles ?q=title word": A + "article/?q=autonomy",
    "articles ?q=external id": A + "article/?q={external_id}",
    "articles by language": A + "article/?language__exact=en",
    "articles newest published": A + "article/?o=-6",
    "layers": A + "annotation/",
    "layers ?q=external id": A + "annotation/?q={external_id}",
    "assignments": A + "assignment/",
    "assignments ?q=username": A + "assignment/?q=loader",
    "spans": A + "span/",
    "spans ?q=Morocco (common)": A + "span/?q=Morocco",
    "spans ?q=Zerrouki (rarer)": A + "span/?q=Zerrouki",
    "spans ?q=no such word": A + "span/?q=Xylophone",
    "spans ?q=external id": A + "span/?q={external_id}",
    "spans by label": A + "span/?label_name=CUE",
    "relations": A + "relation/",
    "relations ?q=external id": A + "relation/?q={external_id}",
    "stances": A + "stance/",
    "stances ?q=source name": A + "stance/?q=Bourita",
    "history": A + "annotationevent/",
    "history ?q=username": A + "annotationevent/?q=loader",
    "entities": A + "entity/",
}


def child(path: str, runs: int) -> None:
    import django

    django.setup()
    import orjson
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from annotate.models import Article

    settings.ALLOWED_HOSTS.append("testserver")
    User = get_user_model()
    load_corpus(path)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "unused"))
    # An article in the middle of the corpus: its id is neither the newest nor the oldest.
    external_id = Article.objects.order_by("pk").values_list("external_id", flat=True)[
        Article.objects.count() // 2]

    def timed(url):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, (url, response.status_code)
        return elapsed, len(queries)

    results = {}
    for name, url in PAGES.items():
        url = url.format(external_id=external_id)
        timed(url)  # warm: template compilation, first-use imports, the pages the query reads
        samples = [timed(url) for _ in range(runs)]
        results[name] = {"ms": statistics.median(s[0] for s in samples) * 1000, "queries": samples[-1][1]}
    print(orjson.dumps(results).decode())


def main() -> None:
    args = two_sizes_parser(__doc__, sizes=[2000, 10000], runs=7).parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]))
    small, large = args.sizes
    print(f"admin pages as a superuser, server time, median of {args.runs} runs, in-process client\n")
    print(f"{'db':<11} {'page':<28} {small:>9} {large:>9} {'ratio':>6} {'queries':>8}")
    for kind in [args.only] if args.only else databases():
        measured = measure_sizes(str(Path(__file__)), kind, args.sizes, args.runs)
        for name in PAGES:
            a, b = measured[small][name], measured[large][name]
            print(f"{kind:<11} {name:<28} {a['ms']:>7.1f}ms {b['ms']:>7.1f}ms {b['ms'] / a['ms']:>6.2f} "
                  f"{a['queries']:>3}/{b['queries']:<3}")


if __name__ == "__main__":
    main()
