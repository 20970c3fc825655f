"""The export formats by name: how each is written and served."""
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .writers.article_labels import write_article_labels_csv, write_article_labels_parquet
from .writers.attributions import write_attributions
from .writers.brat import write_brat
from .writers.checkworthy_tsv import write_checkworthy_tsv
from .writers.conll import write_conll
from .writers.csv_table import write_csv
from .writers.csv_tables import write_csv_tables
from .writers.json_array import write_json_array
from .writers.jsonl import write_jsonl
from .writers.parquet import write_parquet
from .writers.stance_table import write_stance_table
from .writers.stance_tsv import write_stance_tsv


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    content_type: str
    write: Callable[[Iterable[dict]], Iterator[bytes]]
    # Whether a completion record (completion.py) fits: only where each record is a JSON object.
    takes_completion_record: bool = False
    # Whether it writes status=suggestions (export/suggestions.py): records in their own shape, not layers'.
    takes_suggestions: bool = False


FORMATS = {
    f.name: f
    for f in (
        ExportFormat("jsonl", "jsonl", "application/x-ndjson; charset=utf-8", write_jsonl,
                     takes_completion_record=True, takes_suggestions=True),
        ExportFormat("json", "json", "application/json", write_json_array, takes_completion_record=True,
                     takes_suggestions=True),
        ExportFormat("csv", "csv", "text/csv; charset=utf-8", write_csv),
        ExportFormat("conll", "conll", "text/plain; charset=utf-8", write_conll),
        ExportFormat("brat", "zip", "application/zip", write_brat),
        # For ML pipelines and the field's datasets (docs/export.md, "Formats for training").
        ExportFormat("parquet", "parquet", "application/vnd.apache.parquet", write_parquet),
        ExportFormat("attributions", "attributions.jsonl", "application/x-ndjson; charset=utf-8",
                     write_attributions),
        ExportFormat("stance_tsv", "stance.tsv", "text/tab-separated-values; charset=utf-8", write_stance_tsv),
        ExportFormat("stance_table", "stances.tsv", "text/tab-separated-values; charset=utf-8",
                     write_stance_table),
        ExportFormat("checkworthy_tsv", "checkworthy.tsv", "text/tab-separated-values; charset=utf-8",
                     write_checkworthy_tsv),
        ExportFormat("csv_tables", "csv.zip", "application/zip", write_csv_tables),
        # The article-level answers, one row per layer x question (writers/article_labels.py).
        ExportFormat("article_labels_csv", "article_labels.csv", "text/csv; charset=utf-8", write_article_labels_csv),
        ExportFormat("article_labels_parquet", "article_labels.parquet", "application/vnd.apache.parquet",
                     write_article_labels_parquet),
    )
}

# jsonl, json
RECORD_FORMATS = tuple(name for name, f in FORMATS.items() if f.takes_completion_record)

# Writers yield small pieces (a record, an entry); a response or a file takes
# them in chunks of this size, so a stream is a few thousand writes, not millions.
CHUNK_BYTES = 256 * 1024


def in_chunks(pieces: Iterable[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    buffer, held = [], 0
    for piece in pieces:
        buffer.append(piece)
        held += len(piece)
        if held >= size:
            yield b"".join(buffer)
            buffer, held = [], 0
    if buffer:
        yield b"".join(buffer)
