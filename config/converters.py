"""URL converters.

`<id:pk>`: a database id. Unlike `<int:>`, it refuses numbers a bigint cannot hold, so an
absurd id in a URL is a 404 instead of a database error (PostgreSQL checks the range).
"""
from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
