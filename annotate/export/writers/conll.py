"""CoNLL: one token per line with a BIO tag for the span labels, one document per article layer.

Tokens are `TOKEN_PATTERN` matches over the text: runs of word characters,
and every other non-space character on its own (punctuation, each emoji code
point). Offsets are code points, like span offsets, so an emoji or `𝕏`
counts as one and Arabic needs no special case.

BIO tags are flat, but spans may overlap. The rule: the longest span (in
code points) wins, then the earliest start, then the label name in
alphabetical order; a span that would share a token with a span already
placed is left out whole, so every B-/I- run is exactly one span. A token
belongs to a span when their characters overlap, even partly.

Layout of a document::

    -DOCSTART-<TAB>external id<TAB>annotator (or "gold")<TAB>annotation id
    <blank>
    token<TAB>start<TAB>end<TAB>tag      (one per token)
    <blank>                               (where the text has a line break, and after the document)
"""
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator

TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")
_WHITESPACE = re.compile(r"\s+")


def tokenize(text: str) -> list[tuple[int, int, str]]:
    """(start, end, token) for every token, offsets in code points."""
    return [(m.start(), m.end(), m.group()) for m in TOKEN_PATTERN.finditer(text)]


def bio_tags(tokens: list[tuple[int, int, str]], spans: Iterable[dict]) -> list[str]:
    """One tag per token: B-LABEL, I-LABEL or O, overlaps resolved by the module's rule."""
    starts = [start for start, _, _ in tokens]
    ends = [end for _, end, _ in tokens]
    owner: list[dict | None] = [None] * len(tokens)
    first_token: dict[int, int] = {}
    for span in sorted(spans, key=lambda s: (s["start"] - s["end"], s["start"], s["label"])):
        first = bisect_right(ends, span["start"])  # first token ending after the span starts
        last = bisect_left(starts, span["end"]) - 1  # last token starting before the span ends
        if first > last or any(owner[i] is not None for i in range(first, last + 1)):
            continue
        for i in range(first, last + 1):
            owner[i] = span
        first_token[id(span)] = first
    return [
        "O" if span is None else ("B-" if first_token[id(span)] == i else "I-") + span["label"]
        for i, span in enumerate(owner)
    ]


def _header(record: dict) -> str:
    fields = (record["external_id"], record["annotator"] or "gold", str(record["annotation_id"]))
    return "-DOCSTART-\t" + "\t".join(_WHITESPACE.sub("_", field) for field in fields)


def write_conll(records: Iterable[dict]) -> Iterator[bytes]:
    for record in records:
        text = record["text"]
        tokens = tokenize(text)
        tags = bio_tags(tokens, record["annotations"]["spans"])
        lines = [_header(record), ""]
        previous_end = 0
        for (start, end, token), tag in zip(tokens, tags):
            if previous_end and "\n" in text[previous_end:start]:
                lines.append("")  # a line break in the text ends a sentence
            lines.append(f"{token}\t{start}\t{end}\t{tag}")
            previous_end = end
        lines.append("")
        yield ("\n".join(lines) + "\n").encode("utf-8")
