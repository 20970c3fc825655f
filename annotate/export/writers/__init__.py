"""One small module per export format. Each writer takes the record iterator and yields bytes."""


def span_pieces(span: dict) -> list[list[int]]:
    """A record's span as its pieces, [[start, end], ...]: records.py always writes `fragments`; records made
    by hand (or before discontinuous spans) without them are the ordinary one-piece span."""
    return span.get("fragments") or [[span["start"], span["end"]]]
