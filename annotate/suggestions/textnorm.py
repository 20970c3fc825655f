"""Text folded for matching, with a map back to the original's offsets.

Matching compares folded text: casefolded, runs of whitespace collapsed to one space and, for Arabic,
the alef forms (أ إ آ) read as ا, taa marbuta (ة) as ه, alef maqsura (ى) as ي, the harakat and the
tatweel dropped. Folding changes lengths (a dropped haraka, a collapsed line break, "ß" casefolded to
"ss"), so `Folded` keeps where each folded character came from: whatever is found in the folded text
is reported at code-point offsets of the original (end exclusive), which is what spans store.
"""
import re
from dataclasses import dataclass

# Harakat (fathatan … sukun and the rarer marks up to U+065F), the superscript alef and the tatweel:
# they decorate a word without changing which word it is, and are written or left out at will.
MARKS = frozenset(chr(c) for c in [*range(0x064B, 0x0660), 0x0670, 0x0640])
_LETTERS = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"}
_TABLE = {ord(c): None for c in MARKS} | {ord(k): v for k, v in _LETTERS.items()}
# Anything other than a single plain space is a run that folding collapses.
_UNEVEN_SPACE = re.compile(r"[^\S ]| {2}")
_SPACES = re.compile(r"\s+")


def fold_word(text: str) -> str:
    """The folded form of a word or a name, without offsets (a key to look up, a feature)."""
    return _SPACES.sub(" ", text.casefold().translate(_TABLE)).strip()


def _fold_char(char: str) -> str:
    if char in MARKS:
        return ""
    if char.isspace():
        return " "
    return _LETTERS.get(char, char).casefold()


_CHARS: dict[str, str] = {}  # char -> its folded form, filled as characters are met


@dataclass(frozen=True)
class Folded:
    original: str
    text: str
    # starts[i]: the original offset of folded character i; None when folding kept every offset.
    starts: list[int] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original (start, end) of folded text[start:end] (a non-empty range)."""
        if self.starts is None:
            return start, end
        first, last = self.starts[start], self.starts[end - 1] + 1
        # The marks dropped after the last letter belong to it: a span ends after "دَ", not between.
        while last < len(self.original) and self.original[last] in MARKS:
            last += 1
        return first, last


def fold(text: str) -> Folded:
    """Fold `text` for matching and keep the way back to its offsets."""
    folded = text.casefold()
    if len(folded) == len(text):  # casefold never shortens, so the same length is one char for one
        folded = folded.translate(_TABLE)
        if len(folded) == len(text) and not _UNEVEN_SPACE.search(folded):
            return Folded(text, folded, None)  # the common case: nothing moved, no map to build
    # Characters dropped, collapsed or expanded: fold one at a time, noting where each output came from.
    chars, starts, after_space = [], [], False
    for i, char in enumerate(text):
        out = _CHARS.get(char)
        if out is None:
            out = _CHARS[char] = _fold_char(char)
        if not out:
            continue
        if out == " ":
            if after_space:
                continue
            after_space = True
        else:
            after_space = False
        chars.append(out)
        starts.extend([i] * len(out))
    return Folded(text, "".join(chars), starts)
