"""Training and prediction time of the trainable recommenders, tagger and string_match, without a database.

    python bench/tagger_bench.py [--articles 1000] [--chars 4000] [--entities 5000] [--predict 1000]

Trains both on the deterministic synthetic corpus (`../shared/bench/make_corpus.py`), its articles
topped up with the next one's beginning to about `--chars` characters (4,000; the corpus's own have
2,700 characters and 67 spans), then predicts `--predict` more such articles one at a time and prints
the median and 95th-percentile milliseconds an article, and the mean in batches of 100. The project is
given `--entities` generated sources (a name and two aliases each) so that string_match matches against
thousands of strings, as a project with a source registry would. Recall and precision against the
held-out articles' own spans (exact offsets, per label) are printed too, as a sanity check only.
"""
import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.suggestions.base import Document, Example, KnownEntity, ProjectView
from annotate.suggestions.recommenders.string_match import StringMatchRecommender
from annotate.suggestions.recommenders.tagger import TaggerRecommender
from bench._common import corpus, peak_rss_mb

LABELS = frozenset({"CLAIM", "SOURCE", "QUOTE", "CUE", "STANCE_EVIDENCE"})


def examples(path: Path, count: int, min_chars: int, skip: int = 0) -> tuple[list[Example], int]:
    """`count` examples of about `min_chars` characters: a corpus article, topped up while shorter with
    the next one's beginning, cut after the first sentence that reaches the length (the spans that end
    before the cut kept, offsets shifted). Also how many corpus lines were used from `skip`."""
    out, text, spans, used = [], "", [], 0
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if n < skip:
                continue
            if len(out) == count:
                break
            used += 1
            record = json.loads(line)
            shift = len(text) + 2 if text else 0
            more, cut = record["text"], len(record["text"])
            if shift and shift + cut > min_chars:
                found = more.find(". ", min_chars - shift)
                cut = found + 1 if found >= 0 else cut
            text = f"{text}\n\n{more[:cut]}" if text else more[:cut]
            spans += [(s["label"], s["start"] + shift, s["end"] + shift, None)
                      for s in record["annotations"]["spans"] if s["end"] <= cut]
            if len(text) >= min_chars:
                out.append(Example(Document(n, text, "en"), tuple(spans)))
                text, spans = "", []
    if len(out) < count:
        raise SystemExit(f"{path} is too short for {count} articles of {min_chars} characters")
    return out, used


def entities(count: int) -> tuple[KnownEntity, ...]:
    rng = random.Random(0)
    syllables = ["ka", "ri", "mo", "ta", "ben", "sa", "li", "dou", "nar", "el", "fi", "zou", "ha", "mi"]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()

    return tuple(KnownEntity(i, f"{word()} {word()}", (f"{word()} {word()} {word()}", word() + " Agency"))
                 for i in range(1, count + 1))


def timed_predict(recommender, documents: list[Document]) -> list[float]:
    times = []
    for document in documents:
        began = time.perf_counter()
        recommender.predict([document])
        times.append((time.perf_counter() - began) * 1000)
    return times


def quality(recommender, held_out: list[Example]) -> str:
    guesses = [answer for at in range(0, len(held_out), 100)  # in batches, as a run does: flat memory
               for answer in recommender.predict([e.document for e in held_out[at:at + 100]])]
    hits, proposed, gold = Counter(), Counter(), Counter()
    for example, answer in zip(held_out, guesses):
        truth = {(label, start, end) for label, start, end, _ in example.spans}
        found = {(g.label, g.start, g.end) for g in answer.spans}
        for label, *_ in truth:
            gold[label] += 1
        for label, *_ in found:
            proposed[label] += 1
        for label, *_ in truth & found:
            hits[label] += 1
    return "  ".join(f"{label} R {hits[label] / gold[label]:.2f} P {hits[label] / max(proposed[label], 1):.2f}"
                     for label in sorted(gold))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--entities", type=int, default=5000)
    parser.add_argument("--predict", type=int, default=1000)
    parser.add_argument("--chars", type=int, default=4000, help="characters an article, about")
    args = parser.parse_args(argv)

    # The corpus's articles are about 2,700 characters: at 4,000, two are used an article.
    per = max(1, -(-args.chars // 2000))
    path = corpus((args.articles + args.predict) * per * 11 // 10)
    train, used = examples(path, args.articles, args.chars)
    held_out, _ = examples(path, args.predict, args.chars, skip=used)
    documents = [e.document for e in held_out]
    chars = statistics.mean(len(d.text) for d in documents)
    spans = statistics.mean(len(e.spans) for e in train)
    project = ProjectView(slug="bench", labels=LABELS, relation_types={}, entities=entities(args.entities))
    print(f"{len(train)} training articles ({spans:.0f} spans, {chars:.0f} characters an article), "
          f"{len(documents)} predicted, {args.entities} sources")
    # CPU seconds (both cores' for the tagger's two threads) beside the wall's: on a shared machine the
    # wall time of one run moves with the others' load, the CPU time much less.
    print(f"{'recommender':<14}{'train s':>9}{'CPU s':>7}{'state KB':>10}{'load s':>8}{'median ms':>11}{'p95 ms':>8}"
          f"{'ms in 100s':>12}{'CPU ms':>8}")
    for cls in (StringMatchRecommender, TaggerRecommender):
        recommender = cls(project)
        began, cpu = time.perf_counter(), time.process_time()
        summary = recommender.train(train)
        trained, cpu = time.perf_counter() - began, time.process_time() - cpu
        state = recommender.dump()
        again = cls(project)
        began = time.perf_counter()
        again.load(state)
        loaded = time.perf_counter() - began
        times = timed_predict(again, documents)
        p95 = statistics.quantiles(times, n=20)[-1]
        began, cpu_began = time.perf_counter(), time.process_time()
        for at in range(0, len(documents), 100):  # as a run asks: a batch of articles a call
            again.predict(documents[at:at + 100])
        batched = (time.perf_counter() - began) * 1000 / len(documents)
        batched_cpu = (time.process_time() - cpu_began) * 1000 / len(documents)
        print(f"{cls.kind:<14}{trained:>9.1f}{cpu:>7.1f}{len(state) / 1024:>10.0f}{loaded:>8.2f}"
              f"{statistics.median(times):>11.2f}{p95:>8.2f}{batched:>12.2f}{batched_cpu:>8.2f}")
        print(f"{'':<14}{summary}")
        print(f"{'':<14}{quality(again, held_out)}")
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
