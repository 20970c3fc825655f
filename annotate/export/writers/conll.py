"""CoNLL: one token per line with one BIO column per span label (multi-layer CoNLL), one document per layer.

Nested spans are why the columns are per label: a QUOTE inside a CLAIM, or a
SOURCE inside a QUOTE, each keeps its own B-/I- run in its own column, so
nothing is hidden under a longer span. Columns are the project's labels in
the project's order (`order`, then name), the same for every document, and
named once at the top of the file::

    # global.columns = FORM START END CLAIM CUE QUOTE SOURCE STANCE_EVIDENCE
    # doc_id = gen-00001
    # annotator = anna
    # status = submitted
    # annotation_id = 17
    -DOCSTART-<TAB>_<TAB>_<TAB>O<TAB>O ...

    # sent_id = gen-00001/17/1
    Nasser<TAB>0<TAB>6<TAB>O<TAB>O<TAB>O<TAB>B-SOURCE<TAB>O
    ...

`# global.columns` is the CoNLL-U Plus header, which `conllu` reads for its
field names; `-DOCSTART-` is the CoNLL-2003 document line, which `datasets`'
conll reader skips (`skip_docstart`) and `conllu` reads as a one-token
sentence whose tags are all O. Comment lines start with "# " (a space after
the hash): a token line never does, since tokens contain no whitespace.

Tokens (`tokenize`): runs of word characters together with their combining
marks (Arabic harakat, Devanagari vowel signs, accents written apart) and
joiners (ZWNJ, ZWJ, soft hyphen); every other non-space character on its own
with its marks, emoji modifiers and ZWJ sequence (👍🏽 and 👨‍👩‍👧 are one token
each), a flag's two regional indicators as one. Whitespace, ZWSP (U+200B),
WORD JOINER and BOM separate tokens and are never part of one. START and END
are code points, like span offsets. A token belongs to a span when their
characters overlap, even partly.

A discontinuous span (a quote split by its attribution) tags the tokens of
its pieces only; the tokens of the gap between them are O (unless another
span of the label is there). Its first piece starts with B-, and every later
piece continues with I-: in a column, I- after O tokens continues the last
span tagged before them in the sentence, so the O run is the gap of one
span, never the start of another. A span's pieces stay in one sentence (no
sentence ends inside its outer bounds), and the document's
`# discontinuous = s1:QUOTE:10-20;35-60` comment lists each such span.
Readers that take I- after O as a new span (seqeval's lenient mode) see
the pieces as two spans of the label.

Within one column spans of that label may still overlap (two CLAIMs
crossing): the longest wins, then the earliest start; the other is left
out whole, so every B-/I- run is exactly one span. What is left out (and a
span over whitespace only, which covers no token) is listed in the
document's `# left_out = s3:CLAIM:12-40 ...` comment, never dropped silently.

Sentences: a line break (any of the characters `str.splitlines()` breaks on)
or a sentence end (`.`, `!`, `?`, `…`, `؟`, `。` ..., with closing quotes and
brackets kept with it, before whitespace) ends a sentence, except inside a
span: a sentence is not split where a span continues, so no sentence starts
inside one. A sentence longer than MAX_SENTENCE_TOKENS is cut at the last
whitespace before the cap that no span crosses; only when there is none (a
span longer than the cap) is it cut inside the span, whose continuation then
starts with B-, never with I-.
"""
import functools
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence

from . import span_pieces

MAX_SENTENCE_TOKENS = 200

# What str.splitlines() breaks on: any of these between two tokens ends a sentence.
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_SENTENCE_END = frozenset(".!?…؟。！？।۔")
_CLOSING = frozenset("\"'”’»›)]}」』")


