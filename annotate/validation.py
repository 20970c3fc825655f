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
