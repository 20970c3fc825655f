"""Recommender quality on a hand-annotated set: precision, recall and F1 per label, as Markdown.

    python bench/quality_bench.py [--eval tests/data/quotes_eval.jsonl] [--kinds attribution string_match tagger]

No database: each recommender gets a ProjectView with the default labels (annotate/vocabulary.py)
and the set's articles as Documents. Rule-based recommenders predict every article; trainable ones
(`trainable = True`) are scored by 2-fold cross-validation (train on one half, predict the other,
swap), so no article is predicted by a model that saw it. A kind that is not registered, or cannot
answer yet, is skipped with the reason.

A predicted span matches a gold span of the same label and article with the same offsets (exact), or
sharing at least a character, one-to-one, largest overlap first (overlap; annotate/agreement/matching.py).
Relations match when their type and both ends match exactly. Direct-quote recall: the share of gold
QUOTE spans marked `"quote_type": "direct"` that a predicted QUOTE matches.

Records whose metadata says `"written": "after the rules"` were annotated after the attribution rules
were written and never used to tune them: they get a table of their own.

Timing: the set's texts concatenated into ten articles of about 4,000 characters, each predicted 20 times
by `attribution`; the median per article (a figure to compare runs, not a pass/fail).
"""
import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.agreement.matching import match_exact, match_overlap
from annotate.suggestions.base import BaseRecommender, Document, Example, ProjectView, RecommenderError
from annotate.suggestions.registry import recommender_class
from annotate.vocabulary import DEFAULT_LABELS, DEFAULT_RELATIONS
from bench._common import ROOT

EVAL = ROOT / "tests" / "data" / "quotes_eval.jsonl"
KINDS = ("attribution", "string_match", "tagger")
HELD_OUT = "after the rules"

Factory = Callable[[ProjectView], BaseRecommender]


def default_view() -> ProjectView:
    return ProjectView(
        slug="quality-bench",
        labels=frozenset(label.name for label in DEFAULT_LABELS),
        relation_types={r.name: (r.from_label, r.to_label) for r in DEFAULT_RELATIONS},
    )


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def document(number: int, record: dict) -> Document:
    return Document(id=number, text=record["text"], language=record.get("language", ""))


def example(number: int, record: dict) -> Example:
    spans = record["annotations"]["spans"]
    index = {span["id"]: k for k, span in enumerate(spans)}
    return Example(
        document=document(number, record),
        spans=tuple((s["label"], s["start"], s["end"], None) for s in spans),
        relations=tuple((r["type"], index[r["from"]], index[r["to"]]) for r in record["annotations"]["relations"]),
    )


def predict(factory: Factory, view: ProjectView, records: list[dict]) -> list:
    """One Guesses per record; trainable recommenders by 2-fold cross-validation."""
    recommender = factory(view)
    if not recommender.trainable:
        return recommender.predict([document(k, r) for k, r in enumerate(records)])
    guesses = [None] * len(records)
    folds = (list(range(0, len(records), 2)), list(range(1, len(records), 2)))
    for train, test in (folds, folds[::-1]):
        recommender = factory(view)
        recommender.train([example(k, records[k]) for k in train])
        for k, answer in zip(test, recommender.predict([document(k, records[k]) for k in test])):
            guesses[k] = answer
    return guesses


def tally(records: list[dict], guesses: list) -> dict:
    """Per label (and per relation type): [exact matches, overlap matches, predicted, gold]; direct quotes."""
    counts: dict[str, list[int]] = {}
    direct = [0, 0, 0]  # matched exactly, matched by overlap, gold direct quotes
    for record, answer in zip(records, guesses):
        gold_spans = record["annotations"]["spans"]
        gold_index = {s["id"]: k for k, s in enumerate(gold_spans)}
        exact_pairs = {}  # predicted span index -> gold span index
        for label in {s["label"] for s in gold_spans} | {s.label for s in answer.spans}:
            gold = [k for k, s in enumerate(gold_spans) if s["label"] == label]
            pred = [k for k, s in enumerate(answer.spans) if s.label == label]
            gold_ranges = [(gold_spans[k]["start"], gold_spans[k]["end"]) for k in gold]
            pred_ranges = [(answer.spans[k].start, answer.spans[k].end) for k in pred]
            exact = match_exact(pred_ranges, gold_ranges)
            overlap = match_overlap(pred_ranges, gold_ranges)
            row = counts.setdefault(label, [0, 0, 0, 0])
            row[0] += len(exact)
            row[1] += len(overlap)
            row[2] += len(pred)
            row[3] += len(gold)
            exact_pairs.update({pred[i]: gold[j] for i, j in exact.items()})
            if label == "QUOTE":
                for matched, column in ((exact, 0), (overlap, 1)):
                    hit = {gold[j] for j in matched.values()}
                    direct[column] += sum(
                        1 for k in hit if gold_spans[k].get("attributes", {}).get("quote_type") == "direct")
                direct[2] += sum(1 for k in gold if gold_spans[k].get("attributes", {}).get("quote_type") == "direct")
        gold_relations = {(r["type"], gold_index[r["from"]], gold_index[r["to"]])
                          for r in record["annotations"]["relations"]}
        pred_relations = {(r.type, exact_pairs.get(r.source), exact_pairs.get(r.target)) for r in answer.relations}
        for kind in {r[0] for r in gold_relations | pred_relations}:
            gold = {r for r in gold_relations if r[0] == kind}
            pred = [r for r in answer.relations if r.type == kind]
            hits = len({r for r in pred_relations if r[0] == kind} & gold)
            row = counts.setdefault(f"{kind} (relation)", [0, 0, 0, 0])
            row[0] += hits
            row[1] += hits
            row[2] += len(pred)
            row[3] += len(gold)
    return {"labels": counts, "direct": direct}


