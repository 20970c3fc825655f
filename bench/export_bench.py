"""Export benchmark: 1k and 10k annotated articles in every format over HTTP, against a hand-written floor.

    python bench/export_bench.py [--sizes 1000 10000] [--formats jsonl csv ...]

For each database (SQLite always; PostgreSQL too when DATABASE_URL points at
one: a fresh database is created beside it and dropped) and each size, a
child process imports the corpus with import_file, then for each format a
real gunicorn (one sync worker, DEBUG=1, a free port on 127.0.0.1, started
fresh and warmed up with a HEAD) serves the export and this process
downloads it, counting bytes. Printed: seconds, MB/s,
records/s, and the worker's memory: its resident size before the request and
its peak during it (VmHWM, reset before each request through
/proc/<pid>/clear_refs; sampled when that is not allowed).

The floor, in the same run: the same layers, spans, relations, stances and
evidence read with the bare driver (psycopg server-side cursors, or
sqlite3), merged by layer and written as the same JSON lines with orjson to
a file: what the machine can do with no framework. `ratio` is export
seconds over floor seconds. The JSONL path is then profiled once in-process
(cProfile) on the largest corpus of the last database, and the top entries
printed.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import OUT, ROOT, Timer, corpus, databases, fresh_database, peak_rss_mb, run_child

FORMATS = ["jsonl", "json", "csv", "conll", "brat",
           # the formats for training (docs/export.md); Parquet is held to JSONL's speed
           "parquet", "attributions", "stance_tsv", "checkworthy_tsv", "csv_tables"]
SLUG = "bench"
SELF = str(ROOT / "bench" / "export_bench.py")


# Child processes ---------------------------------------------------------------------------------------------------

def setup_child(path: str) -> dict:
    """Migrate, import the corpus, and create an ML engineer with an API token."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from annotate.models import Membership, Project
    from annotate.services.importing import import_file

    call_command("migrate", verbosity=0)
    User = get_user_model()
    with Timer() as timer, open(path, "rb") as stream:
        report = import_file(stream, name=Path(path).name, project_slug=SLUG,
                             annotator=User.objects.create_user("bench"), create_project_if_missing=True)
    if connection.vendor == "postgresql":
        # Fresh tables have no statistics until autovacuum's next round (up to a minute after a bulk
        # import); the planner then guesses and picks parallel sequential scans for every batch.
        # A deployment exports long after that round, so measure with statistics in place.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    engineer = User.objects.create_user("engineer")
    Membership.objects.create(project=Project.objects.get(slug=SLUG), user=engineer, role=Membership.Role.ENGINEER)
    return {"token": Token.objects.create(user=engineer).key, "import_seconds": timer.seconds,
            "layers": report.layers_created, "spans": report.spans, "relations": report.relations,
            "stances": report.stances}


def profile_child() -> dict:
    """Run the JSONL export in-process under cProfile; return the top entries by own time."""
    import cProfile
    import io
    import pstats

    import django

    django.setup()
    from annotate.export import FORMATS as WRITERS
    from annotate.export import ExportFilters, in_chunks, iter_records
    from annotate.models import Project

    project = Project.objects.get(slug=SLUG)
    profiler = cProfile.Profile()
    size = 0
    with Timer() as timer:
        profiler.enable()
        for chunk in in_chunks(WRITERS["jsonl"].write(iter_records(project, ExportFilters()))):
            size += len(chunk)
        profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return {"seconds": timer.seconds, "bytes": size, "top": lines[start:start + 13]}


# The floor ---------------------------------------------------------------------------------------------------------

FLOOR_SQL = {
    "layers": """
        SELECT a.id, u.username, a.status, a.updated_at, ar.external_id, ar.title, ar.outlet, ar.url, ar.published,
               ar.language, ar.caption, CAST(ar.metadata AS text), ar.text
        FROM annotate_annotation a JOIN annotate_article ar ON ar.id = a.article_id
             LEFT JOIN auth_user u ON u.id = a.annotator_id
        WHERE ar.project_id = {project} AND NOT a.is_gold AND a.status = 'submitted' ORDER BY a.id""",
    "spans": """
        SELECT s.annotation_id, s.id, s.start, s."end", l.name, s.text, e.name, CAST(s.attributes AS text)
        FROM annotate_span s JOIN annotate_label l ON l.id = s.label_id
             LEFT JOIN annotate_entity e ON e.id = s.entity_id
        WHERE l.project_id = {project} ORDER BY s.annotation_id, s.start, s."end", s.id""",
    "relations": """
        SELECT r.annotation_id, r.from_span_id, r.to_span_id, t.name
        FROM annotate_relation r JOIN annotate_relationtype t ON t.id = r.type_id
        WHERE t.project_id = {project} ORDER BY r.annotation_id, r.id""",
    "stances": """
        SELECT st.annotation_id, st.id, st.holder_span_id, e.name, t.name, p.name, st.explicit
        FROM annotate_stance st JOIN annotate_stancetarget t ON t.id = st.target_id
             JOIN annotate_polarity p ON p.id = st.polarity_id LEFT JOIN annotate_entity e ON e.id = st.holder_entity_id
        WHERE t.project_id = {project} ORDER BY st.annotation_id, st.id""",
    "evidence": """
        SELECT st.annotation_id, ev.stance_id, ev.span_id
        FROM annotate_stance_evidence ev JOIN annotate_stance st ON st.id = ev.stance_id
             JOIN annotate_stancetarget t ON t.id = st.target_id
        WHERE t.project_id = {project} ORDER BY st.annotation_id""",
}


