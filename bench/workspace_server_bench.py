"""Workspace speed: server time of the workspace page and of the API calls it makes, 70 spans vs 7.

    python bench/workspace_server_bench.py [--runs 40]

Runs on SQLite always and on PostgreSQL when DATABASE_URL points at one (a
fresh database is created beside it and dropped). In a child process on that
database it builds two opened layers shaped like real work (sources linked to
canonical sources, cues, quotes with a nested claim and stance evidence,
relations, stances): one of 70 spans and one of 7. Then Django's test client,
logged in as the annotator, times each request in-process (URL routing,
middleware, session, views, templates, serialisers, SQL: the server's side,
without a network or a browser) and the median over --runs is printed, with
the 70/7 ratio and the number of SQL queries per request.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import databases, fresh_database, run_child

SIZES = (7, 70)
BLOCK = ("Hassan Bellouan said that “Morocco 🌍 is a key partner in the fight against terrorism”, "
         "adding that the Kingdom makes great efforts. ")


def build(n_spans: int, project, user):
    """An opened layer of `n_spans` spans: blocks of SOURCE, CUE, QUOTE ⊃ CLAIM ⊃ STANCE_EVIDENCE."""
    from annotate.models import Entity
    from annotate.services import annotating
    from synthetic.builders import make_article, make_assignment

    blocks = -(-n_spans // 5)
    text = "\n\n".join(BLOCK * 2 for _ in range(blocks))
    assignment = make_assignment(make_article(project, text=text, title=f"{n_spans} spans"), user)
    layer = annotating.open_layer(assignment=assignment)
    entity, _ = Entity.objects.get_or_create(project=project, name="Hassan Bellouan", defaults={"type": "person"})
    made, offset = 0, 0

    def add(label, fragment, **extra):
        nonlocal made
        start = text.index(fragment, offset)
        made += 1
        return annotating.add_span(annotation=layer, expected_version=layer.version, label=label, start=start,
                                   end=start + len(fragment), **extra)

    while made < n_spans:
        source = add("SOURCE", "Hassan Bellouan", entity=entity)
        spans = [source]
        if made < n_spans:
            cue = add("CUE", "said")
            spans.append(cue)
        if made < n_spans:
            quote = add("QUOTE", "“Morocco 🌍 is a key partner in the fight against terrorism”",
                        attributes={"quote_type": "direct"})
            annotating.add_relation(annotation=layer, expected_version=layer.version, type="ATTRIBUTED_TO",
                                    from_span=quote, to_span=source)
            annotating.add_relation(annotation=layer, expected_version=layer.version, type="CUE_OF",
                                    from_span=cue, to_span=quote)
        if made < n_spans:
            claim = add("CLAIM", "Morocco 🌍 is a key partner", attributes={"check_worthy": True})
            annotating.add_relation(annotation=layer, expected_version=layer.version, type="CLAIMED_BY",
                                    from_span=claim, to_span=source)
        if made < n_spans:
            evidence = add("STANCE_EVIDENCE", "the fight against terrorism")
            annotating.add_stance(annotation=layer, expected_version=layer.version, holder_span=source,
                                  target="Moroccan sovereignty over Western Sahara", polarity="favor",
                                  evidence=[evidence])
        offset = text.index("efforts", offset) + len("efforts")
    return assignment, layer


def child(runs: int) -> None:
    import django

    django.setup()
    import orjson
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from annotate.models import Membership
    from synthetic.builders import make_project, make_user

    settings.ALLOWED_HOSTS.append("testserver")
    call_command("migrate", verbosity=0)
    project = make_project("bench-ui", targets=["Moroccan sovereignty over Western Sahara"])
    user = make_user("bench-annotator")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    client = Client()
    client.force_login(user)

    def timed(method, url, body=None, version=None):
        call = getattr(client, method)
        headers = {"If-Match": f'"{version}"'} if version is not None else {}
        kwargs = {"content_type": "application/json", "data": orjson.dumps(body)} if body is not None else {}
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = call(url, headers=headers, **kwargs)
            elapsed = time.perf_counter() - start
        assert response.status_code < 300, (url, response.status_code, response.content[:300])
        return elapsed, len(queries), response

    results = {}
    for size in SIZES:
        assignment, layer = build(size, project, user)
        api = f"/api/v1/annotations/{layer.pk}/"
        span = layer.spans.filter(label__name="QUOTE").first()
        version = {"v": layer.version}
        free = layer.article.text.index("adding")

        def create_and_delete():
            # One timed write: POST a span (the next run deletes it, untimed, to keep the layer's size).
            elapsed, n, response = timed("post", api + "spans/", {"label": "CUE", "start": free, "end": free + 6},
                                         version=version["v"])
            body = response.json()
            version["v"] = body["annotation_version"]
            client.delete(f"{api}spans/{body['id']}/", headers={"If-Match": f'"{version["v"]}"'})
            version["v"] += 1
            return elapsed, n, response

        def patch():
            elapsed, n, response = timed("patch", f"{api}spans/{span.pk}/", {"attributes": {"quote_type": "direct"}},
                                         version=version["v"])
            version["v"] = response.json()["annotation_version"]
            return elapsed, n, response

        requests = {
            "workspace page (HTML)": lambda: timed("get", f"/work/{assignment.pk}/"),
            "GET layer (reload)": lambda: timed("get", api),
            "POST span (create)": create_and_delete,
            "PATCH span (attributes)": patch,
            "GET entities ?search= (type-ahead)":
                lambda: timed("get", f"/api/v1/projects/{project.slug}/entities/?search=Bell"),
        }
        for name, request in requests.items():
            request()  # warm: first-use imports, template compilation
            samples = [request() for _ in range(runs)]
            results.setdefault(name, {})[str(size)] = {
                "ms": statistics.median(s[0] for s in samples) * 1000, "queries": samples[-1][1]}
    print(orjson.dumps(results).decode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.runs)
    print(f"server time, median of {args.runs} runs (in-process test client)\n")
    print(f"{'db':<11} {'request':<36} {'7 spans':>9} {'70 spans':>9} {'ratio':>6} {'queries':>8}")
    for kind in databases():
        with fresh_database(kind) as url:
            results = run_child([str(Path(__file__)), "--child", "--runs", str(args.runs)], url)
        for name, by_size in results.items():
            small, large = by_size[str(SIZES[0])], by_size[str(SIZES[1])]
            queries = f"{small['queries']}/{large['queries']}"
            print(f"{kind:<11} {name:<36} {small['ms']:>7.1f}ms {large['ms']:>7.1f}ms "
                  f"{large['ms'] / small['ms']:>6.2f} {queries:>8}")


if __name__ == "__main__":
    main()
