"""Each span of the old text placed in the new one: unchanged, moved, or flagged for review.

Plain data in, plain data out (no database), so the rule is tested on its own, by hypothesis too:

* unchanged: every piece lies in a stretch both texts share, at the same offsets;
* moved: every piece lies in a shared stretch, at other offsets: the same characters, elsewhere;
* flagged: a piece's text changed or vanished (or the span was flagged already). Its offsets are the best
  guess (where its surviving characters went, or what replaced them), clamped into the new text; its
  snapshot stays the old text, so a reviewer sees what it covered.

A piece counts as kept only when all of it lies in one shared stretch, so for every span not flagged the
new text at its new pieces is exactly the old text at its old pieces: its snapshot still holds.
"""
from collections.abc import Iterable
from dataclasses import dataclass

from .diffing import OffsetMap

UNCHANGED, MOVED, FLAGGED = "unchanged", "moved", "flagged"

Pieces = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Anchor:
    """A span as the engine needs it: its id, its snapshot, its pieces ((start, end) in order), its flag."""

    id: int
    text: str
    pieces: Pieces
    needs_review: bool = False


@dataclass(frozen=True)
class Placed:
    """Where a span goes in the new text."""

    id: int
    outcome: str  # UNCHANGED, MOVED or FLAGGED
    pieces: Pieces

    @property
    def start(self) -> int:
        return self.pieces[0][0]

    @property
    def end(self) -> int:
        return self.pieces[-1][1]

    @property
    def fragments(self) -> list[list[int]] | None:
        """As Span.fragments stores them: None for one piece."""
        return [list(p) for p in self.pieces] if len(self.pieces) > 1 else None


def place(old_text: str, new_text: str, spans: Iterable[Anchor], *, offsets: OffsetMap | None = None) -> list[Placed]:
    """Every span placed in `new_text` (which must not be empty), in the order given."""
    if not new_text:
        raise ValueError("the new text is empty: there is nothing to anchor spans to")
    offsets = offsets or OffsetMap(old_text, new_text)
    return [_place(old_text, span, offsets) for span in spans]


def _place(old_text: str, span: Anchor, offsets: OffsetMap) -> Placed:
    kept = [offsets.kept(start, end) for start, end in span.pieces]
    # A one-piece span's snapshot is checked against the old text too: a span already out of step (made
    # before the rules, or flagged and not yet confirmed) is never reported as holding.
    holds = not span.needs_review and all(kept) and (
        len(span.pieces) > 1 or old_text[span.pieces[0][0]:span.pieces[0][1]] == span.text)
    if holds:
        pieces = tuple(kept)
        return Placed(span.id, UNCHANGED if pieces == tuple(span.pieces) else MOVED, pieces)
    return Placed(span.id, FLAGGED, _best_guess(span.pieces, offsets))


def _best_guess(pieces: Pieces, offsets: OffsetMap) -> Pieces:
    """Each piece where its characters went, at least one character long and inside the new text; pieces
    that now overlap or touch are joined, so the result is again ordered and non-overlapping."""
    length = offsets.new_length
    guessed = []
    for start, end in pieces:
        new_start = min(max(offsets.start_of(start), 0), length - 1)
        new_end = min(max(offsets.end_of(end), new_start + 1), length)
        guessed.append((new_start, new_end))
    guessed.sort()
    joined = [guessed[0]]
    for start, end in guessed[1:]:
        last_start, last_end = joined[-1]
        if start <= last_end:
            joined[-1] = (last_start, max(last_end, end))
        else:
            joined.append((start, end))
    return tuple(joined)


def tally(placed: Iterable[Placed]) -> dict[str, int]:
    """How many spans each outcome has: {"moved": N, "flagged": M, "unchanged": K}."""
    counts = {MOVED: 0, FLAGGED: 0, UNCHANGED: 0}
    for p in placed:
        counts[p.outcome] += 1
    return counts
