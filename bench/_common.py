"""Shared plumbing for the benchmarks: corpora, throwaway databases, child processes."""
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MAKE_CORPUS = ROOT.parent / "shared" / "bench" / "make_corpus.py"


def corpus(articles: int) -> Path:
    """The deterministic synthetic corpus of `articles` annotated articles (cached in bench/out/)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"corpus-{articles}.jsonl"
    if not path.exists():
        if MAKE_CORPUS.exists():
            subprocess.run([sys.executable, str(MAKE_CORPUS), "--articles", str(articles), "--out", str(path)],
                           check=True)
        else:  # a clone without ../shared: the test suite's own generator, same shape
            sys.path.insert(0, str(ROOT))
            from synthetic.corpus import annotated_records, to_jsonl

            path.write_bytes(to_jsonl(annotated_records(articles)))
    return path


@contextmanager
def fresh_database(kind: str):
    """Yield a DATABASE_URL for an empty database of `kind` ("sqlite" or "postgresql"), dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    if kind == "sqlite":
        path = OUT / f"{name}.sqlite3"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    base = os.environ["DATABASE_URL"]
    admin = urlunparse(urlparse(base)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunparse(urlparse(base)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def databases() -> list[str]:
    kinds = ["sqlite"]
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        kinds.append("postgresql")
    return kinds


def run_child(args: list[str], database_url: str) -> dict:
    """Run `python <args>` with the database set; it prints one JSON line, which is returned."""
    env = dict(os.environ, DATABASE_URL=database_url, DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"child failed: {args}\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def load_corpus(path: Path, slug: str = "scale"):
    """In a child with Django set up: migrate, import the corpus file as the submitted layers of a user
    "loader" into a new project `slug`, and link every SOURCE span to one canonical source named by its
    text (the synthetic corpus names none: without this the registry and the stance map's holders would be
    empty aggregates). Returns (project, loader)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotate.models import Project
    from annotate.services.importing import import_file

    call_command("migrate", verbosity=0)
    loader = get_user_model().objects.create_user("loader")
    with open(path, "rb") as stream:
        import_file(stream, name=Path(path).name, project_slug=slug, annotator=loader,
                    create_project_if_missing=True)
    project = Project.objects.get(slug=slug)
    link_sources(project)
    return project, loader


def link_sources(project) -> None:
    """Every SOURCE span of the project linked to the canonical source named by its text (made if missing)."""
    from django.db import connection

    from annotate.models import Entity

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT s.text FROM annotate_span s JOIN annotate_label l ON l.id = s.label_id "
            "WHERE l.project_id = %s AND l.name = 'SOURCE'", [project.pk])
        names = [row[0] for row in cursor.fetchall()]
    Entity.objects.bulk_create((Entity(project=project, name=name) for name in names), ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE annotate_span SET entity_id = (SELECT e.id FROM annotate_entity e "
            "WHERE e.project_id = %s AND e.name = annotate_span.text) "
            "WHERE label_id = (SELECT id FROM annotate_label WHERE project_id = %s AND name = 'SOURCE')",
            [project.pk, project.pk])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, *, workers: int = 2):
    """Serve the project with gunicorn on a free loopback port; yields (base url, server pid)."""
    import urllib.request

    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, DEBUG="0", SECRET_KEY="bench-only-not-secret",
               ALLOWED_HOSTS="127.0.0.1", DJANGO_SETTINGS_MODULE="config.settings",
               SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0",
               TOKEN_AUTH_REQUIRE_HTTPS="0", COMPRESS_STATIC="0")  # plain HTTP on loopback only
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/schema/", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=10)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000  # noqa: E731 - a percentile of the samples
    return pick(0.50), pick(0.95)


def two_sizes_parser(doc: str, *, sizes: list[int], runs: int):
    """The command line of a two-size benchmark: --sizes, --runs, --only, and the hidden --child FILE RUNS."""
    import argparse

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs=2, default=sizes)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database instead of each available")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    return parser


def measure_sizes(script: str, kind: str, sizes, runs: int, *, each=None) -> dict[int, dict]:
    """Each size's figures: `script --child CORPUS RUNS` in a child process, on a fresh database of `kind`;
    `each(size, figures)` is called as each size is done."""
    measured = {}
    for size in sizes:
        with fresh_database(kind) as url:
            measured[size] = run_child([script, "--child", str(corpus(size)), str(runs)], url)
        if each is not None:
            each(size, measured[size])
    return measured
