"""The agreement report from counts kept per article, so a project's report never reads its corpus.

Every statistic of the report is a function of sums over articles: matches and item counts per
annotator pair, label and mode (precision, recall, F1); a confusion table per pair (Cohen's kappa);
coincidences of weighted units (Krippendorff's alpha over characters and over stances); counts against
gold. `contribution` gives one article's share of those sums, keyed by ids (users, labels, relation
types, sources, targets, polarities) so that renaming any of them changes no count; `report` turns the
project's totals back into the report, in exactly the shape and with the same figures as
report.agreement_report computes from the layers themselves (tests/test_figures.py checks both agree).
"""
from collections import Counter, defaultdict
from itertools import combinations

import numpy as np

from .alpha import label_units, weighted_nominal_alpha
from .report import MODES, Layer, compare, covered_ranges, new_counters, summarise
from .scores import Counts
from .undefined import NO_ITEMS, ONE_CATEGORY, Undefined, Value, as_json, rounded

SIDES = ("m", "a", "b")  # Counts.matched, .a, .b


def contribution(layers: dict[int, Layer], gold: Layer | None, length: int, usernames: dict[int, str]) -> Counter:
    """One article's share of the project's agreement sums. `layers` are the annotators' submitted layers
    by user id (labels, relation types, holders, targets and polarities as ids); pairs are compared in
    username order, as the report lists them."""
    counts = Counter()
    for user in layers:
        counts[("layer", user)] += 1
    stance_keys = set().union(*(layer.stances.keys() for layer in layers.values()))
    counts[("stance_items",)] += len(stance_keys)
    if len(layers) >= 2:
        counts[("articles",)] += 1
        counts[("length", len(layers))] += length
        for a, b in combinations(sorted(layers, key=lambda user: usernames[user]), 2):
            _add_comparison(counts, ("pair", a, b), layers[a], layers[b], per_label=True)
            counts[("pair", a, b, "articles")] += 1
            for key in layers[a].stances.keys() & layers[b].stances.keys():
                counts[("kappa", a, b, layers[a].stances[key], layers[b].stances[key])] += 1
        for label in set().union(*(layer.spans.keys() for layer in layers.values())):
            units = label_units([covered_ranges(layer.spans.get(label, [])) for layer in layers.values()], length)
            for (_, covered), weight in units.items():
                if covered:  # the uncovered rest is the article's length (kept above) less the covered parts
                    counts[("units", label, len(layers), covered)] += weight
        for key in stance_keys:
            values = Counter(layer.stances[key] for layer in layers.values() if key in layer.stances)
            if sum(values.values()) >= 2:
                counts[("stance_unit", *(x for item in sorted(values.items()) for x in item))] += 1
    if gold is not None:
        for user, layer in layers.items():
            counts[("gold", user, "articles")] += 1
            _add_comparison(counts, ("gold", user), gold, layer, per_label=False)
            shared = gold.stances.keys() & layer.stances.keys()
            counts[("gold", user, "stances", "agreed")] += sum(gold.stances[k] == layer.stances[k] for k in shared)
            counts[("gold", user, "stances", "total")] += len(shared)
    return Counter({key: n for key, n in counts.items() if n})


def _add_comparison(counts: Counter, prefix: tuple, a: Layer, b: Layer, *, per_label: bool) -> None:
    spans, relations = new_counters()
    compare(a, b, spans, relations)
    for mode in MODES:
        for label, found in spans[mode].items():
            where = (*prefix, mode, "label", label) if per_label else (*prefix, mode, "spans")
            for side, n in zip(SIDES, (found.matched, found.a, found.b)):
                counts[(*where, side)] += n
        found = relations[mode]
        for side, n in zip(SIDES, (found.matched, found.a, found.b)):
            counts[(*prefix, mode, "relations", side)] += n


def _counts(totals: dict, *where) -> Counts:
    return Counts(*(totals.get((*where, side), 0) for side in SIDES))


