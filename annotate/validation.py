"""The rules every write obeys, whichever door it comes in by (admin, API, UI, import).

Each check raises django.core.exceptions.ValidationError keyed by the field it
is about, so callers can report "annotations.spans[3].end: ..." or a 400 that
names the field.
"""
from django.core.exceptions import ValidationError


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_span_offsets(text: str, start, end, snapshot: str | None = None) -> None:
    """Offsets are code points into `text`, end exclusive: 0 <= start < end <= len(text).

    When a snapshot (the covered text as the client saw it) is given it must
    equal text[start:end]; a mismatch means the client counted differently
    (UTF-16, bytes) or annotated another version of the text.
    """
    errors = {}
    if not _is_int(start):
        errors["start"] = f"must be an integer, got {start!r}"
    if not _is_int(end):
        errors["end"] = f"must be an integer, got {end!r}"
    if errors:
        raise ValidationError(errors)
    if start < 0:
        raise ValidationError({"start": f"must be >= 0, got {start}"})
    if end <= start:
        raise ValidationError({"end": f"must be greater than start ({start}), got {end}"})
    if end > len(text):
        raise ValidationError({"end": f"is past the end of the text ({len(text)} code points), got {end}"})
    if snapshot is not None and text[start:end] != snapshot:
        raise ValidationError({
            "text": f"does not match the article text at {start}:{end}: "
                    f"expected {text[start:end]!r}, got {snapshot!r}"
        })


def check_same_project(field: str, item, project_id: int) -> None:
    if item is not None and item.project_id != project_id:
        raise ValidationError({field: f"{item} belongs to another project."})


# Discontinuous spans ---------------------------------------------------------------------------------------
# A span's pieces, [[start, end], ...]: ordered, apart (pieces that touch are one piece), each a valid
# code-point range. `start`/`end` of the span are the outer bounds; the span's text is its pieces' texts
# joined by one space (brat's convention), so an ordinary one-piece span's text is text[start:end].

MAX_FRAGMENTS = 50  # a quote split by a dozen attributions is plenty; a bound keeps a write's cost bounded
FRAGMENT_JOINER = " "


def fragment_text(text: str, fragments) -> str:
    """The covered text of a span with these pieces: each piece's text, joined by one space."""
    return FRAGMENT_JOINER.join(text[start:end] for start, end in fragments)


def check_span_fragments(text: str, fragments, snapshot: str | None = None) -> None:
    """Fragments are a list of [start, end] code-point ranges into `text`, ordered and not touching.

    Errors are keyed `fragments` (the list as a whole) or `fragments[i]` (one piece), so a caller can
    say "annotations.spans[3].fragments[1]: ...". A snapshot, when given, must equal fragment_text().
    """
    if not isinstance(fragments, list | tuple) or not fragments:
        raise ValidationError({"fragments": f"must be a non-empty list of [start, end] pairs, got {fragments!r}"})
    if len(fragments) > MAX_FRAGMENTS:
        raise ValidationError({"fragments": f"at most {MAX_FRAGMENTS} fragments, got {len(fragments)}"})
    for i, piece in enumerate(fragments):
        key = f"fragments[{i}]"
        if not isinstance(piece, list | tuple) or len(piece) != 2:
            raise ValidationError({key: f"must be a [start, end] pair, got {piece!r}"})
        try:
            check_span_offsets(text, piece[0], piece[1])
        except ValidationError as error:
            raise ValidationError({key: "; ".join(f"{field} {message}" for field, messages in
                                                  error.message_dict.items() for message in messages)}) from None
        if i:
            before = fragments[i - 1]
            if piece[0] < before[1]:
                raise ValidationError({key: f"starts at {piece[0]}, before fragments[{i - 1}] ends ({before[1]}): "
                                            "fragments are in order and do not overlap"})
            if piece[0] == before[1]:
                raise ValidationError({key: f"touches fragments[{i - 1}] (both meet at {piece[0]}): pieces that "
                                            f"touch are one piece, send [{before[0]}, {piece[1]}] instead"})
    if snapshot is not None and fragment_text(text, fragments) != snapshot:
        raise ValidationError({"text": f"does not match the article text at {fragments_label(fragments)}: expected "
                                       f"{fragment_text(text, fragments)!r}, got {snapshot!r}"})


def fragments_label(fragments) -> str:
    """Pieces written as brat writes them: "10:20;35:60"."""
    return ";".join(f"{start}:{end}" for start, end in fragments)


def stored_fragments(fragments) -> list[list[int]] | None:
    """What Span.fragments holds for these (checked) pieces: NULL for one piece, the ordinary span."""
    pieces = [[start, end] for start, end in fragments]
    return pieces if len(pieces) > 1 else None


def span_pieces(start: int, end: int, fragments) -> list[list[int]]:
    """A span's pieces from its stored columns (a NULL `fragments` is the one piece [start, end])."""
    return [[s, e] for s, e in fragments] if fragments else [[start, end]]


def check_span_shape(text: str, start, end, fragments, snapshot: str | None = None) -> list[list[int]]:
    """A span given by start/end, by fragments, or by both (which must agree): its checked pieces.

    start/end are the outer bounds of the pieces (the first one's start, the last one's end).
    """
    if fragments is None:
        if start is None and end is None:
            raise ValidationError({"start": "give start and end, or fragments."})
        check_span_offsets(text, start, end, snapshot)
        return [[start, end]]
    check_span_fragments(text, fragments, snapshot)
    for field, value, outer in (("start", start, fragments[0][0]), ("end", end, fragments[-1][1])):
        if value is not None and value != outer:
            raise ValidationError({field: f"is {value}, but the fragments' outer bound is {outer}: start and end "
                                          "are the first fragment's start and the last fragment's end."})
    return [[s, e] for s, e in fragments]
