"""The difference of an article's old and new text, as the stretches both share (character level).

diff-match-patch (Google's Myers diff with its speed-ups) at the character level takes seconds on a
100k-character article; at the level of words it takes milliseconds. So the texts are diffed twice:
first as sequences of tokens (a word, a run of spaces, or one other character; each token becomes one
character, the library's own lines-to-chars trick applied to words), then each replaced stretch is
diffed again character by character, so that a one-letter typo fix leaves the rest of its word shared.
A stretch too long to refine within the time budget stays replaced: the spans in it are flagged, never
moved wrongly (mapping.py checks every moved span's text anyway).
"""
import re
from bisect import bisect_right
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
# Replaced stretches longer than this (on either side) are not refined character by character.
REFINE_LIMIT = 20_000
# Seconds the library may spend on one diff before answering with a coarser (still correct) one.
DIFF_TIMEOUT = 2.0
# Token codes start past the surrogates so that every code is a valid character of a Python str.
_FIRST_CODE = 0xE000


@dataclass(frozen=True)
class Shared:
    """old[old_start:old_start + length] == new[new_start:new_start + length]."""

    old_start: int
    new_start: int
    length: int


def _differ() -> diff_match_patch:
    differ = diff_match_patch()
    differ.Diff_Timeout = DIFF_TIMEOUT
    return differ


def _as_codes(tokens: list[str], codes: dict[str, str]) -> str:
    out = []
    for token in tokens:
        code = codes.get(token)
        if code is None:
            code = codes[token] = chr(_FIRST_CODE + len(codes))
        out.append(code)
    return "".join(out)


def _token_diff(old: str, new: str) -> list[tuple[int, str]]:
    """(op, piece) in order, op -1 deleted / 0 equal / 1 inserted, at token granularity."""
    old_tokens, new_tokens = TOKEN.findall(old), TOKEN.findall(new)
    codes: dict[str, str] = {}
    old_codes, new_codes = _as_codes(old_tokens, codes), _as_codes(new_tokens, codes)
    if len(codes) > 0x10FFFF - _FIRST_CODE:  # more distinct tokens than characters: diff the characters
        return _differ().diff_main(old, new, False)
    words = {code: token for token, code in codes.items()}
    return [(op, "".join(words[c] for c in piece)) for op, piece in _differ().diff_main(old_codes, new_codes, False)]


def shared_stretches(old: str, new: str) -> list[Shared]:
    """The stretches the two texts share, in order (increasing in both texts, non-overlapping)."""
    differ = _differ()
    shared: list[Shared] = []
    at_old = at_new = 0
    deleted, inserted = [], []

    def refine():
        nonlocal at_old, at_new
        gone, added = "".join(deleted), "".join(inserted)
        deleted.clear()
        inserted.clear()
        if gone and added and len(gone) <= REFINE_LIMIT and len(added) <= REFINE_LIMIT:
            o, n = at_old, at_new
            for op, piece in differ.diff_main(gone, added, False):
                if op == 0:
                    shared.append(Shared(o, n, len(piece)))
                if op <= 0:
                    o += len(piece)
                if op >= 0:
                    n += len(piece)
        at_old += len(gone)
        at_new += len(added)

    for op, piece in _token_diff(old, new):
        if op == -1:
            deleted.append(piece)
        elif op == 1:
            inserted.append(piece)
        else:
            refine()
            shared.append(Shared(at_old, at_new, len(piece)))
            at_old += len(piece)
            at_new += len(piece)
    refine()
    return _joined(shared)


def _joined(stretches: list[Shared]) -> list[Shared]:
    """Adjacent stretches merged (a refined word next to an equal run is one stretch)."""
    out: list[Shared] = []
    for s in stretches:
        if s.length == 0:
            continue
        if out and out[-1].old_start + out[-1].length == s.old_start and \
                out[-1].new_start + out[-1].length == s.new_start:
            last = out.pop()
            s = Shared(last.old_start, last.new_start, last.length + s.length)
        out.append(s)
    return out


class OffsetMap:
    """Old offsets to new ones, through the shared stretches (binary search: O(log n) a lookup)."""

    def __init__(self, old: str, new: str):
        self.new_length = len(new)
        self.stretches = shared_stretches(old, new)
        self._starts = [s.old_start for s in self.stretches]

    def _stretch_at(self, position: int) -> int:
        """The index of the last stretch starting at or before `position` (-1 if none)."""
        return bisect_right(self._starts, position) - 1

    def kept(self, start: int, end: int) -> tuple[int, int] | None:
        """The new offsets of old[start:end] when all of it lies in one shared stretch, else None."""
        i = self._stretch_at(start)
        if i < 0:
            return None
        s = self.stretches[i]
        if end <= s.old_start + s.length:
            delta = s.new_start - s.old_start
            return start + delta, end + delta
        return None

    def start_of(self, position: int) -> int:
        """Where a span starting at old `position` best starts in the new text: its character's new place, or,
        if that character is gone, the start of what replaced it."""
        i = self._stretch_at(position)
        if i >= 0:
            s = self.stretches[i]
            if position < s.old_start + s.length:
                return s.new_start + position - s.old_start
            return s.new_start + s.length
        return 0

    def end_of(self, position: int) -> int:
        """Where a span ending (exclusive) at old `position` best ends: after its last character's new place,
        or, if that character is gone, at the end of what replaced it."""
        i = self._stretch_at(position - 1)
        if i >= 0:
            s = self.stretches[i]
            if position - 1 < s.old_start + s.length:
                return s.new_start + position - s.old_start
        following = i + 1
        if following < len(self.stretches):
            return self.stretches[following].new_start
        return self.new_length