def report(totals: dict[tuple, int], *, usernames: dict[int, str], label_names: dict[int, str],
           labels=()) -> dict:
    """The agreement report (report.agreement_report's shape) from the project's totals.

    `usernames` and `label_names` name the ids the keys hold; `labels` are listed whether used or not.
    A pair is always reported in username order: if a rename changed that order since the counts
    were kept, the pair's sides are swapped back here.
    """
    names = sorted(usernames[key[1]] for key in totals if key[0] == "layer")
    user_of = {name: user for user, name in usernames.items()}
    by_pair = defaultdict(list)  # (first, second) -> its per-label span keys, read once for every pair
    for key in totals:
        if key[0] == "pair" and len(key) == 7 and key[4] == "label":
            by_pair[key[1:3]].append(key[:6])
    all_spans, all_relations = new_counters()
    pairs, stance_pairs = [], []
    for a, b in combinations(names, 2):
        ua, ub = user_of[a], user_of[b]
        swapped = (("pair", ua, ub, "articles") not in totals) and (("pair", ub, ua, "articles") in totals)
        first, second = (ub, ua) if swapped else (ua, ub)
        span_counts, relation_counts = new_counters()
        for where in set(by_pair[(first, second)]):
            span_counts[where[3]][label_names[where[5]]] = _oriented(_counts(totals, *where), swapped)
        for mode in MODES:
            relation_counts[mode] = _oriented(_counts(totals, "pair", first, second, mode, "relations"), swapped)
            for label, counts in span_counts[mode].items():
                all_spans[mode][label].add(counts)
            all_relations[mode].add(relation_counts[mode])
        pair = summarise(span_counts, relation_counts, labels)
        pairs.append({"a": a, "b": b, "articles": totals.get(("pair", first, second, "articles"), 0),
                      "exact": pair["micro"]["exact"], "overlap": pair["micro"]["overlap"],
                      "per_label": pair["per_label"]})
        confusion = {(x, y) if not swapped else (y, x): n for (kind, p, q, x, y), n in _keyed(totals, "kappa", 5)
                     if (p, q) == (first, second)}
        stance_pairs.append(as_json(a=a, b=b, cohen_kappa=kappa_of(confusion), items=sum(confusion.values())))

    summary = summarise(all_spans, all_relations, labels)
    return {
        "annotators": names,
        "articles": totals.get(("articles",), 0),
        "spans": {
            "per_label": summary["per_label"],
            "micro": summary["micro"],
            "macro": summary["macro"],
            **as_json(krippendorff_alpha=_span_alpha(totals, label_names, summary["per_label"].keys())),
        },
        "relations": summary["relations"],
        "stances": as_json(items=totals.get(("stance_items",), 0), krippendorff_alpha=rounded(_stance_alpha(totals)),
                           pairs=stance_pairs),
        "pairs": pairs,
        "gold": _against_gold(totals, usernames),
    }


def _keyed(totals: dict, kind: str, length: int):
    return ((key, n) for key, n in totals.items() if key[0] == kind and len(key) == length)


def _oriented(counts: Counts, swapped: bool) -> Counts:
    return Counts(counts.matched, counts.b, counts.a) if swapped else counts


def kappa_of(confusion: dict[tuple, int]) -> Value:
    """Cohen's kappa from the pair's confusion counts {(a's value, b's value): n}, as scikit-learn computes it
    from the paired values; undefined with no items, and when both used one and the same category."""
    categories = sorted({value for pair in confusion for value in pair}, key=str)
    if not confusion:
        return Undefined(NO_ITEMS)
    if len(categories) == 1:
        return Undefined(ONE_CATEGORY)
    index = {value: n for n, value in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)))
    for (x, y), n in confusion.items():
        table[index[x], index[y]] += n
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    off = 1 - np.eye(len(categories))
    return round(float(1 - (off * table).sum() / (off * expected).sum()), 6)


def _span_alpha(totals: dict, label_names: dict[int, str], labels) -> dict[str, Value]:
    """Per label: each article's characters as units (annotators not covering, covering), weighted."""
    lengths = {key[1]: n for key, n in _keyed(totals, "length", 2)}
    by_name = defaultdict(Counter)  # label name -> {(coders, covered): weight}
    for (_, label, coders, covered), weight in _keyed(totals, "units", 4):
        by_name[label_names[label]][(coders, covered)] += weight
    alphas = {}
    for name in sorted(labels):
        units = Counter()
        for coders, length in lengths.items():
            covered = {c: w for (k, c), w in by_name[name].items() if k == coders}
            units[(coders, 0)] += length - sum(covered.values())
            for c, weight in covered.items():
                units[(coders - c, c)] += weight
        alphas[name] = rounded(weighted_nominal_alpha({k: w for k, w in units.items() if w}, 2))
    return alphas


def _stance_alpha(totals: dict) -> Value:
    """Nominal alpha over the stance items coded by two or more annotators, as count vectors."""
    units = [(dict(zip(key[1::2], key[2::2])), n) for key, n in totals.items() if key[0] == "stance_unit"]
    values = sorted({value for counts, _ in units for value in counts}, key=str)
    vectors = Counter()
    for counts, n in units:
        vectors[tuple(counts.get(value, 0) for value in values)] += n
    return weighted_nominal_alpha(vectors, len(values)) if values else Undefined(NO_ITEMS)


def _against_gold(totals: dict, usernames: dict[int, str]) -> list[dict]:
    report = []
    gold_users = {key[1] for key, _ in _keyed(totals, "gold", 3) if key[2] == "articles"}
    for user in sorted(gold_users, key=lambda u: usernames[u]):
        span_counts, relation_counts = new_counters()
        for mode in MODES:
            span_counts[mode]["*"] = _counts(totals, "gold", user, mode, "spans")
            relation_counts[mode] = _counts(totals, "gold", user, mode, "relations")
        summary = summarise(span_counts, relation_counts)
        agreed, total = (totals.get(("gold", user, "stances", side), 0) for side in ("agreed", "total"))
        report.append(as_json(annotator=usernames[user], articles=totals[("gold", user, "articles")],
                              exact=summary["micro"]["exact"], overlap=summary["micro"]["overlap"],
                              relations=summary["relations"],
                              stance_accuracy=round(agreed / total, 6) if total else Undefined(NO_ITEMS),
                              stance_items=total))
    return report
