"""Matching two annotators' spans of one article and one label.

Exact: same start and end. Overlap: the ranges share at least one character
([s1, e1) and [s2, e2) with s1 < e2 and s2 < e1), matched one-to-one: pairs are
taken greedily by the number of shared characters, largest first (ties by
position), so each span counts at most once on each side.
"""
from collections.abc import Sequence

Range = tuple[int, int]


def match_exact(a: Sequence[Range], b: Sequence[Range]) -> dict[int, int]:
    """Indices of a -> indices of b with identical ranges (one-to-one, duplicates matched in order)."""
    free: dict[Range, list[int]] = {}
    for j, r in enumerate(b):
        free.setdefault(r, []).append(j)
    pairs = {}
    for i, r in enumerate(a):
        if free.get(r):
            pairs[i] = free[r].pop(0)
    return pairs


def match_overlap(a: Sequence[Range], b: Sequence[Range]) -> dict[int, int]:
    """Indices of a -> indices of b for overlapping ranges, one-to-one, largest overlap first."""
    a_order = sorted(range(len(a)), key=lambda i: a[i])
    b_order = sorted(range(len(b)), key=lambda j: b[j])
    candidates, active, k = [], [], 0
    # A sweep in start order: `active` holds the b spans that started before the current a span
    # ends and have not ended before it starts (a spans come in start order, so a b span that
    # ended before this one's start cannot reach any later one either).
    for i in a_order:
        s1, e1 = a[i]
        while k < len(b_order) and b[b_order[k]][0] < e1:
            active.append(b_order[k])
            k += 1
        active = [j for j in active if b[j][1] > s1]
        for j in active:
            s2, e2 = b[j]
            shared = min(e1, e2) - max(s1, s2)
            if shared > 0:
                candidates.append((-shared, s1, s2, i, j))
    candidates.sort()
    pairs, used = {}, set()
    for _, _, _, i, j in candidates:
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return pairs
