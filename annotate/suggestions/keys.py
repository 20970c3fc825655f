"""A suggestion's key: what it proposes, written as text, so a decision about it (accept, reject) holds
for the same proposal made again later by a new run, or by another recommender.

A span is its label and offsets; a relation its type and its two ends' keys; a stance its target,
polarity and holder (a span's key or a source's id).
"""


def span_key(label: str, start: int, end: int) -> str:
    return f"span|{label}|{start}|{end}"


def relation_key(type_name: str, from_key: str, to_key: str) -> str:
    return f"relation|{type_name}|{from_key}|{to_key}"


def stance_key(target: str, polarity: str, holder_key: str | None, holder_entity: int | None) -> str:
    return f"stance|{target}|{polarity}|{holder_key or ''}|{holder_entity or ''}"
