"""JSON Lines: one interchange record per line, the format `import_articles` reads back."""
from collections.abc import Iterable, Iterator

import orjson


def write_jsonl(records: Iterable[dict]) -> Iterator[bytes]:
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for record in records:
        yield dumps(record, option=newline)
