"""CLEF CheckThat!-style check-worthiness TSV: `topic_id`, `sentence_id`, `sentence`, `label`, with a header line.

The layout of CheckThat! 2021 task 1a (`topic_id  tweet_id  tweet_url
tweet_text  claim  check_worthiness`) and 2022 task 1b (`topic  tweet_id
tweet_url  tweet_text  class_label`) reduced to what an article has: the
topic is the article (its external id), the unit a sentence, the label 1
(check-worthy) or 0.

Labels come from the spans' `check_worthy` attribute (CLAIM spans carry it;
any span that does counts): true, 1, "true", "yes" → 1; false, 0, "false",
"no" → 0; other values are not a label. A sentence (the same sentence rule
as the stance TSV and the stance map) is written when at least one span with
a label overlaps it: label 1 if any of them is check-worthy, else 0. A span
crossing a sentence end makes one unit of the sentences it touches.
Sentences with no labelled span are not written: the annotators said
nothing about them (they may not hold a claim at all).

* `topic_id`: the article's external id.
* `sentence_id`: `<annotation_id>-<n>`, n the sentence's number in the text
  (1-based; `<n>-<m>` for a unit of several sentences). Several layers of one
  article give the same sentences under their own layer ids: export one layer
  per article (`status=gold`, or `annotator=`) to get one label per sentence.
* Cells are one line each, tabs and line breaks replaced by spaces (as in the
  stance TSV); nothing is quoted. Read with `quoting=csv.QUOTE_NONE`.
"""
from collections.abc import Iterable, Iterator

from .stance_tsv import Sentences, one_line, write_tsv

COLUMNS = ("topic_id", "sentence_id", "sentence", "label")
ATTRIBUTE = "check_worthy"
_YES = (True, 1, "true", "yes", "1")
_NO = (False, 0, "false", "no", "0")


def _label(value) -> int | None:
    if isinstance(value, str):
        value = value.strip().lower()
    elif not isinstance(value, (bool, int)):
        return None
    if value in _YES:
        return 1
    if value in _NO:
        return 0
    return None


def sentence_rows(record: dict) -> Iterator[tuple[str, str, str, str]]:
    labelled = [(span, _label(span["attributes"][ATTRIBUTE])) for span in record["annotations"]["spans"]
                if ATTRIBUTE in span["attributes"]]
    labelled = [(span, label) for span, label in labelled if label is not None]
    if not labelled:
        return
    sentences = Sentences(record["text"])
    units = []  # [left, right, first sentence, last sentence, label], merged where they overlap
    for left, right, first, last, label in sorted(
        (*sentences.bounds(span["start"], span["end"]), sentences.bounds(max(span["end"] - 1, span["start"]),
                                                                          span["end"])[2], label)
        for span, label in labelled
    ):
        if units and left < units[-1][1]:
            unit = units[-1]
            unit[1], unit[3], unit[4] = max(unit[1], right), max(unit[3], last), max(unit[4], label)
        else:
            units.append([left, right, first, last, label])
    for left, right, first, last, label in units:
        number = str(first) if first == last else f"{first}-{last}"
        yield (one_line(record["external_id"]), f"{record['annotation_id']}-{number}",
               one_line(record["text"][left:right].strip()), str(label))


def write_checkworthy_tsv(records: Iterable[dict]) -> Iterator[bytes]:
    return write_tsv(COLUMNS, (row for record in records for row in sentence_rows(record)))
