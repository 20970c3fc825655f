"""What the append-only history costs on the save path: add_span with and without recording.

    python bench/history_bench.py [--spans 400]

In-process, on a fresh database (SQLite, and PostgreSQL when DATABASE_URL is
set): the median time of annotating.add_span over many calls, once as shipped
(one more INSERT per write, into annotate_annotationevent) and once with
recording replaced by a no-op. Prints both and the ratio.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, databases, fresh_database, run_child


def child(spans: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from annotate.services import annotating
    from annotate.services.projects import create_project
    from synthetic.builders import make_article, make_assignment, make_user

    call_command("migrate", verbosity=0)
    project = create_project(name="History", slug="history")
    text = " ".join(f"word{i}" for i in range(spans + 10))
    results = {}
    for mode in ("with history", "without history", "with history again"):
        user = make_user()
        layer = annotating.open_layer(assignment=make_assignment(make_article(project, text=text), user))
        original = annotating.record
        if mode == "without history":
            annotating.record = lambda *args, **kwargs: None
        times, position = [], 0
        for i in range(spans):
            start = text.index(f"word{i} ", position)
            position = start + len(f"word{i}")
            began = time.perf_counter()
            annotating.add_span(annotation=layer, expected_version=layer.version, label="CLAIM", start=start,
                                end=position)
            times.append(time.perf_counter() - began)
        annotating.record = original
        results[mode] = statistics.median(times[20:]) * 1000
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=400)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    print(f"{'db':<11}{'with ms':>9}{'without ms':>12}{'ratio':>7}   (median add_span, {args.spans} calls each)")
    for kind in databases():
        with fresh_database(kind) as url:
            got = run_child([str(ROOT / "bench" / "history_bench.py"), "--child", str(args.spans)], url)
        with_history = (got["with history"] + got["with history again"]) / 2
        print(f"{kind:<11}{with_history:>9.2f}{got['without history']:>12.2f}"
              f"{with_history / got['without history']:>7.2f}")


if __name__ == "__main__":
    main()
