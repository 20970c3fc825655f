"""Load test: N simulated annotators against gunicorn, then a check that nothing acknowledged was lost.

    DATABASE_URL=postgres://…/postgres python bench/load_test.py [--annotators 50] [--seconds 30]
    python bench/load_test.py --sqlite [--annotators 10]

Each simulated annotator takes the next article, opens it, creates spans,
relations and a stance, edits a span, and submits; one in five also fires two
edits of the same layer at once from two connections (exactly one must win,
the other must get 409). One create in four is sent twice with the same
client_id and the same old version, as a page does whose reply was lost: the
retry must answer 200 with the same item. Afterwards the database is checked:
every acknowledged span, relation and stance is there, nothing is there twice
(the layers hold exactly the acknowledged items), no article has more active
assignments than the project allows, no request answered 5xx. Prints
requests/s and p50/p95/p99 per endpoint. Not part of CI (`make loadtest`).
"""
import argparse
import json
import random
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, corpus, fresh_database, gunicorn, run_child
from bench.api_bench import Client


def setup_child(path: str, annotators: int) -> dict:
    import django

    django.setup()
    import orjson
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from annotate.models import Membership, Project
    from annotate.services.importing import import_file
    from annotate.services.projects import create_project

    call_command("migrate", verbosity=0)
    create_project(name="Load", slug="load", annotators_per_article=2,
                   targets=["Moroccan sovereignty over Western Sahara"])
    plain = Path(path).with_suffix(".plain.jsonl")
    with open(path, "rb") as source, open(plain, "wb") as target:
        for line in source:
            record = orjson.loads(line)
            record.pop("annotations", None)
            target.write(orjson.dumps(record) + b"\n")
    with open(plain, "rb") as stream:
        import_file(stream, name=plain.name, project_slug="load")
    project = Project.objects.get(slug="load")
    tokens = []
    for i in range(annotators):
        user = get_user_model().objects.create_user(f"load{i:03d}")
        Membership.objects.create(project=project, user=user, role="annotator")
        tokens.append(Token.objects.create(user=user).key)
    return {"tokens": tokens}


def check_child(acks_path: str) -> dict:
    """Compare what the server acknowledged with what the database holds."""
    import django

    django.setup()
    from django.db.models import Count, Q

    from annotate.models import Article, Relation, Span, Stance

    acks = json.loads(Path(acks_path).read_text())
    missing = {
        "spans": len(set(acks["spans"]) - set(Span.objects.filter(pk__in=acks["spans"]).values_list("pk", flat=True))),
        "relations": len(set(acks["relations"]) - set(
            Relation.objects.filter(pk__in=acks["relations"]).values_list("pk", flat=True))),
        "stances": len(set(acks["stances"]) - set(
            Stance.objects.filter(pk__in=acks["stances"]).values_list("pk", flat=True))),
    }
    overfull = Article.objects.annotate(n=Count("assignments", filter=~Q(assignments__status="skipped"))).filter(
        n__gt=2).count()
    # Items the layers hold beyond those acknowledged: a retried create stored twice would be one.
    extra = {
        name: model.objects.filter(annotation_id__in=acks["layers"]).count() - len(set(acks[name]))
        for name, model in (("spans", Span), ("relations", Relation), ("stances", Stance))
    }
    return {"missing": missing, "duplicated": extra, "overfull_articles": overfull,
            "acknowledged": {k: len(v) for k, v in acks.items() if k != "layers"}}