class _ByLayer:
    """Rows ordered by layer id (first column), handed out one layer at a time: a merge join."""

    def __init__(self, rows):
        self.rows = iter(rows)
        self.head = next(self.rows, None)

    def take(self, layer_id: int) -> list[tuple]:
        taken = []
        while self.head is not None and self.head[0] == layer_id:
            taken.append(self.head)
            self.head = next(self.rows, None)
        return taken


def floor_child(out: str) -> dict:
    """The same JSON lines with the bare driver and orjson: one streaming read per table, merged by layer."""
    import datetime as dt

    import orjson

    url = os.environ["DATABASE_URL"]
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))

        def rows(sql):
            return conn.execute(sql)
    else:
        import psycopg

        conn = psycopg.connect(url)

        def rows(sql):
            cursor = conn.cursor(name=f"floor_{abs(hash(sql))}")  # server-side: streamed, not loaded
            cursor.itersize = 20000
            cursor.execute(sql)
            return cursor

    with Timer() as timer, open(out, "wb") as file:
        (project,) = next(iter(rows(f"SELECT id FROM annotate_project WHERE slug = '{SLUG}'")))
        streams = {name: _ByLayer(rows(sql.format(project=project))) for name, sql in FLOOR_SQL.items()
                   if name != "layers"}
        count = 0
        for (pk, annotator, status, updated, external_id, title, outlet, url_, published, language, caption,
             metadata, text) in rows(FLOOR_SQL["layers"].format(project=project)):
            local, spans = {}, []
            for _, span_id, start, end, label, span_text, entity, attributes in streams["spans"].take(pk):
                local[span_id] = f"s{len(spans) + 1}"
                spans.append({"id": local[span_id], "start": start, "end": end, "label": label, "text": span_text,
                              "entity": entity, "attributes": orjson.loads(attributes)})
            evidence = {}
            for _, stance_id, span_id in streams["evidence"].take(pk):
                evidence.setdefault(stance_id, []).append(local[span_id])
            if isinstance(updated, str):  # sqlite3 returns text
                updated = dt.datetime.fromisoformat(updated).replace(tzinfo=dt.UTC)
            file.write(orjson.dumps({
                "external_id": external_id, "title": title, "source": outlet, "url": url_,
                "published": str(published) if published else None, "language": language, "caption": caption,
                "metadata": orjson.loads(metadata), "text": text,
                "annotations": {
                    "spans": spans,
                    "relations": [{"from": local[f], "to": local[t], "type": kind}
                                  for _, f, t, kind in streams["relations"].take(pk)],
                    "stances": [{"holder": local.get(holder), "holder_entity": entity, "target": target,
                                 "polarity": polarity, "explicit": bool(explicit),
                                 "evidence": sorted(evidence.get(stance_id, []), key=lambda s: int(s[1:]))}
                                for _, stance_id, holder, entity, target, polarity, explicit
                                in streams["stances"].take(pk)],
                },
                "annotator": annotator, "status": status, "annotation_id": pk,
                "updated_at": updated.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "schema_version": 1,
            }, option=orjson.OPT_APPEND_NEWLINE))
            count += 1
    conn.close()
    return {"seconds": timer.seconds, "bytes": Path(out).stat().st_size, "records": count, "peak_mb": peak_rss_mb()}