@functools.cache
def token_pattern() -> re.Pattern:
    """The tokenizer's expression, built on first use (reading the Unicode tables takes ~50 ms)."""
    # Python's \w leaves out combining marks, which would cut ضَرُورِيٌّ into seven tokens.
    ranges, start = [], None
    for code in [*range(0x20000), 0x110000]:  # past U+1FFFF only variation selectors (added below) are marks
        is_mark = code < 0x20000 and unicodedata.category(chr(code)) in ("Mn", "Mc", "Me")
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            ranges.append(f"{chr(start)}-{chr(code - 1)}")
            start = None
    marks = "".join(ranges) + "\U000E0100-\U000E01EF"
    joiners = "\u200c\u200d\u00ad"  # ZWNJ, ZWJ, soft hyphen: inside words
    separators = "\u200b\u2060\ufeff"  # ZWSP, WORD JOINER, BOM: between tokens, like spaces
    return re.compile(
        "[\U0001F1E6-\U0001F1FF]{2}"  # a flag
        f"|[\\w{marks}{joiners}]+"  # a word
        f"|[^\\w\\s{separators}{marks}{joiners}]"  # any other character, with its marks, skin tone, ZWJ sequence
        f"(?:[{marks}\U0001F3FB-\U0001F3FF]|\u200d[^\\w\\s{separators}])*"
    )


def tokenize(text: str) -> list[tuple[int, int, str]]:
    """(start, end, token) for every token, offsets in code points."""
    return [(m.start(), m.end(), m.group()) for m in token_pattern().finditer(text)]


def _token_range(span: dict, starts: list[int], ends: list[int]) -> tuple[int, int]:
    first = bisect_right(ends, span["start"])  # first token ending after the span starts
    last = bisect_left(starts, span["end"]) - 1  # last token starting before the span ends
    return first, last


def _span_tokens(span: dict, starts: list[int], ends: list[int]) -> list[int]:
    """The tokens of the span's pieces, in order (a discontinuous span leaves out its gap's tokens)."""
    tokens: list[int] = []
    for start, end in span_pieces(span):
        first, last = _token_range({"start": start, "end": end}, starts, ends)
        tokens += range(max(first, tokens[-1] + 1 if tokens else 0), last + 1)
    return tokens


def place(tokens: list[tuple[int, int, str]], spans: Iterable[dict]) -> tuple[list[dict | None], list[dict]]:
    """Which span each token belongs to, for spans that share one column; and the spans left out.

    The longest span (in code points) wins, then the earliest start, then the
    label name; a span that would share a token with one already placed, or
    that covers no token, is left out whole.
    """
    starts = [start for start, _, _ in tokens]
    ends = [end for _, end, _ in tokens]
    owner: list[dict | None] = [None] * len(tokens)
    left_out = []
    for span in sorted(spans, key=lambda s: (s["start"] - s["end"], s["start"], s["label"])):
        mine = _span_tokens(span, starts, ends)
        if not mine or any(owner[i] is not None for i in mine):
            left_out.append(span)
            continue
        for i in mine:
            owner[i] = span
    return owner, left_out


def _tags(owner: list[dict | None], first: int, past: int, label: str) -> list[str]:
    """One column's tags for the tokens first..past-1 (one sentence): I- continues the last span tagged in the
    sentence, across O tokens (a discontinuous span's gap), never across another span's tokens."""
    tags, last = [], None
    for i in range(first, past):
        span = owner[i]
        if span is None:
            tags.append("O")
            continue
        tags.append(("I-" if span is last else "B-") + label)
        last = span
    return tags


def bio_tags(tokens: list[tuple[int, int, str]], spans: Iterable[dict]) -> list[str]:
    """One tag per token for spans sharing one column: B-LABEL, I-LABEL or O, overlaps resolved by `place`."""
    owner, _ = place(tokens, spans)
    return [tag if tag == "O" else tag[:2] + span["label"]
            for tag, span in zip(_tags(owner, 0, len(owner), "_"), owner, strict=True)]


