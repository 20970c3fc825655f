"""Holder–target–polarity: one stance per row with who holds it and its evidence sentences, for training
target-dependent stance classifiers (the SemEval layout, stance_tsv, has no holder).

Columns (tab separated, a header line, one line per row: line breaks and tabs become spaces, nothing
is quoted; read with `quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False`):

    id              <annotation_id>-<n>, as in stance_tsv: the same stance has the same id in both
    external_id     the article's
    annotator       the layer's (empty for gold)
    holder          the holder span's text (empty for a stance held by a source alone)
    holder_entity   the canonical source holding it, if any
    target          the stance target
    polarity        the project's polarity, as annotated
    label           FAVOR / AGAINST / NONE (stance_tsv.STANCE_LABELS)
    explicit        1 or 0
    evidence        the evidence spans' texts, in text order, joined by " | "
    sentence        the sentence(s) around the evidence (or the holder span), as in stance_tsv; empty
                    when the stance has neither: it is still written, unlike in stance_tsv
"""
from collections.abc import Iterable, Iterator

from .stance_tsv import one_line, stance_label, stances_in_text, write_tsv

COLUMNS = ("id", "external_id", "annotator", "holder", "holder_entity", "target", "polarity", "label",
           "explicit", "evidence", "sentence")


def stance_table_rows(record: dict) -> Iterator[tuple[str, ...]]:
    for found in stances_in_text(record):
        stance, holder = found.stance, found.holder
        yield (found.id, one_line(record["external_id"]), one_line(record["annotator"]),
               one_line(holder["text"] if holder else ""), one_line(stance.get("holder_entity")),
               one_line(stance["target"]), one_line(stance["polarity"]), stance_label(stance["polarity"]),
               "1" if stance.get("explicit") else "0", one_line(" | ".join(s["text"] for s in found.evidence)),
               one_line(found.sentence))


def write_stance_table(records: Iterable[dict]) -> Iterator[bytes]:
    return write_tsv(COLUMNS, (row for record in records for row in stance_table_rows(record)))
