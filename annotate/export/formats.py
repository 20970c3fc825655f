"""The export formats by name: how each is written and served."""
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .writers.brat import write_brat
from .writers.conll import write_conll
from .writers.csv_table import write_csv
from .writers.json_array import write_json_array
from .writers.jsonl import write_jsonl


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    content_type: str
    write: Callable[[Iterable[dict]], Iterator[bytes]]
    # Whether a completion record (completion.py) fits: only where each record is a JSON object.
    takes_completion_record: bool = False


FORMATS = {
    f.name: f
    for f in (
        ExportFormat("jsonl", "jsonl", "application/x-ndjson; charset=utf-8", write_jsonl,
                     takes_completion_record=True),
        ExportFormat("json", "json", "application/json", write_json_array, takes_completion_record=True),
        ExportFormat("csv", "csv", "text/csv; charset=utf-8", write_csv),
        ExportFormat("conll", "conll", "text/plain; charset=utf-8", write_conll),
        ExportFormat("brat", "zip", "application/zip", write_brat),
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
