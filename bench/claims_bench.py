"""Claim clustering (`annotate.claims.clustering.cluster`) at two sizes, without a database.

    python bench/claims_bench.py [--sizes 20000 100000] [--threshold 0.55]

Generates synthetic claim texts (deterministic seed): paraphrase families, each one statement (an actor,
a relation, an object, a place) rendered several times with random synonyms, word orders and attribution
frames ("X said that ..."), plus unrelated noise sentences from the same vocabulary, so that families and
noise share many words. Half the texts are family members (families of 2-12), half noise. Each size runs
in a child process so that its peak memory is its own, and prints seconds, peak MB, the time ratio between
the sizes against the ratio of their sizes, and the quality of the recovered families:

- purity: the share of clustered texts (in clusters of 2 or more) whose cluster's majority family is their
  own (noise counts as a family of one, so noise clustered with anything is impure);
- recall: of the pairs of texts in the same family, the share found in the same cluster;
- pairs>=t: of those pairs, the share whose similarity reaches the threshold, a ceiling of sorts for
  recall (more is reached only through a third member), and found: the share of these that blocking
  (candidates by rare words, 20 a claim) found, i.e. what the approximation costs.
"""
import argparse
import json
import random
import subprocess
import sys
import time
from collections import Counter
from itertools import accumulate, combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotate.claims.clustering import ClaimText, _row_dots, _sparse_pairs, cluster, tfidf_vectors
from bench._common import peak_rss_mb

SEED = 15
SYLLABLES = "ka lo mi ra sa te vu ne di po gar bel tor fin ash mon zel dra kir bu".split()
RELATIONS = [  # one meaning each, several ways to say it; "{o}" is the object
    ["is a key partner against {o}", "remains an essential ally in the fight against {o}",
     "is a major partner in combating {o}", "stays a crucial ally against {o}"],
    ["backs the {o} plan as the only basis for a solution",
     "supports the {o} proposal as the sole basis for a settlement",
     "considers the {o} plan the only realistic basis for a solution",
     "endorses the {o} initiative as the sole basis for settling the dispute"],
    ["will increase investment in {o}", "plans to raise its investments in {o}",
     "is set to boost investment in {o}", "intends to expand investment in {o}"],
    ["rejects any talks on {o}", "refuses all negotiations over {o}",
     "turns down any dialogue about {o}", "will not accept negotiations on {o}"],
    ["has signed a new agreement on {o}", "concluded a fresh deal on {o}",
     "signed a new accord covering {o}", "reached a new agreement regarding {o}"],
    ["denies any responsibility for {o}", "rejects all blame for {o}",
     "says it bears no responsibility for {o}", "disclaims any responsibility for {o}"],
    ["warns that {o} threatens regional stability", "cautions that {o} endangers stability in the region",
     "says {o} is a threat to regional stability", "warned {o} puts regional stability at risk"],
    ["will host the summit on {o}", "is to host the {o} summit",
     "will be the host of the summit about {o}", "is set to host a summit on {o}"],
]
FRAMES = ["{s} {r}", "{s} {r}, the minister said", "officials said that {s} {r}", "according to the spokesman, {s} {r}",
          "{s} {r}, a statement said", "\"{s} {r},\" he told reporters", "the ambassador stressed that {s} {r}"]
FUNCTION_WORDS = "the of in to and a on for that is was with by said will has from at as it".split()


class Vocabulary:
    """Pseudo-words drawn with Zipf's law, as a news corpus's words are: a few very common, most rare."""

    def __init__(self, rng: random.Random, words: int):
        self.rng = rng
        self.words = sorted({self.word() for _ in range(words)})
        rng.shuffle(self.words)
        weights = [1 / (rank + 20) for rank in range(len(self.words))]
        self.cumulative = list(accumulate(weights))

    def word(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4)))

    def pick(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)


