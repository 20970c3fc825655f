"""The opt-in completion record (`?trailer=1`, `--trailer`): a last record saying the stream ended.

A pipeline that stores the raw stream (a file on object storage, a message
queue) loses the HTTP framing that tells a cut-short response from a whole
one; the completion record keeps that knowledge in the bytes. It counts the
records this stream actually wrote, not the count taken when the response
started (X-Export-Count), so a consumer compares like with like.
"""
from collections.abc import Iterable, Iterator, Mapping

from .filters import FilterError
from .formats import RECORD_FORMATS, ExportFormat

TRAILER_KEY = "_export"

_YES, _NO = ("1", "true", "yes"), ("", "0", "false", "no")


def completion_record(count: int) -> dict:
    return {TRAILER_KEY: {"count": count, "complete": True}}


def with_completion_record(records: Iterable[dict]) -> Iterator[dict]:
    """The records, then the completion record counting them (written only once the last one was)."""
    count = 0
    for record in records:
        count += 1
        yield record
    yield completion_record(count)


def parse_trailer(params: Mapping[str, str], *, export_format: ExportFormat) -> bool:
    """Whether `trailer` asks for the completion record, or FilterError naming `trailer`.

    Only the formats whose records are JSON objects (jsonl, json) can carry one:
    a CSV row, a CoNLL document or a zip entry would be read as data, so those
    refuse it rather than ignore it (a pipeline relying on it would otherwise
    never notice it is missing).
    """
    raw = (params.get("trailer") or "").strip().lower()
    if raw not in _YES + _NO:
        raise FilterError("trailer", f"must be 1 or 0, got {raw!r}")
    wanted = raw in _YES
    if wanted and not export_format.takes_completion_record:
        raise FilterError("trailer", f"{export_format.name} has no completion record (only "
                                     f"{' and '.join(RECORD_FORMATS)} do); check X-Export-Count instead")
    return wanted
