"""Matching two annotators' spans of one article and one label.

A span is its pieces: ((start, end), ...), one piece for an ordinary span, several for a discontinuous one
(a quote split by its attribution). A plain (start, end) pair is taken as one piece.

Exact: the same pieces (an ordinary span and a split one with the same outer bounds do not match).
Overlap: the spans share at least one character of their pieces (the gap of a split span is no part of it;
[s1, e1) and [s2, e2) share min(e1, e2) - max(s1, s2) characters when that is positive), matched
one-to-one: pairs are taken greedily by the number of shared characters, largest first (ties by
position), so each span counts at most once on each side.
"""
from collections.abc import Sequence

Range = tuple[int, int]
Pieces = tuple[Range, ...]


def as_pieces(span: Range | Sequence[Range]) -> Pieces:
    """A span given as (start, end) or as its pieces, as a tuple of (start, end) pieces."""
    if isinstance(span[0], int):
        return (tuple(span),)
    return tuple(tuple(piece) for piece in span)


def shared_characters(a: Pieces, b: Pieces) -> int:
    """How many characters two spans' pieces have in common (pieces are in order and apart)."""
    shared, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        (s1, e1), (s2, e2) = a[i], b[j]
        shared += max(0, min(e1, e2) - max(s1, s2))
        if e1 <= e2:
            i += 1
        else:
            j += 1
    return shared


def match_exact(a: Sequence, b: Sequence) -> dict[int, int]:
    """Indices of a -> indices of b with identical pieces (one-to-one, duplicates matched in order)."""
    free: dict[Pieces, list[int]] = {}
    for j, r in enumerate(b):
        free.setdefault(as_pieces(r), []).append(j)
    pairs = {}
    for i, r in enumerate(a):
        found = free.get(as_pieces(r))
        if found:
            pairs[i] = found.pop(0)
    return pairs


def match_overlap(a: Sequence, b: Sequence) -> dict[int, int]:
    """Indices of a -> indices of b for spans sharing characters, one-to-one, largest overlap first."""
    a, b = [as_pieces(r) for r in a], [as_pieces(r) for r in b]
    a_order = sorted(range(len(a)), key=lambda i: a[i])
    b_order = sorted(range(len(b)), key=lambda j: b[j])
    candidates, active, k = [], [], 0
    # A sweep over the outer bounds in start order: `active` holds the b spans that started before the
    # current a span ends and have not ended before it starts (a spans come in start order, so a b span
    # that ended before this one's start cannot reach any later one either).
    for i in a_order:
        s1, e1 = a[i][0][0], a[i][-1][1]
        while k < len(b_order) and b[b_order[k]][0][0] < e1:
            active.append(b_order[k])
            k += 1
        active = [j for j in active if b[j][-1][1] > s1]
        for j in active:
            shared = shared_characters(a[i], b[j])
            if shared > 0:  # outer bounds may overlap where only a gap lies: no shared character
                candidates.append((-shared, s1, b[j][0][0], i, j))
    candidates.sort()
    pairs, used = {}, set()
    for _, _, _, i, j in candidates:
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return pairs
