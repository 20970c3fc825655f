"""Reading the layer version a writer edited: `If-Match: "7"` or `"version": 7` in the body."""
from django.core.exceptions import ValidationError


def expected_version(request) -> int | None:
    header = request.headers.get("If-Match")
    if header:
        value = header.strip().removeprefix("W/").strip('"')
    else:
        value = request.data.get("version") if hasattr(request.data, "get") else None
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({"version": f"must be an integer layer version, got {value!r}"}) from None


def etag(version: int) -> str:
    return f'"{version}"'