def generate(size: int, seed: int = SEED) -> tuple[list[ClaimText], dict[int, int]]:
    """`size` texts and each family member's family (noise texts are absent from the map)."""
    rng = random.Random(seed)
    vocabulary = Vocabulary(rng, 20000)
    names = sorted({vocabulary.word().capitalize() for _ in range(max(50, size // 20))})
    texts: list[str] = []
    family_of: dict[int, int] = {}
    family = 0
    while len(texts) < size // 2:
        actor, relation, place = rng.choice(names), rng.choice(RELATIONS), rng.choice(names)
        thing = " ".join(vocabulary.pick(rng.randint(1, 2)))  # what the statement is about
        for _ in range(min(rng.randint(2, 12), size // 2 - len(texts))):
            said = rng.choice(relation).format(o=f"{thing} in {place}" if rng.random() < 0.7 else f"{place}'s {thing}")
            family_of[len(texts)] = family
            texts.append(rng.choice(FRAMES).format(s=actor, r=said))
        family += 1
    while len(texts) < size:  # a sentence of common and content words around a name or two
        words = [*vocabulary.pick(rng.randint(3, 9)), *rng.choices(FUNCTION_WORDS, k=rng.randint(2, 6)),
                 *rng.choices(names, k=rng.randint(1, 2))]
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + ".")
    order = list(range(size))
    rng.shuffle(order)  # members of a family are not neighbours in the input, nor in id order
    claims = [ClaimText(id=new, text=texts[old]) for new, old in enumerate(order)]
    families = {new: family_of[old] for new, old in enumerate(order) if old in family_of}
    return claims, families


def quality(clusters, families: dict[int, int]) -> tuple[float, float]:
    """(purity, recall), as the module docstring defines them."""
    clustered = pure = 0
    found: set[tuple[int, int]] = set()
    for group in clusters:
        if len(group.members) < 2:
            continue
        labels = [families.get(m, -1 - m) for m in group.members]
        clustered += len(labels)
        pure += Counter(labels).most_common(1)[0][1]
        found.update(combinations(group.members, 2))
    by_family: dict[int, list[int]] = {}
    for member, family in families.items():
        by_family.setdefault(family, []).append(member)
    pairs = [pair for members in by_family.values() for pair in combinations(sorted(members), 2)]
    recall = sum(pair in found for pair in pairs) / max(1, len(pairs))
    return pure / max(1, clustered), recall


def blocking_recall(claims: list[ClaimText], families: dict[int, int], threshold: float) -> tuple[float, float]:
    """Of the pairs of texts in the same family, the share at or above the threshold (what pairwise
    matching could find at best), and the share of those that blocking found (what it missed)."""
    vectors, word_columns = tfidf_vectors([claim.text for claim in claims])
    rows, cols, _ = _sparse_pairs(vectors, word_columns, threshold)
    found = set(zip(rows.tolist(), cols.tolist()))  # ids are row numbers here: generate() numbers 0..n-1
    by_family: dict[int, list[int]] = {}
    for member, family in families.items():
        by_family.setdefault(family, []).append(member)
    pairs = np.array([pair for members in by_family.values() for pair in combinations(sorted(members), 2)])
    above = pairs[_row_dots(vectors, pairs[:, 0], pairs[:, 1]) >= threshold]
    return len(above) / len(pairs), sum((a, b) in found for a, b in above.tolist()) / max(1, len(above))


def one(size: int, threshold: float) -> dict:
    claims, families = generate(size)
    start, cpu = time.perf_counter(), time.process_time()
    clusters = cluster(claims, threshold=threshold)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = peak_rss_mb()
    purity, recall = quality(clusters, families)
    above, blocked = blocking_recall(claims, families, threshold)
    return dict(size=size, seconds=seconds, cpu=cpu, peak_mb=peak, purity=purity, recall=recall,
                clusters=sum(len(c.members) > 1 for c in clusters), families=len(set(families.values())),
                above=above, blocked=blocked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--threshold", type=float, default=0.55)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one(args.child, args.threshold)))
        return
    rows = []
    print(f"{'texts':>8} {'seconds':>8} {'cpu s':>6} {'peak MB':>8} {'families':>9} {'clusters':>9} {'purity':>7} "
          f"{'recall':>7} {'pairs>=t':>9} {'found':>6}")
    for size in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(size), "--threshold", str(args.threshold)],
                             check=True, capture_output=True, text=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print(f"{row['size']:>8} {row['seconds']:>8.1f} {row['cpu']:>6.1f} {row['peak_mb']:>8.0f} {row['families']:>9} "
              f"{row['clusters']:>9} {row['purity']:>7.3f} {row['recall']:>7.3f} {row['above']:>9.3f} "
              f"{row['blocked']:>6.3f}", flush=True)
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(f"time ratio {last['seconds'] / first['seconds']:.1f} for a size ratio of "
              f"{last['size'] / first['size']:.1f}")


if __name__ == "__main__":
    main()
