"""Krippendorff's alpha, nominal.

Stance polarity uses the `krippendorff` package directly (units are stance
items, a few per article). Span labels over character units would need one
unit per character per shared article (tens of millions for a large corpus):
instead the text is cut at every span boundary into segments whose characters
all carry the same values, and each segment enters the coincidence matrix
weighted by its length, which is exactly what repeating it once per character
would give. The package has no unit weights, so this weighted coincidence is
computed here; tests check it equals the package on the expanded data.
"""
from collections import Counter
from collections.abc import Mapping, Sequence

import krippendorff
import numpy as np

from .undefined import NO_ITEMS, ONE_CATEGORY, Undefined, Value


def nominal_alpha(reliability_data: Sequence[Sequence]) -> Value:
    """Alpha over a coders × units table (None = not coded).

    Undefined with no pairable value (no unit coded twice), and with one category only: then the
    expected disagreement is 0 and alpha is 0/0, whether or not the coders "agree".
    """
    units = list(zip(*reliability_data))
    pairable = [unit for unit in units if sum(v is not None for v in unit) >= 2]
    values = sorted({v for unit in pairable for v in unit if v is not None})
    if not values:
        return Undefined(NO_ITEMS)
    if len(values) == 1:
        return Undefined(ONE_CATEGORY)
    index = {v: n for n, v in enumerate(values)}
    data = np.array([[np.nan if v is None else index[v] for v in unit] for unit in pairable], dtype=float).T
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def weighted_nominal_alpha(units, n_values: int) -> Value:
    """Alpha from weighted units: (weight, value counts) pairs, or a mapping {value counts: total weight}.

    o_ck = sum_u w_u (n_uc n_uk - [c=k] n_uc) / (m_u - 1), then
    alpha = 1 - (n - 1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k  with n_c = sum_k o_ck.
    Units with the same counts are added up first: a corpus has millions of character segments
    but only a handful of distinct count vectors. Undefined as nominal_alpha is: no pairable unit,
    or one value everywhere (for a span label: nobody marked it, or everyone marked everything).
    """
    totals = Counter()
    for counts, weight in (units.items() if isinstance(units, Mapping) else ((tuple(c), w) for w, c in units)):
        totals[tuple(counts)] += weight
    coincidence = np.zeros((n_values, n_values))
    for counts, weight in totals.items():
        counts = np.asarray(counts, dtype=float)
        m = counts.sum()
        if m < 2:
            continue
        coincidence += weight * (np.outer(counts, counts) - np.diag(counts)) / (m - 1)
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    if n == 0:
        return Undefined(NO_ITEMS)
    off = ~np.eye(n_values, dtype=bool)
    expected = (np.outer(n_c, n_c)[off]).sum()
    if expected == 0:
        return Undefined(ONE_CATEGORY)
    return float(1 - (n - 1) * coincidence[off].sum() / expected)


def label_units(layers: Sequence[Sequence[tuple[int, int]]], length: int, into: Counter | None = None) -> Counter:
    """The weighted character units of one article for one label, added into `into`.

    `layers` holds each annotator's ranges of that label. The text is cut at every range
    boundary; each segment is a unit weighted by its length, with the counts
    (annotators not covering it, annotators covering it). Plain lists: an article has a few
    dozen segments, too few for numpy to pay off.
    """
    units = Counter() if into is None else into
    cuts = sorted({0, length, *(c for ranges in layers for r in ranges for c in r if 0 <= c <= length)})
    position = {cut: n for n, cut in enumerate(cuts)}
    covered = [0] * (len(cuts) - 1)
    for ranges in layers:
        diff = [0] * len(cuts)
        for start, end in ranges:
            diff[position[start]] += 1
            diff[position[end]] -= 1
        depth = 0
        for segment in range(len(covered)):
            depth += diff[segment]
            if depth > 0:
                covered[segment] += 1
    coders = len(layers)
    for segment, count in enumerate(covered):
        units[(coders - count, count)] += cuts[segment + 1] - cuts[segment]
    return units
