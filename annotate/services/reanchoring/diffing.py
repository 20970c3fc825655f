"""The difference of an article's old and new text, as the stretches both share (character level).

diff-match-patch (Google's Myers diff with its speed-ups) at the character level takes seconds on a
100k-character article (its cost grows with the length times the number of differences). So the texts
are diffed from coarse to fine, each unit made one character for the library (its own lines-to-chars
trick, for any unit): by lines (paragraphs) first; the changed lines then by words (a word, a run of
spaces, or one other character; runs of spaces compared alike, so re-cleaned spacing costs nothing);
the changed words then character by character, so that a one-letter typo fix leaves the rest of its word shared.
A stretch too long to refine, or a diff that runs out of its time, stays replaced: its spans are
flagged, never moved wrongly (mapping.py counts a piece kept only inside a shared stretch).
"""
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
WORD = re.compile(r"\w+", re.UNICODE)
# Anchors are kept at least this many characters apart: the pieces between them are diffed one by one.
SEGMENT = 500
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


def _by_units(split, refine, old: str, new: str, at_old: int, at_new: int, shared: list, *, key=None) -> None:
    """Diff old/new by `split`'s units, each made one character for the library (its own lines-to-chars trick,
    for any unit). Equal units are shared; each replaced run (the units deleted and inserted between two equal
    ones) goes to `refine` with its offsets, for a finer diff. `key`: what units are compared by (all runs of
    spaces alike, so that re-cleaned spacing costs the word diff nothing); units equal by key but not in
    content are refined too."""
    old_units, new_units = split(old), split(new)
    key = key or (lambda unit: unit)
    codes: dict[str, str] = {}

    def encoded(units):
        out = []
        for unit in units:
            k = key(unit)
            code = codes.get(k)
            if code is None:
                code = codes[k] = chr(_FIRST_CODE + len(codes))
            out.append(code)
        return "".join(out)

    old_codes, new_codes = encoded(old_units), encoded(new_units)
    if len(codes) > 0x10FFFF - _FIRST_CODE:  # more distinct units than characters: leave it to the finer diff
        refine(old, new, at_old, at_new, shared)
        return
    differ = _differ()
    diffs = differ.diff_main(old_codes, new_codes, False)
    # An equality shorter than the edits around it (a blank line between two changed paragraphs, one "the"
    # between changed words) would pair the wrong units on either side: it is folded into the edits, and
    # the finer diff finds it again if it matters.
    differ.diff_cleanupSemantic(diffs)
    i = j = 0  # the next unit of each text
    deleted = inserted = ""  # the replaced run so far, starting at at_old / at_new

    def flush():
        nonlocal at_old, at_new, deleted, inserted
        if deleted and inserted:
            refine(deleted, inserted, at_old, at_new, shared)
        at_old, at_new, deleted, inserted = at_old + len(deleted), at_new + len(inserted), "", ""

    for op, piece in diffs:
        count = len(piece)
        if op == -1:
            deleted += "".join(old_units[i:i + count])
            i += count
        elif op == 1:
            inserted += "".join(new_units[j:j + count])
            j += count
        else:
            for old_unit, new_unit in zip(old_units[i:i + count], new_units[j:j + count]):
                if old_unit == new_unit:
                    flush()
                    shared.append(Shared(at_old, at_new, len(old_unit)))
                    at_old += len(old_unit)
                    at_new += len(new_unit)
                else:  # alike by key only (spacing): part of the replaced run around it, refined with it
                    deleted += old_unit
                    inserted += new_unit
            i += count
            j += count
    flush()


def _spacing_alike(unit: str) -> str:
    return " " if unit.isspace() else unit


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _trimmed(old: str, new: str, at_old: int, at_new: int, shared: list, *,
             lines: bool = False) -> tuple[str, str, int, int, int]:
    """The common start and end of two texts shared at once (the library's binary search, no diff): what is left
    between them, its offsets, and the length of the common end (the caller shares it after the middle)."""
    differ = _differ()
    head = differ.diff_commonPrefix(old, new)
    if lines:  # whole lines only, so that the line diff after it compares lines with lines
        head = old.rfind("\n", 0, head) + 1
    if head:
        shared.append(Shared(at_old, at_new, head))
    tail = differ.diff_commonSuffix(old[head:], new[head:])
    if lines and tail:
        break_at = old.find("\n", len(old) - tail)
        tail = 0 if break_at < 0 else len(old) - break_at - 1
    return old[head:len(old) - tail], new[head:len(new) - tail], at_old + head, at_new + head, tail


