"""Attribution frames (PolNeAR / PARC style): one JSON line per attribution, source, cue and content.

Built from each layer's QUOTE spans (the content) and their relations:
`ATTRIBUTED_TO` (quote → source) gives the source and `CUE_OF` (cue → quote)
the cue. One line per (quote, source) pair, in the quote's text order then
the source's: a quote attributed to two sources ("France and Spain said ...")
is two frames, as in PolNeAR, where every frame has one source.

* A quote with no source is left out: a frame without a source is not an
  attribution in PolNeAR or PARC, and `source` is always an object here. The
  JSONL export still holds the quote.
* A quote with several cues gets the first one in text order; `cue` is null
  when it has none.
* `type` is the QUOTE span's `quote_type` attribute (`direct`, `indirect`,
  `mixed` where the annotators gave it), null when it is missing or not text.
* `article` is the article's id (as in the REST API, /api/v1/articles/<id>/),
  `external_id` its import id, `annotator` the layer's (null for gold),
  `annotation_id` the layer's, for joining with the other exports and
  deduplicating incremental pulls.

The records carry no article id, so the writer looks the ids up, one query
for each `LOOKUP_LAYERS` records (the export's own batch size).
"""
from collections.abc import Iterable, Iterator

import orjson

from config.routers import replica_reads

from ...models import Annotation
from . import span_pieces

QUOTE, ATTRIBUTED_TO, CUE_OF = "QUOTE", "ATTRIBUTED_TO", "CUE_OF"
LOOKUP_LAYERS = 250  # the record iterator's batch: one lookup per batch, one batch of records held

# U+2028, U+2029 and U+0085 are valid raw in JSON strings, but str.splitlines() and other Unicode-aware line
# readers end a line at them and would cut a frame in half: written escaped. (In UTF-8 these byte sequences
# cannot occur inside another character, so replacing bytes is exact.)
_LINE_BREAKS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"), (b"\xc2\x85", b"\\u0085"))


def escape_line_breaks(line: bytes) -> bytes:
    for raw, escaped in _LINE_BREAKS:
        if raw in line:
            line = line.replace(raw, escaped)
    return line


def _extent(span: dict) -> dict:
    # fragments: a quote split by its attribution is one content in pieces; text joins them with a space.
    return {"start": span["start"], "end": span["end"], "fragments": span_pieces(span), "text": span["text"]}


def attributions(record: dict, article: int | None) -> Iterator[dict]:
    """The attribution frames of one record (one layer)."""
    layer = record["annotations"]
    spans = {span["id"]: span for span in layer["spans"]}
    sources: dict[str, list[dict]] = {}
    cues: dict[str, list[dict]] = {}
    for relation in layer["relations"]:
        if relation["type"] == ATTRIBUTED_TO:
            sources.setdefault(relation["from"], []).append(spans[relation["to"]])
        elif relation["type"] == CUE_OF:
            cues.setdefault(relation["to"], []).append(spans[relation["from"]])
    for quote in layer["spans"]:  # in text order
        if quote["label"] != QUOTE or quote["id"] not in sources:
            continue
        quote_type = quote["attributes"].get("quote_type")
        found = sorted(cues.get(quote["id"], ()), key=_order)
        cue = _extent(found[0]) if found else None
        for source in sorted(sources[quote["id"]], key=_order):
            yield {
                "article": article,
                "external_id": record["external_id"],
                "annotator": record["annotator"],
                "annotation_id": record["annotation_id"],
                "source": {**_extent(source), "entity": source["entity"]},
                "cue": cue,
                "content": _extent(quote),
                "type": quote_type if isinstance(quote_type, str) else None,
            }


def _order(span: dict) -> tuple:
    # Local ids are given in (start, end, id) order, so "s2" before "s10" breaks ties as the database did.
    return span["start"], span["end"], len(span["id"]), span["id"]


def _article_ids(annotation_ids: list[int]) -> dict[int, int]:
    with replica_reads():
        return dict(Annotation.objects.filter(pk__in=annotation_ids).values_list("pk", "article_id"))


def write_attributions(records: Iterable[dict]) -> Iterator[bytes]:
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    pending: list[dict] = []

    def flush() -> bytes:
        ids = _article_ids([r["annotation_id"] for r in pending if r["annotation_id"] is not None])
        lines = [dumps(frame, option=newline)
                 for record in pending for frame in attributions(record, ids.get(record["annotation_id"]))]
        pending.clear()
        return escape_line_breaks(b"".join(lines))

    for record in records:
        pending.append(record)
        if len(pending) >= LOOKUP_LAYERS:
            yield flush()
    if pending:
        yield flush()