def sentences(text: str, tokens: list[tuple[int, int, str]], spans: Iterable[dict],
              cap: int = MAX_SENTENCE_TOKENS) -> list[tuple[int, int]]:
    """(first token, past the last token) of each sentence, by the module's rule."""
    n = len(tokens)
    if not n:
        return []
    starts = [start for start, _, _ in tokens]
    ends = [end for _, end, _ in tokens]
    # crossing[g] > 0: some span covers both token g-1 and token g, so gap g is inside a span.
    crossing = [0] * (n + 1)
    for span in spans:
        first, last = _token_range(span, starts, ends)
        if first < last:
            crossing[first + 1] += 1
            crossing[last + 1] -= 1
    inside = [False] * (n + 1)
    depth = 0
    for g in range(n + 1):
        depth += crossing[g]
        inside[g] = depth > 0

    spaced = [False] * (n + 1)  # whitespace between token g-1 and token g
    natural = []  # gaps that end a sentence where no span continues
    ended = False  # token g-1 ends a sentence (or closes one that ended)
    for g in range(1, n):
        previous = tokens[g - 1][2]
        ended = previous in _SENTENCE_END or (ended and previous in _CLOSING and not spaced[g - 1])
        gap = text[ends[g - 1]:starts[g]]
        spaced[g] = bool(gap)
        if gap and not inside[g] and (ended or _LINE_BREAK.search(gap)):
            natural.append(g)
    natural.append(n)

    result, start = [], 0
    for boundary in natural:
        while boundary - start > cap:
            window = range(start + cap, start, -1)
            cut = (next((g for g in window if spaced[g] and not inside[g]), None)
                   or next((g for g in window if spaced[g]), None)
                   or start + cap)
            result.append((start, cut))
            start = cut
        result.append((start, boundary))
        start = boundary
    return result


def _comment(value) -> str:
    # One line, whatever the value holds: its whitespace (line separators included) becomes one space.
    return " ".join(str(value).split()) or "_"


def project_labels(annotation_id: int) -> list[str]:
    """The labels of the layer's project, in the project's order: the columns."""
    from annotate.models import Label  # the writers import no models at module level

    return list(Label.objects.filter(project__articles__annotations=annotation_id)
                .order_by("order", "name").values_list("name", flat=True))


def document(record: dict, labels: Sequence[str]) -> str:
    """The CoNLL lines of one record: comments, -DOCSTART-, then its sentences."""
    text, spans = record["text"], record["annotations"]["spans"]
    tokens = tokenize(text)
    by_label: dict[str, list[dict]] = {label: [] for label in labels}
    left_out = []
    for span in spans:
        (by_label[span["label"]] if span["label"] in by_label else left_out).append(span)
    columns = []
    for label in labels:
        owner, dropped = place(tokens, by_label[label])
        columns.append(owner)
        left_out += dropped

    external_id, annotation_id = _comment(record["external_id"]), record["annotation_id"]
    lines = [
        f"# doc_id = {external_id}",
        f"# annotator = {_comment(record['annotator'] or 'gold')}",
        f"# status = {_comment(record['status'])}",
        f"# annotation_id = {annotation_id}",
    ]
    if left_out:
        left_out.sort(key=lambda s: (s["start"], s["end"], s["label"]))
        lines.append("# left_out = " + " ".join(f"{s['id']}:{s['label']}:{s['start']}-{s['end']}" for s in left_out))
    split = [s for s in spans if len(span_pieces(s)) > 1]
    if split:
        lines.append("# discontinuous = " + " ".join(
            f"{s['id']}:{s['label']}:" + ";".join(f"{a}-{b}" for a, b in span_pieces(s)) for s in split))
    lines += ["\t".join(["-DOCSTART-", "_", "_", *("O" for _ in labels)]), ""]

    for number, (first, past) in enumerate(sentences(text, tokens, spans), start=1):
        lines.append(f"# sent_id = {external_id}/{annotation_id}/{number}")
        # I- only after the same span's token in this sentence (or its gap): a span cut by the cap starts
        # again with B-.
        tags = [_tags(owner, first, past, label) for label, owner in zip(labels, columns)]
        for i in range(first, past):
            start, end, token = tokens[i]
            lines.append("\t".join([token, str(start), str(end), *(column[i - first] for column in tags)]))
        lines.append("")
    return "\n".join(lines) + "\n"


def write_conll(records: Iterable[dict], *, labels: Sequence[str] | None = None) -> Iterator[bytes]:
    """The CoNLL file; `labels` (the columns) default to the project's labels, read at the first record."""
    header = False
    for record in records:
        if labels is None:
            # Records without a layer (--with-unannotated) come last; if they are all there is, no spans either.
            labels = project_labels(record["annotation_id"]) if record["annotation_id"] is not None else []
        if not header:
            header = True
            yield ("# global.columns = " + " ".join(["FORM", "START", "END", *labels]) + "\n").encode("utf-8")
        yield document(record, labels).encode("utf-8")