# The server and the client -----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class Server:
    """gunicorn with one sync worker on a free port; the worker's pid is where memory is read."""

    def __init__(self, database_url: str):
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=database_url, DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--worker-class", "sync", "--timeout", "900", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )
        self.worker = None

    def url(self, fmt: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/projects/{SLUG}/export/{fmt}"

    def wait(self, token: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                request = urllib.request.Request(self.url("jsonl"), method="HEAD",
                                                 headers={"Authorization": f"Token {token}"})
                with urllib.request.urlopen(request) as response:
                    assert response.status == 200
                break
            except (OSError, urllib.error.URLError) as error:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit("gunicorn did not come up") from error
                time.sleep(0.2)
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        self.worker = int(children[0])

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Peak:
    """The worker's peak resident memory during one request.

    Preferably the kernel's own high-water mark, reset first by writing 5 to
    clear_refs; where that is refused, a thread samples VmRSS every 10 ms.
    """

    def __init__(self, pid: int):
        self.pid = pid
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            self.sampler = None
        except OSError:
            self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.before_mb = status_kb(pid, "VmRSS") / 1024
        self.sampled = self.before_mb
        self.running = True
        if self.sampler:
            self.sampler.start()

    def _sample(self):
        while self.running:
            self.sampled = max(self.sampled, status_kb(self.pid, "VmRSS") / 1024)
            time.sleep(0.01)

    def stop(self) -> float:
        self.running = False
        if self.sampler:
            self.sampler.join()
            return self.sampled
        return status_kb(self.pid, "VmHWM") / 1024


def download(server: Server, fmt: str, token: str) -> dict:
    peak = Peak(server.worker)
    request = urllib.request.Request(server.url(fmt), headers={"Authorization": f"Token {token}"})
    size = 0
    with Timer() as timer, urllib.request.urlopen(request) as response:
        count = int(response.headers["X-Export-Count"])
        while block := response.read(1 << 20):
            size += len(block)
    return {"seconds": timer.seconds, "bytes": size, "records": count, "before_mb": peak.before_mb,
            "peak_mb": peak.stop()}


# The run -----------------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--formats", nargs="+", default=FORMATS, choices=FORMATS)
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"],
                        help="default: sqlite, and postgresql when DATABASE_URL points at one")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.setup:
        print(json.dumps(setup_child(args.setup)))
        return
    if args.floor:
        print(json.dumps(floor_child(args.floor)))
        return
    if args.profile:
        print(json.dumps(profile_child()))
        return

    kinds = args.databases or databases()
    runs = [(kind, size) for kind in kinds for size in args.sizes]
    profiled = None
    print(f"{'db':<11}{'articles':>9}{'spans':>9}{'format':>16}{'seconds':>9}{'MB':>8}{'MB/s':>7}{'rec/s':>8}"
          f"{'RSS MB':>8}{'peak MB':>9}{'growth':>8}{'floor s':>9}{'ratio':>7}", flush=True)
    for kind, size in runs:
        with fresh_database(kind) as url:
            setup = run_child([SELF, "--setup", str(corpus(size))], url)
            floor_file = OUT / f"floor-{kind}-{size}.jsonl"
            floor = run_child([SELF, "--floor", str(floor_file)], url)
            floor_file.unlink(missing_ok=True)
            for fmt in args.formats:
                # A fresh worker per format: memory freed by one export stays in the process, so a
                # second export in the same worker would show no growth whatever it needs.
                server = Server(url)
                try:
                    server.wait(setup["token"])
                    got = download(server, fmt, setup["token"])
                finally:
                    server.stop()
                assert got["records"] == setup["layers"], (got, setup)
                mb = got["bytes"] / 1e6
                print(f"{kind:<11}{size:>9}{setup['spans']:>9}{fmt:>16}{got['seconds']:>9.2f}{mb:>8.1f}"
                      f"{mb / got['seconds']:>7.1f}{got['records'] / got['seconds']:>8.0f}"
                      f"{got['before_mb']:>8.0f}{got['peak_mb']:>9.0f}{got['peak_mb'] - got['before_mb']:>8.0f}"
                      f"{floor['seconds']:>9.2f}{got['seconds'] / floor['seconds']:>7.2f}", flush=True)
            if not args.no_profile and (kind, size) == runs[-1]:
                profiled = (kind, size, run_child([SELF, "--profile"], url))
    print("\nfloor: the same JSON lines by the bare driver + orjson to a file (bytes equal to the JSONL export's "
          "when the data match); ratio = export seconds / floor seconds; growth = peak - RSS before the request")
    if profiled:
        kind, size, profile = profiled
        print(f"\nJSONL export in-process under cProfile ({kind}, {size} articles): {profile['seconds']:.2f} s "
              f"with profiling overhead, {profile['bytes'] / 1e6:.1f} MB; top entries by own time:")
        print("\n".join(profile["top"]))


if __name__ == "__main__":
    main()
