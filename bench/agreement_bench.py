"""Agreement over a large corpus: 10k articles, 3 annotators each, computed in seconds.

    python bench/agreement_bench.py [--articles 10000]

Three annotators' layers are made from the generated corpus by perturbing it differently for each
(dropping some spans, moving some boundaries, flipping some polarities), imported into a fresh
database, and the full agreement report (pairwise span and relation F1 exact and overlap,
character-unit alpha per label, stance kappa and alpha) is timed. SQLite always, PostgreSQL too when
DATABASE_URL is set.
"""
import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import OUT, ROOT, corpus, databases, fresh_database, run_child

PROFILE = False


def perturbed(path: Path, who: str, seed: int) -> Path:
    """The corpus as annotator `who` would have done it: a few spans missed, bounds moved, polarities flipped."""
    import orjson

    rng = random.Random(seed)
    target = OUT / f"{path.stem}-{who}.jsonl"
    if target.exists():
        return target
    with path.open("rb") as source, target.open("wb") as out:
        for line in source:
            record = orjson.loads(line)
            layer = record["annotations"]
            kept = []
            for span in layer["spans"]:
                if span["label"] == "SOURCE":
                    span["entity"] = span["text"]  # stance items are keyed by the holder's canonical source
                if rng.random() < 0.05:
                    continue
                if rng.random() < 0.05 and span["end"] - span["start"] > 3:
                    span["end"] -= 1
                    span["text"] = record["text"][span["start"]:span["end"]]
                kept.append(span)
            ids = {s["id"] for s in kept}
            layer["spans"] = kept
            layer["relations"] = [r for r in layer["relations"] if r["from"] in ids and r["to"] in ids]
            stances = []
            for stance in layer["stances"]:
                evidence = stance["evidence"] if isinstance(stance["evidence"], list) else [stance["evidence"]]
                if stance["holder"] not in ids or not set(evidence) <= ids:
                    continue
                if rng.random() < 0.1:
                    stance["polarity"] = rng.choice(["favor", "against", "neutral"])
                stances.append(stance)
            layer["stances"] = stances
            out.write(orjson.dumps(record) + b"\n")
    return target


def child(paths: list[str]) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotate.agreement.report import agreement_report
    from annotate.models import Project
    from annotate.services.importing import import_file

    call_command("migrate", verbosity=0)
    for n, path in enumerate(paths):
        user = get_user_model().objects.create_user(f"annotator{n + 1}")
        with open(path, "rb") as stream:
            import_file(stream, name=Path(path).name, project_slug="agreement", annotator=user,
                        create_project_if_missing=True)
    project = Project.objects.get(slug="agreement")
    began = time.perf_counter()
    if PROFILE:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        report = profiler.runcall(agreement_report, project)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumtime").print_stats(25)
    else:
        report = agreement_report(project)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "articles": report["articles"], "pairs": len(report["pairs"]),
            "micro_exact_f1": report["spans"]["micro"]["exact"]["f1"],
            "micro_overlap_f1": report["spans"]["micro"]["overlap"]["f1"],
            "stance_alpha": report["stances"]["krippendorff_alpha"], "stance_items": report["stances"]["items"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    base = corpus(args.articles)
    paths = [str(perturbed(base, who, seed)) for seed, who in enumerate(("a", "b", "c"))]
    for kind in databases():
        with fresh_database(kind) as url:
            got = run_child([str(ROOT / "bench" / "agreement_bench.py"), "--child", *paths], url)
        print(f"{kind}: agreement over {got['articles']} articles × 3 annotators ({got['pairs']} pairs, "
              f"{got['stance_items']} stance items) in {got['seconds']:.1f} s; micro span F1 exact "
              f"{got['micro_exact_f1']:.3f}, overlap {got['micro_overlap_f1']:.3f}; stance alpha {got['stance_alpha']}")


if __name__ == "__main__":
    main()