class Simulation:
    def __init__(self, base: str, tokens: list[str], seconds: float):
        self.base, self.tokens, self.deadline = base, tokens, time.monotonic() + seconds
        self.times = defaultdict(list)
        self.statuses = defaultdict(lambda: defaultdict(int))
        self.acks = {"spans": [], "relations": [], "stances": [], "layers": []}
        self.conflicts = {"pairs": 0, "both_won": 0, "one_won": 0}
        self.retries = {"sent": 0, "same_item": 0, "other": 0}
        self.lock = threading.Lock()

    def call(self, client, name, method, path, body=None, headers=None):
        status, data, took = client.call(method, path, body, headers)
        with self.lock:
            self.times[name].append(took)
            self.statuses[name][status] += 1
        return status, data

    def create(self, client, rng, name, path, body, version):
        """POST a create with a client id; one in four is sent again as a page that lost the reply would."""
        body = {**body, "client_id": str(uuid.uuid4()), "version": version}
        status, item = self.call(client, name, "POST", path, body)
        if status == 201 and rng.random() < 0.25:
            again, repeated = self.call(client, f"{name} (retry)", "POST", path, body)
            with self.lock:
                self.retries["sent"] += 1
                same = again == 200 and repeated["id"] == item["id"]
                self.retries["same_item" if same else "other"] += 1
            if again == 200:
                item = repeated
        return status, item

    def annotator(self, token: str, seed: int):
        rng = random.Random(seed)
        client, second = Client(self.base, token), Client(self.base, token)
        while time.monotonic() < self.deadline:
            status, task = self.call(client, "next article", "POST", "/api/v1/projects/load/next/")
            if status == 204:
                return
            status, layer = self.call(client, "open layer", "POST", f"/api/v1/assignments/{task['id']}/open/")
            _, article = self.call(client, "article detail", "GET", f"/api/v1/articles/{task['article']['id']}/")
            words = [(m_start, m_start + len(w)) for m_start, w in _words(article["text"])]
            layer_id, version = layer["id"], layer["version"]
            with self.lock:
                self.acks["layers"].append(layer_id)
            made = {}
            for label in ("SOURCE", "QUOTE", "CUE", "STANCE_EVIDENCE", "CLAIM"):
                start, end = rng.choice(words)
                status, span = self.create(client, rng, "create span", f"/api/v1/annotations/{layer_id}/spans/",
                                           {"label": label, "start": start, "end": end}, version)
                if status == 201:
                    version = span["annotation_version"]
                    made[label] = span["id"]
                    with self.lock:
                        self.acks["spans"].append(span["id"])
            for kind, a, b in (("ATTRIBUTED_TO", "QUOTE", "SOURCE"), ("CUE_OF", "CUE", "QUOTE")):
                status, rel = self.create(client, rng, "create relation", f"/api/v1/annotations/{layer_id}/relations/",
                                          {"type": kind, "from_span": made[a], "to_span": made[b]}, version)
                if status == 201:
                    version = rel["annotation_version"]
                    with self.lock:
                        self.acks["relations"].append(rel["id"])
            status, stance = self.create(client, rng, "create stance", f"/api/v1/annotations/{layer_id}/stances/",
                                         {"holder_span": made["SOURCE"], "polarity": "favor",
                                          "target": "Moroccan sovereignty over Western Sahara",
                                          "evidence": [made["STANCE_EVIDENCE"]]}, version)
            if status == 201:
                version = stance["annotation_version"]
                with self.lock:
                    self.acks["stances"].append(stance["id"])
            url = f"/api/v1/annotations/{layer_id}/spans/{made['CLAIM']}/"
            if rng.random() < 0.2:
                version = self.race(client, second, url, version)
            else:
                status, body = self.call(client, "edit span", "PATCH", url,
                                         {"attributes": {"check_worthy": True}, "version": version})
                version = body["annotation_version"] if status == 200 else version
            self.call(client, "submit", "POST", f"/api/v1/annotations/{layer_id}/submit/", {"version": version})

    def race(self, first, second, url, version) -> int:
        """Two edits of one layer at once with the same version: exactly one may win."""
        results = []
        barrier = threading.Barrier(2)

        def edit(client, value):
            barrier.wait()
            results.append(self.call(client, "concurrent edit", "PATCH", url,
                                     {"attributes": {"claim_type": value}, "version": version}))

        threads = [threading.Thread(target=edit, args=(c, v)) for c, v in ((first, "factual"), (second, "opinion"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [body for status, body in results if status == 200]
        with self.lock:
            self.conflicts["pairs"] += 1
            if len(winners) == 2:
                self.conflicts["both_won"] += 1
            elif len(winners) == 1:
                self.conflicts["one_won"] += 1
        return winners[0]["annotation_version"] if winners else version + 1

    def run(self, n: int) -> float:
        threads = [threading.Thread(target=self.annotator, args=(token, i)) for i, token in enumerate(self.tokens[:n])]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.monotonic() - start


def _words(text: str):
    import re

    return [(m.start(), m.group()) for m in re.finditer(r"\w{3,}", text)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--sqlite", action="store_true", help="run against SQLite (default N=10)")
    parser.add_argument("--setup", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--check", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        print(json.dumps(setup_child(args.setup[0], int(args.setup[1]))))
        return
    if args.check:
        print(json.dumps(check_child(args.check)))
        return
    kind = "sqlite" if args.sqlite else "postgresql"
    n = args.annotators or (10 if args.sqlite else 50)
    path = corpus(args.articles)
    with fresh_database(kind) as url:
        setup = run_child([str(ROOT / "bench" / "load_test.py"), "--setup", str(path), str(n)], url)
        with gunicorn(url, workers=3) as (base, _pid):
            sim = Simulation(base, setup["tokens"], args.seconds)
            elapsed = sim.run(n)
        acks_path = ROOT / "bench" / "out" / "load-acks.json"
        acks_path.write_text(json.dumps(sim.acks))
        check = run_child([str(ROOT / "bench" / "load_test.py"), "--check", str(acks_path)], url)
    total = sum(len(v) for v in sim.times.values())
    server_errors = sum(count for statuses in sim.statuses.values() for status, count in statuses.items()
                        if status >= 500)
    print(f"{kind}: {n} annotators for {elapsed:.0f} s through gunicorn (3 workers): {total} requests, "
          f"{total / elapsed:.0f} requests/s")
    print(f"{'endpoint':<18}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    for name, samples in sim.times.items():
        ordered = sorted(samples)
        pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000  # noqa: E731 - a percentile of this endpoint's samples
        print(f"{name:<18}{len(samples):>7}{pick(.5):>9.1f}{pick(.95):>9.1f}{pick(.99):>9.1f}  "
              f"{dict(sim.statuses[name])}")
    print(f"acknowledged: {check['acknowledged']}; missing after the run: {check['missing']}; "
          f"duplicated: {check['duplicated']}")
    print(f"retried creates: {sim.retries['sent']}, answered with the same item: {sim.retries['same_item']}, "
          f"otherwise: {sim.retries['other']}")
    print(f"articles over their overlap: {check['overfull_articles']}; 5xx answers: {server_errors}; "
          f"concurrent edit pairs: {sim.conflicts['pairs']}, both won: {sim.conflicts['both_won']}")
    ok = (not any(check["missing"].values()) and not any(check["duplicated"].values())
          and check["overfull_articles"] == 0 and server_errors == 0 and sim.conflicts["both_won"] == 0
          and sim.retries["other"] == 0)
    print("CHECKS PASSED" if ok else "CHECKS FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
