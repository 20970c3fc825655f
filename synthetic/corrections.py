"""A long annotated article and a corrected version of it: the re-anchoring benchmark's data and a test's.

Deterministic (a seeded generator): paragraphs of made-up words with Arabic words and emoji among them,
spans over whole words, and a correction of the kinds sources publish (typos fixed, a sentence inserted,
a paragraph deleted), spread over the text.
"""
import random

from annotate.services.reanchoring.mapping import Anchor

_ARABIC = ("قال", "الوزير", "إن", "الخطة", "جادة", "مصداقية")
_EMOJI = ("😀", "🎉", "🇲🇦")


def _words(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    made_up = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(3000)]
    return made_up + list(_ARABIC) + list(_EMOJI)


def long_article(length: int, n_spans: int, *, seed: int = 16) -> tuple[str, list[Anchor]]:
    """A text of `length` code points in paragraphs, and `n_spans` one-piece spans over its words, in order."""
    rng = random.Random(seed)
    words = _words(rng)
    paragraphs, size = [], 0
    while size < length:
        paragraph = " ".join(rng.choice(words) + ("." if rng.random() < 0.08 else "")
                             for _ in range(rng.randint(40, 120)))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    text = "\n\n".join(paragraphs)[:length]
    step = len(text) // n_spans
    spans = []
    for i in range(n_spans):
        start = text.find(" ", i * step) + 1
        end = text.find(" ", start)
        if 0 < start < end:
            spans.append(Anchor(len(spans), text[start:end], ((start, end),)))
    return text, spans


def corrected(text: str, *, edits: int = 30, seed: int = 16) -> str:
    """The text with `edits` corrections spread over it: typos fixed, sentences inserted, passages deleted."""
    rng = random.Random(seed)
    chars = list(text)
    for _ in range(edits):
        at = rng.randrange(len(chars))
        kind = rng.choice(("typo", "insert", "delete"))
        if kind == "typo":
            chars[at:at + 3] = list("xyz")
        elif kind == "insert":
            chars[at:at] = list(" An added sentence, with a correction note. ")
        else:
            del chars[at:at + 200]
    return "".join(chars)
