"""SemEval-2016 task 6 TSV: one stance per row, `ID`, `Target`, `Tweet`, `Stance`, with a header line.

The text unit (the task's `Tweet` column) is the evidence sentence: the
sentence around each evidence span, by the rule the stance map's evidence
uses (annotate/dashboards.py: a sentence ends at . ! ? … followed by white
space, or at a line break); a stance whose evidence lies in several sentences
gets them all, in text order, joined by a space. A stance without evidence
spans takes its holder span's sentence; a stance with neither (a holder
entity and no evidence) has no text and is left out.

* `ID`: `<annotation_id>-<n>`, the layer's id and the stance's place in the
  layer (1, 2, ...): unique in the export and the same in every export.
* `Stance`: the project's polarity mapped to the task's three labels, by
  `STANCE_LABELS` (favor → FAVOR, against → AGAINST, neutral → NONE, and
  a few spellings of those); any other polarity is NONE.
* Tabs and line breaks (CR, LF, VT, FF, U+001C-U+001E, U+0085, U+2028,
  U+2029) in a cell become a space each, so every row is one line; nothing
  is quoted, as in the task's files. Read with `quoting=csv.QUOTE_NONE`.
"""
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from ...dashboards import SENTENCE_END

COLUMNS = ("ID", "Target", "Tweet", "Stance")
STANCE_LABELS = {
    "favor": "FAVOR", "favour": "FAVOR", "pro": "FAVOR", "support": "FAVOR",
    "against": "AGAINST", "con": "AGAINST", "oppose": "AGAINST",
    "neutral": "NONE", "none": "NONE",
}
_BREAKS = re.compile(r"[\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def one_line(value) -> str:
    """A TSV cell: text with every tab and line break replaced by a space."""
    return _BREAKS.sub(" ", "" if value is None else str(value))


def stance_label(polarity: str) -> str:
    return STANCE_LABELS.get(polarity.strip().lower(), "NONE")


class Sentences:
    """One text's sentence boundaries, found once; the sentence(s) around a span by bisection.

    The same rule as annotate.dashboards.sentence_around (from the end of the
    last sentence end before the span to the end of the first one after it),
    without scanning the text again for every span.
    """

    def __init__(self, text: str):
        self.text = text
        self.starts: list[int] = []
        self.ends: list[int] = []
        for match in SENTENCE_END.finditer(text):
            if text[self.ends[-1] if self.ends else 0:match.start()].isspace() or match.start() == 0:
                if self.ends:  # nothing but white space since the last end ("plan.\r\n"): the same end
                    self.ends[-1] = match.end()
                continue  # (or before the first sentence): no empty sentence, so numbers count real ones
            self.starts.append(match.start())
            self.ends.append(match.end())

    def bounds(self, start: int, end: int) -> tuple[int, int, int]:
        """(left, right, number): the unit's extent and the 1-based number of its first sentence."""
        before = bisect_right(self.ends, start)  # sentence ends at or before the span's start
        left = self.ends[before - 1] if before else 0
        following = bisect_left(self.starts, end)  # the first sentence end starting at or after the span's end
        right = self.ends[following] if following < len(self.ends) else len(self.text)
        return left, right, before + 1

    def around(self, start: int, end: int) -> str:
        left, right, _ = self.bounds(start, end)
        return self.text[left:right].strip()


class StanceInText(NamedTuple):
    id: str  # <annotation_id>-<n>, n the stance's place in the layer
    stance: dict
    holder: dict | None  # the holder span
    evidence: list[dict]  # the evidence spans, in text order
    sentence: str  # the sentence(s) around the evidence, else around the holder span; "" with neither


def stances_in_text(record: dict) -> Iterator[StanceInText]:
    """A layer's stances with their spans and evidence sentences (this TSV's and stance_table's rows)."""
    layer = record["annotations"]
    if not layer["stances"]:
        return
    spans = {span["id"]: span for span in layer["spans"]}
    sentences = Sentences(record["text"])
    for n, stance in enumerate(layer["stances"], start=1):
        evidence = sorted((spans[span_id] for span_id in stance["evidence"]), key=lambda s: (s["start"], s["end"]))
        holder = spans.get(stance["holder"]) if stance["holder"] else None
        anchors = evidence or ([holder] if holder else [])
        sentence = " ".join(record["text"][left:right].strip()
                            for left, right in _merged(sentences.bounds(s["start"], s["end"])[:2] for s in anchors))
        yield StanceInText(f"{record['annotation_id']}-{n}", stance, holder, evidence, sentence)


def stance_rows(record: dict) -> Iterator[tuple[str, str, str, str]]:
    for found in stances_in_text(record):
        if found.sentence:
            yield (found.id, one_line(found.stance["target"]), one_line(found.sentence),
                   stance_label(found.stance["polarity"]))


def _merged(units: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Extents in text order, overlapping ones joined, so no sentence is written twice."""
    merged: list[tuple[int, int]] = []
    for left, right in sorted(units):
        if merged and left < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(right, merged[-1][1]))
        else:
            merged.append((left, right))
    return merged


def write_tsv(columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> Iterator[bytes]:
    """A header line (even for an empty export), then the rows, tab separated, one line each.

    Also the check-worthiness writer's: its rows are one line each too (one_line)."""
    yield ("\t".join(columns) + "\n").encode("utf-8")
    for row in rows:
        yield ("\t".join(row) + "\n").encode("utf-8")


def write_stance_tsv(records: Iterable[dict]) -> Iterator[bytes]:
    return write_tsv(COLUMNS, (row for record in records for row in stance_rows(record)))