def prf(hits: int, predicted: int, gold: int) -> str:
    p = hits / predicted if predicted else None
    r = hits / gold if gold else None
    f = 2 * p * r / (p + r) if p is not None and r is not None and p + r else None
    return " | ".join("–" if x is None else f"{x:.2f}" for x in (p, r, f))


def table(results: dict[str, dict]) -> str:
    lines = [
        "| recommender | label | predicted | gold | P exact | R exact | F1 exact"
        " | P overlap | R overlap | F1 overlap |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        for label in sorted(result["labels"]):
            exact, overlap, predicted, gold = result["labels"][label]
            lines.append(f"| {name} | {label} | {predicted} | {gold} | {prf(exact, predicted, gold)}"
                         f" | {prf(overlap, predicted, gold)} |")
    lines.append("")
    for name, result in results.items():
        exact, overlap, gold = result["direct"]
        if gold:
            lines.append(f"- {name}: direct-quote recall {exact / gold:.2f} exact, {overlap / gold:.2f} overlap"
                         f" ({gold} direct quotes)")
    return "\n".join(lines)


def factories(kinds: list[str]) -> dict[str, Factory]:
    found = {}
    for kind in kinds:
        try:
            found[kind] = recommender_class(kind)
        except LookupError as error:
            print(f"- skipped {kind}: {error}")
    return found


def timing(records: list[dict], factory: Factory, view: ProjectView, size=4000, repeats=20) -> str:
    # The set is short: ten articles, each from the texts taken from a different starting point.
    articles = []
    for offset in range(0, len(records), max(1, len(records) // 10)):
        texts, length = [], 0
        for record in records[offset:] + records[:offset]:
            texts.append(record["text"])
            length += len(record["text"]) + 2
            if length >= size:
                break
        articles.append("\n\n".join(texts))
    recommender = factory(view)
    per_article, spans = [], []
    for k, text in enumerate(articles):
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            answer = recommender.predict([Document(k, text)])[0]
            times.append((time.perf_counter() - began) * 1000)
        per_article.append(statistics.median(times))
        spans.append(len(answer.spans))
    return (f"attribution: median {statistics.median(per_article):.2f} ms per article over {len(articles)} articles"
            f" of {statistics.mean(len(a) for a in articles):.0f} characters on average"
            f" ({statistics.mean(spans):.0f} spans each on average; {repeats} runs each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=EVAL)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS))
    args = parser.parse_args()
    records = load(args.eval)
    view = default_view()
    held_out = [k for k, r in enumerate(records) if (r.get("metadata") or {}).get("written") == HELD_OUT]
    print(f"{args.eval.name}: {len(records)} articles ({len(held_out)} held out),"
          f" {sum(len(r['annotations']['spans']) for r in records)} gold spans\n")
    results, held = {}, {}
    for kind, factory in factories(args.kinds).items():
        try:
            guesses = predict(factory, view, records)
        except (NotImplementedError, RecommenderError, ValueError) as error:
            print(f"- skipped {kind}: {type(error).__name__}: {error}")
            continue
        results[kind] = tally(records, guesses)
        if held_out:
            held[kind] = tally([records[k] for k in held_out], [guesses[k] for k in held_out])
    print("## All articles\n")
    print(table(results))
    if held:
        print("\n## Held-out articles only\n")
        print(table(held))
    if "attribution" in results:
        print("\n## Timing\n")
        print(timing(records, recommender_class("attribution"), view))


if __name__ == "__main__":
    main()
