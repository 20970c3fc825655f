"""Import benchmark: 1k and 10k generated annotated articles, against a raw bulk-load floor.

    python bench/import_bench.py [--sizes 1000 10000] [--databases sqlite postgresql] [--runs 1]

Runs on SQLite always and on PostgreSQL when DATABASE_URL points at one (a
fresh database is created beside it and dropped). Each import runs in its own
process so its peak memory is its own. The floor is the same records parsed
from the same file and bulk-loaded with the bare driver (psycopg COPY, or
sqlite3 executemany) into tables with the same columns and no constraints or
indexes: what the machine can do before any of the tool's guarantees.

With --runs N each import and each floor runs N times and the fastest of each is kept (the ratio
is theirs): on a shared machine the fastest run is the one least disturbed by the others.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, Timer, corpus, databases, fresh_database, peak_rss_mb, run_child

BARE_TABLES = {
    "article": "id bigint, external_id text, title text, text text, outlet text, url text, published text, "
               "language text",
    "span": "id bigint, article_id bigint, label text, start_ integer, end_ integer, text text",
    "relation": "from_id bigint, to_id bigint, type text",
    "stance": "holder_id bigint, target text, polarity text, evidence_id bigint",
}


def bare_rows(path: Path):
    """Yield (table, row) from the corpus, with ids made up as a loader would."""
    import orjson

    span_id = 0
    with path.open("rb") as stream:
        for article_id, line in enumerate(stream, start=1):
            rec = orjson.loads(line)
            yield "article", (article_id, rec["external_id"], rec["title"], rec["text"], rec.get("source"),
                              rec.get("url"), rec.get("published"), rec.get("language"))
            ids = {}
            layer = rec.get("annotations") or {}
            for s in layer.get("spans", []):
                span_id += 1
                ids[s["id"]] = span_id
                yield "span", (span_id, article_id, s["label"], s["start"], s["end"], s["text"])
            for r in layer.get("relations", []):
                yield "relation", (ids[r["from"]], ids[r["to"]], r["type"])
            for s in layer.get("stances", []):
                evidence = s["evidence"] if isinstance(s["evidence"], list) else [s["evidence"]]
                yield "stance", (ids.get(s.get("holder")), s["target"], s["polarity"], ids[evidence[0]])


def floor(path: Path, database_url: str) -> dict:
    """Parse the file and bulk-load it in batches of 250 articles with the bare driver."""
    if database_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))

        def load(table, rows):
            conn.executemany(f"INSERT INTO bare_{table} VALUES ({','.join('?' * len(rows[0]))})", rows)
    else:
        import psycopg

        conn = psycopg.connect(database_url)

        def load(table, rows):
            with conn.cursor() as cur, cur.copy(f"COPY bare_{table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    for table, columns in BARE_TABLES.items():
        conn.execute(f"CREATE TABLE bare_{table} ({columns})")
    conn.commit()
    with Timer() as timer:
        batch = {table: [] for table in BARE_TABLES}
        articles = 0
        for table, row in bare_rows(path):
            batch[table].append(row)
            articles += table == "article"
            if articles == 250:
                for name, rows in batch.items():
                    if rows:
                        load(name, rows)
                batch, articles = {name: [] for name in BARE_TABLES}, 0
        for name, rows in batch.items():
            if rows:
                load(name, rows)
        conn.commit()
    conn.close()
    return {"seconds": timer.seconds, "peak_mb": peak_rss_mb()}


def import_child(path: str) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotate.services.importing import import_file

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench")
    with Timer() as timer, open(path, "rb") as stream:
        report = import_file(stream, name=Path(path).name, project_slug="bench", annotator=user,
                             create_project_if_missing=True)
    return {"seconds": timer.seconds, "peak_mb": peak_rss_mb(), "articles": report.articles_created,
            "spans": report.spans, "relations": report.relations, "stances": report.stances}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"],
                        help="only these (PostgreSQL needs DATABASE_URL); default: every one available")
    parser.add_argument("--runs", type=int, default=1, help="runs of each import and floor; the fastest is kept")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    args = parser.parse_args()
    import json

    if args.child:
        print(json.dumps(import_child(args.child)))
        return
    if args.floor:
        import os

        print(json.dumps(floor(Path(args.floor), os.environ["DATABASE_URL"])))
        return

    print(f"{'db':<11}{'articles':>9}{'spans':>9}{'seconds':>9}{'art/s':>8}{'spans/s':>9}{'peak MB':>9}"
          f"{'floor s':>9}{'ratio':>7}")
    for kind in databases():
        if args.databases and kind not in args.databases:
            continue
        for size in args.sizes:
            path = corpus(size)
            runs, floors = [], []
            for _ in range(args.runs):
                with fresh_database(kind) as url:
                    runs.append(run_child([str(ROOT / "bench" / "import_bench.py"), "--child", str(path)], url))
                with fresh_database(kind) as url:
                    floors.append(run_child([str(ROOT / "bench" / "import_bench.py"), "--floor", str(path)], url))
            got = min(runs, key=lambda run: run["seconds"])
            bare = min(floors, key=lambda run: run["seconds"])
            print(f"{kind:<11}{got['articles']:>9}{got['spans']:>9}{got['seconds']:>9.1f}"
                  f"{got['articles'] / got['seconds']:>8.0f}{got['spans'] / got['seconds']:>9.0f}"
                  f"{got['peak_mb']:>9.0f}{bare['seconds']:>9.1f}{got['seconds'] / bare['seconds']:>7.2f}",
                  flush=True)
            if args.runs > 1:
                times = ", ".join(f"{run['seconds']:.1f}" for run in runs)
                floor_times = ", ".join(f"{run['seconds']:.1f}" for run in floors)
                print(f"{'':<11}runs: {times} s; floors: {floor_times} s", flush=True)


if __name__ == "__main__":
    main()