def _characters(gone: str, added: str, at_old: int, at_new: int, shared: list) -> None:
    gone, added, at_old, at_new, tail = _trimmed(gone, added, at_old, at_new, shared)
    if tail:
        shared_tail = Shared(at_old + len(gone), at_new + len(added), tail)
    if gone and added and len(gone) <= REFINE_LIMIT and len(added) <= REFINE_LIMIT:  # else left replaced: flagged
        _refined(gone, added, at_old, at_new, shared)
    if tail:
        shared.append(shared_tail)


def _refined(gone: str, added: str, at_old: int, at_new: int, shared: list) -> None:
    differ = _differ()
    diffs = differ.diff_main(gone, added, False)
    # Without this, two unrelated words share scattered letters ("said" and "Paris" an "a" and an "i"):
    # equalities shorter than the edits around them are folded into the edits.
    differ.diff_cleanupSemantic(diffs)
    for op, piece in diffs:
        if op == 0:
            shared.append(Shared(at_old, at_new, len(piece)))
        if op <= 0:
            at_old += len(piece)
        if op >= 0:
            at_new += len(piece)


def _words(gone: str, added: str, at_old: int, at_new: int, shared: list) -> None:
    _by_units(TOKEN.findall, _characters, gone, added, at_old, at_new, shared, key=_spacing_alike)


def anchors(old: str, new: str) -> list[tuple[int, int]]:
    """Places where both texts surely align, at least SEGMENT characters apart: (old offset, new offset) of pairs
    of words that occur once in each text, in an order both agree on (the patience diff's idea: the longest
    increasing run of such pairs). Cutting both texts there keeps every diff small, however many corrections
    or re-cleaned spaces there are: the library's cost grows with a diff's length times its differences."""
    def pairs(text):
        words = [(m.group(), m.start()) for m in WORD.finditer(text)]
        seen: dict[tuple[str, str], int | None] = {}
        for (first, at), (second, _) in zip(words, words[1:]):
            key = (first, second)
            seen[key] = None if key in seen else at  # None: not unique
        return seen

    old_pairs, new_pairs = pairs(old), pairs(new)
    matched = sorted((at, new_pairs[key]) for key, at in old_pairs.items()
                     if at is not None and new_pairs.get(key) is not None)
    # The longest run increasing in both texts (patience sorting, O(n log n)).
    tails: list[int] = []  # tails[k]: the index in `matched` ending the best run of length k + 1
    tail_values: list[int] = []
    previous = [-1] * len(matched)
    for i, (_, at_new) in enumerate(matched):
        k = bisect_left(tail_values, at_new)
        if k:
            previous[i] = tails[k - 1]
        if k == len(tails):
            tails.append(i)
            tail_values.append(at_new)
        else:
            tails[k], tail_values[k] = i, at_new
    run, i = [], tails[-1] if tails else -1
    while i >= 0:
        run.append(matched[i])
        i = previous[i]
    spaced, last = [], 0
    for at_old, at_new in reversed(run):
        if at_old - last >= SEGMENT:
            spaced.append((at_old, at_new))
            last = at_old
    return spaced


def shared_stretches(old: str, new: str) -> list[Shared]:
    """The stretches the two texts share, in order (increasing in both texts, non-overlapping): the texts cut
    at their anchors, then each piece by lines, the changed lines by words, the changed words by characters."""
    shared: list[Shared] = []
    # A correction in one place (a typo, a sentence added at the top) leaves a long common start and end:
    # only the middle is diffed.
    old, new, at_old, at_new, tail = _trimmed(old, new, 0, 0, shared, lines=True)
    cuts = [(0, 0), *anchors(old, new), (len(old), len(new))]
    for (old_from, new_from), (old_to, new_to) in zip(cuts, cuts[1:]):
        _by_units(_lines, _words, old[old_from:old_to], new[new_from:new_to], at_old + old_from,
                  at_new + new_from, shared)
    if tail:
        shared.append(Shared(at_old + len(old), at_new + len(new), tail))
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
