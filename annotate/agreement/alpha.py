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
from collections.abc import Iterable, Sequence

import krippendorff
import numpy as np


def nominal_alpha(reliability_data: Sequence[Sequence]) -> float | None:
    """Alpha over a coders × units table (None = not coded). None when alpha is undefined (nothing pairable)."""
    units = list(zip(*reliability_data))
    pairable = [unit for unit in units if sum(v is not None for v in unit) >= 2]
    values = sorted({v for unit in pairable for v in unit if v is not None})
    if not values:
        return None
    if len(values) == 1:
        return 1.0  # every pairable value agrees: no disagreement at all (the formula would be 0/0)
    index = {v: n for n, v in enumerate(values)}
    data = np.array([[np.nan if v is None else index[v] for v in unit] for unit in pairable], dtype=float).T
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def weighted_nominal_alpha(units: Iterable[tuple[int, Sequence[int]]], n_values: int) -> float | None:
    """Alpha from (weight, value counts) units: each unit counts `weight` times.

    o_ck = sum_u w_u (n_uc n_uk - [c=k] n_uc) / (m_u - 1), then
    alpha = 1 - (n - 1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k  with n_c = sum_k o_ck.
    """
    coincidence = np.zeros((n_values, n_values))
    for weight, counts in units:
        counts = np.asarray(counts, dtype=float)
        m = counts.sum()
        if m < 2:
            continue
        coincidence += weight * (np.outer(counts, counts) - np.diag(counts)) / (m - 1)
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    if n == 0:
        return None
    off = ~np.eye(n_values, dtype=bool)
    expected = (np.outer(n_c, n_c)[off]).sum()
    if expected == 0:
        return 1.0  # one value everywhere: complete agreement
    return float(1 - (n - 1) * coincidence[off].sum() / expected)


def label_units(layers: Sequence[Sequence[tuple[int, int]]], length: int) -> list[tuple[int, list[int]]]:
    """The weighted character units of one article for one label.

    `layers` holds each annotator's ranges of that label. The text is cut at
    every range boundary; each segment is one unit weighted by its length, with
    the counts [annotators not covering it, annotators covering it].
    """
    cuts = sorted({0, length, *(c for ranges in layers for r in ranges for c in r if 0 <= c <= length)})
    position = {cut: n for n, cut in enumerate(cuts)}
    covered = np.zeros(len(cuts) - 1, dtype=int)
    for ranges in layers:
        # Coverage by difference array: O(spans + segments) per annotator, not O(spans * segments).
        diff = np.zeros(len(cuts), dtype=int)
        for start, end in ranges:
            diff[position[start]] += 1
            diff[position[end]] -= 1
        covered += np.cumsum(diff)[:-1] > 0
    widths = np.diff(cuts)
    coders = len(layers)
    return [(int(w), [coders - int(c), int(c)]) for w, c in zip(widths, covered) if w > 0]
