"""Reading a line of news for attribution.py: its quotation marks, its sentences, a speaker's phrase.

Functions over (text, start, end) so that nothing is copied per line; each reads a bounded stretch
around a position, so that the recommender stays linear in the text's length.
"""
import re
from bisect import bisect_right
from dataclasses import dataclass

from .attribution_lexicon import (
    ABBREVIATIONS,
    AFTER_STOPS,
    AUXILIARIES,
    BEFORE_STOPS,
    COMPLEMENTIZER,
    DETERMINERS,
    OPENERS,
    PRONOUNS,
    QUOTE_MARKS,
)

SENTENCE_END = re.compile(r"[.!?؟]+")
WORD = re.compile(r"[^\s,;:!?،؛()«»“”„\"‹›]+")
ARABIC = re.compile(r"[\u0600-\u06FF]")
PUNCT_GAP = re.compile(r"[\s,:;،—–-]*")
SPACES = re.compile(r"\s*")
STARTS_SENTENCE = re.compile(r"\s+[A-ZÀ-Ý0-9“„«‹\"‘\u0600-\u06FF]")
PHRASE_BREAKS = ",;:()«»“”„\"‹›،؛"
RELATIVE = re.compile(r",\s*(?:who|which|qui|الذي|التي)(?!\w)[^,]*,\s*$", re.IGNORECASE)
TRAILING = " \t\u00a0\u202f.!?؟…;,،"

@dataclass
class Quote:
    start: int  # the opening mark
    end: int  # the closing mark
    parent: int  # index of the enclosing quote, -1 at the top
    single: bool  # ‘…’


@dataclass
class Speaker:
    start: int
    end: int
    pronoun: bool


def pair_quotes(text: str, lo: int, hi: int) -> list[Quote]:
    """The paired quotes of text[lo:hi], each after the quotes around it."""
    found, stack = [], []  # stack: (position, opening mark)

    def close(k: int, i: int) -> None:
        start, opener = stack[k]
        del stack[k:]  # marks opened inside it and never closed are dropped with it
        found.append((start, i, opener == "‘"))

    for m in QUOTE_MARKS.finditer(text, lo, hi):
        i, mark = m.start(), m.group()
        before = text[i - 1] if i > lo else " "
        after = text[i + 1] if i + 1 < hi else " "
        opening = before.isspace() or before in "([—–-/:" or before in OPENERS
        if len(stack) > 6:  # quotes nest two or three deep; stray marks must not make this quadratic
            del stack[0]
        closes = [k for k, (_, opener) in enumerate(stack) if mark in OPENERS[opener]]
        if mark == '"':
            if closes and not (opening and not after.isspace()):
                close(closes[-1], i)
            elif opening:
                stack.append((i, mark))
        elif mark == "’":
            # Between two letters it is an apostrophe (Morocco’s); it closes only a ‘ still open on top.
            if stack and stack[-1][1] == "‘" and not after.isalnum():
                close(len(stack) - 1, i)
        elif mark == "‘":
            if opening and not after.isspace():
                stack.append((i, mark))
        elif closes and mark in "”“»›":
            close(closes[-1], i)
        elif mark in "“„«‹":
            stack.append((i, mark))
    found.sort()
    quotes, around = [], []  # around: indexes of the quotes enclosing the current one
    for start, end, single in found:
        while around and quotes[around[-1]].end < start:
            around.pop()
        quotes.append(Quote(start, end, around[-1] if around else -1, single))
        around.append(len(quotes) - 1)
    return quotes


def innermost(quotes: list[Quote], starts: list[int], position: int) -> int:
    """Index of the innermost quote around `position`, -1 if none."""
    k = bisect_right(starts, position) - 1
    while k >= 0:
        if quotes[k].start < position < quotes[k].end:
            return k
        k = quotes[k].parent
    return -1


def sentence_ends(text: str, lo: int, hi: int, quotes: list[Quote], starts: list[int]) -> list[int]:
    ends = []
    for m in SENTENCE_END.finditer(text, lo, hi):
        end = m.end()
        k = innermost(quotes, starts, m.start())
        if k >= 0:
            top = k
            while quotes[top].parent >= 0:
                top = quotes[top].parent
            if SPACES.match(text, end, quotes[top].end).end() < quotes[top].end:
                continue  # a stop inside a quote that goes on
            end = quotes[top].end + 1
        if end < hi and not STARTS_SENTENCE.match(text, end, hi):
            continue
        word = text[text.rfind(" ", lo, m.start()) + 1:m.start()].lower()
        if m.group() == "." and (word in ABBREVIATIONS or len(word) == 1 and word.isalpha()):
            continue
        ends.append(end)
    ends.append(hi)
    return ends


def word_spans(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    return [m.span() for m in WORD.finditer(text, lo, hi)]


def looks_named(text: str, start: int, end: int) -> bool:
    first = text[start:end].split()[0]
    return first[0].isupper() or first.lower() in DETERMINERS or first.lower() in PRONOUNS or bool(
        ARABIC.match(first)) or first.lower().startswith(("l'", "l’"))


def speaker_phrase(text: str, start: int, end: int, any_words=False) -> Speaker | None:
    while end > start and text[end - 1] in ".’'":
        end -= 1
    if end <= start or not (any_words or looks_named(text, start, end)):
        return None
    return Speaker(start, end, text[start:end].lower() in PRONOUNS)


def phrase_after(text: str, position: int, hi: int, stops=AFTER_STOPS, most=8) -> Speaker | None:
    """The speaker's phrase read forwards from `position` ("said Nasser Bourita, Morocco's …").

    Without stop words (after "according to") any phrase will do: "according to official figures".
    """
    taken = []
    for m in WORD.finditer(text, position, hi):
        if text[taken[-1][1] if taken else position:m.start()].strip():
            break  # punctuation between the words
        word = m.group().lower()
        if word in stops or COMPLEMENTIZER.fullmatch(word) or len(taken) == most:
            break
        taken.append(m.span())
        if word.endswith(".") and word.rstrip(".") not in ABBREVIATIONS and len(word) > 2:
            break
    return speaker_phrase(text, taken[0][0], taken[-1][1], not stops) if taken else None


def phrase_before(text: str, lo: int, position: int, most=8) -> Speaker | None:
    """The speaker's phrase read backwards from `position` ("Morocco's Foreign Minister Nasser Bourita said")."""
    # Eight words, or a speaker and a relative clause, fit in 300 characters: reading no further keeps
    # a long sentence with many cues linear.
    lo = max(lo, position - 300)
    segment = text[lo:position]
    relative = RELATIVE.search(segment)
    if relative:  # "The minister, who spoke on condition …, said"
        return phrase_before(text, lo, lo + relative.start(), most)
    cut = max(segment.rfind(mark) for mark in PHRASE_BREAKS)
    words = word_spans(text, lo + cut + 1, position)
    while words and text[words[-1][0]:words[-1][1]].lower() in AUXILIARIES:
        words.pop()
    for k in range(len(words) - 1, -1, -1):
        if text[words[k][0]:words[k][1]].lower() in BEFORE_STOPS:
            words = words[k + 1:]
            break
    if not words or len(words) > most:
        return None
    # "officials said", "local residents said": a short phrase right before the cue needs no capital.
    return speaker_phrase(text, words[0][0], words[-1][1], len(words) <= 3)


def titled(quoted: str) -> bool:
    """A title ("Water Stress in North Africa: Risks and Responses"), not someone's words."""
    long = [w for w in quoted.split() if len(w) > 3]
    return bool(long) and sum(w[0].isupper() for w in long) >= 0.6 * len(long)
