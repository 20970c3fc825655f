"""Re-anchoring a corrected text: the diff and the placement of every span, on a long article.

    python bench/reanchor_bench.py [--chars 100000] [--spans 3000] [--runs 5]

In-process, no database: services/reanchoring's engine (diffing.OffsetMap, mapping.place) on a made-up
article (synthetic/corrections.py: paragraphs, Arabic words and emoji) with spans over its words, for
corrections of several kinds. Prints the median time of the diff and of placing the spans, and what
became of the spans (the import's per-article line). The target: well under a second per article.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def corrections(text: str) -> dict[str, str]:
    from synthetic.corrections import corrected

    middle = len(text) // 2
    return {
        "one typo fixed": text[:middle] + "x" + text[middle + 1:],
        "a sentence inserted at the top": "Updated with a correction on Tuesday. " + text,
        "30 corrections spread over it": corrected(text, edits=30),
        "300 corrections spread over it": corrected(text, edits=300),
        "whitespace re-cleaned everywhere": text.replace(" ", "  "),
        "a paragraph deleted": text.replace(text[text.index("\n\n", 1000):text.index("\n\n", 3000)], "", 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=100_000)
    parser.add_argument("--spans", type=int, default=3_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")  # as the other benchmarks' children run (bench/_common.py)
    django.setup()  # the engine needs no database, but its package sits among the services, beside the models
    from annotate.services.reanchoring.diffing import OffsetMap
    from annotate.services.reanchoring.mapping import place, tally
    from synthetic.corrections import long_article

    old, spans = long_article(args.chars, args.spans)
    print(f"re-anchoring: an article of {len(old)} code points with {len(spans)} spans, median of {args.runs} runs")
    print(f"{'correction':<36} {'diff':>9} {'place':>9}  outcome")
    for name, new in corrections(old).items():
        diff_times, place_times = [], []
        for _ in range(args.runs):
            began = time.perf_counter()
            offsets = OffsetMap(old, new)
            diffed = time.perf_counter()
            placed = place(old, new, spans, offsets=offsets)
            diff_times.append(diffed - began)
            place_times.append(time.perf_counter() - diffed)
        counts = tally(placed)
        diffing, placing = statistics.median(diff_times) * 1000, statistics.median(place_times) * 1000
        print(f"{name:<36} {diffing:>7.1f}ms {placing:>7.1f}ms  moved {counts['moved']}, "
              f"flagged {counts['flagged']}, unchanged {counts['unchanged']}")


if __name__ == "__main__":
    main()
