"""Assisted annotation at two corpus sizes (issue 13's targets): whole-project runs, and the per-article paths.

    python bench/suggest_bench.py [--sizes 2000 10000] [--runs 9] [--only sqlite|postgresql]

For each size, a fresh database (SQLite always; PostgreSQL too when DATABASE_URL points at one) gets the
deterministic synthetic corpus through the importer as one annotator's submitted layers (~70 spans an
article), with every SOURCE linked to a canonical source. In a child process:

1. Whole-project run: `running.run(project, names=[...])` over every article, once per recommender
   (attribution; string_match, which first learns from the submitted layers: its training time is
   printed apart). Wall seconds and articles per second. Target: a 10k-article project in < 2 minutes.
2. Tagger: training on 1,000 submitted layers (seconds). Target: < 1 minute.
3. One article: attribution and string matching on a 70-span article, the recommenders alone (median ms;
   target < 50 ms), and the workspace's paths through the API, in-process client, a manager: GET an
   article's suggestions, POST refresh (the two recommenders, no training), accept one suggestion into
   a layer. Medians over --runs and queries per request: these must not grow with the corpus.

Figures and ratios only, never pass/fail.
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import databases, load_corpus, measure_sizes, two_sizes_parser

FAST = ["attribution", "string_match"]


def child(path: str, runs: int) -> None:
    import django

    django.setup()
    import orjson
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from annotate.models import Annotation, Article, Membership, Span, SuggestedSpan, SuggestionDecision
    from annotate.services import annotating
    from annotate.suggestions import running
    from annotate.suggestions.base import Document
    from annotate.suggestions.running import instantiate, recommenders_of, train
    from annotate.suggestions.vocabulary import Vocabulary

    settings.ALLOWED_HOSTS.append("testserver")
    project, loader = load_corpus(path)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    results = {"articles": Article.objects.filter(project=project).count()}

    for name in FAST:
        start = time.perf_counter()
        outcome = running.run(project, names=[name], log=lambda line: None)[name]
        results[f"run {name}"] = {"s": time.perf_counter() - start, "articles": outcome.articles,
                                  "trained_s": None, "errors": len(outcome.errors)}
    # string_match trained inside its run (first use): time the training alone too.
    row = recommenders_of(project, ["string_match"])[0]
    vocabulary = Vocabulary.of(project)
    start = time.perf_counter()
    train(row, instantiate(row, vocabulary), log=lambda line: None)
    results["run string_match"]["trained_s"] = time.perf_counter() - start

    tagger_row = recommenders_of(project, ["tagger"])[0]
    tagger_row.options = {"max_examples": 1000}
    tagger_row.save()
    start = time.perf_counter()
    train(tagger_row, instantiate(tagger_row, vocabulary), log=lambda line: None)
    results["tagger training (1,000 layers)"] = {"s": time.perf_counter() - start}

    # One article in the middle of the corpus, with ~70 spans in its submitted layer.
    middle = Article.objects.filter(project=project).order_by("pk")[results["articles"] // 2]
    document = Document(middle.pk, middle.text, middle.language or "")
    for name in FAST:
        recommender = instantiate(recommenders_of(project, [name])[0], vocabulary)
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            recommender.predict([document])
            samples.append(time.perf_counter() - start)
        results[f"one article: {name}"] = {"ms": statistics.median(samples) * 1000}

    manager = loader
    Membership.objects.update_or_create(project=project, user=manager, defaults={"role": Membership.Role.MANAGER})
    client = APIClient()
    client.force_authenticate(manager)
    layer = Annotation.objects.create(article=middle, is_gold=True)

    def timed(method, url, body=None, status=200):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = getattr(client, method)(url, body, format="json")
            elapsed = time.perf_counter() - start
        assert response.status_code == status, (url, response.status_code, response.content[:300])
        return elapsed, len(queries), response

    base = f"/api/v1/articles/{middle.pk}/suggestions/"
    for label, method, url, body in (("GET suggestions", "get", base, None),
                                     ("POST refresh (2 recommenders)", "post", base + "refresh/",
                                      {"recommender": FAST})):
        timed(method, url, body)
        samples = [timed(method, url, body) for _ in range(runs)]
        results[label] = {"ms": statistics.median(s[0] for s in samples) * 1000, "queries": samples[-1][1]}
    samples = []
    for _ in range(runs):
        suggestion = SuggestedSpan.objects.filter(article=middle).order_by("?").first()
        layer.refresh_from_db()
        elapsed, queries, response = timed("post", f"/api/v1/annotations/{layer.pk}/suggestions/accept/",
                                           {"spans": [suggestion.pk], "version": layer.version}, status=201)
        samples.append((elapsed, queries))
        for span in response.json()["spans"]:  # undone, so every accept makes one span
            layer.refresh_from_db()
            annotating.delete_span(span=Span.objects.get(pk=span["id"]), expected_version=layer.version)
        SuggestionDecision.objects.filter(article=middle).delete()
    results["POST accept (one span)"] = {"ms": statistics.median(s[0] for s in samples) * 1000,
                                         "queries": samples[-1][1]}
    print(orjson.dumps(results).decode())


def main() -> None:
    args = two_sizes_parser(__doc__, sizes=[2000, 10000], runs=9).parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]))
    small, large = args.sizes
    print(f"suggestions: whole-project runs and per-article paths (median of {args.runs})\n")
    for kind in [args.only] if args.only else databases():
        measured = measure_sizes(str(Path(__file__)), kind, args.sizes, args.runs)
        a, b = measured[small], measured[large]
        print(f"{kind}: {a['articles']} and {b['articles']} articles")
        for name in FAST:
            key = f"run {name}"
            print(f"  {key:<34} {a[key]['s']:>7.1f}s {b[key]['s']:>7.1f}s  ratio {b[key]['s'] / a[key]['s']:.2f}  "
                  f"({b[key]['articles'] / b[key]['s']:.0f} articles/s at {large}; errors {b[key]['errors']})"
                  + (f"; training alone {a[key]['trained_s']:.1f}s / {b[key]['trained_s']:.1f}s"
                     if a[key]["trained_s"] is not None else ""))
        key = "tagger training (1,000 layers)"
        print(f"  {key:<34} {a[key]['s']:>7.1f}s {b[key]['s']:>7.1f}s")
        for key in [f"one article: {name}" for name in FAST]:
            print(f"  {key:<34} {a[key]['ms']:>6.1f}ms {b[key]['ms']:>6.1f}ms")
        for key in ("GET suggestions", "POST refresh (2 recommenders)", "POST accept (one span)"):
            print(f"  {key:<34} {a[key]['ms']:>6.1f}ms {b[key]['ms']:>6.1f}ms  ratio {b[key]['ms'] / a[key]['ms']:.2f}"
                  f"  queries {a[key]['queries']}/{b[key]['queries']}")


if __name__ == "__main__":
    main()
