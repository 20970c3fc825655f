"""Label Studio's JSON export: an array of tasks, each with `data` and `annotations[].result[]`.

* `data.text` is the article's text (else `data`'s only string value); `data.external_id`, else the
  task's `id`, is its external id; `title`, `caption`, `source`, `url`, `published` and `language`
  in `data` are kept as the record's fields.
* Each annotation not `was_cancelled` becomes one layer (one record); its annotator is
  `completed_by`'s email or username where the export has them (an integer id names no user:
  give --annotator). A task without annotations becomes an article without a layer. Predictions
  are not imported.
* `labels` results become spans (`value.start`/`end`, one span per label of a region); `relation`
  results become relations (`from_id` -> `to_id`, one per label; `direction: left` swaps them,
  `bi` reads as `right`).
* `choices` (and `textarea`, `rating`, `number`, `taxonomy`) on a region, that is with the region's
  id, become attributes of its spans named by `from_name`; the same on the whole task go to the
  article's metadata under `labelstudio_choices`. One choice is kept as a string, several as a list.

Offsets: Label Studio writes code points since its 1.x frontend; older exports counted UTF-16 units.
Where a region's `value.text` does not match the code-point reading and does match the UTF-16 one,
its offsets are converted.
"""
import io
from collections.abc import Iterator
from pathlib import Path

import orjson

from ..reading import Read, Unreadable
from . import json_array_lines, utf16_to_code_points

ARTICLE_FIELDS = ("title", "caption", "source", "url", "published", "language")
# Result types that classify (a region, or the whole task) and the key of their value.
CLASSIFICATIONS = {"choices": "choices", "textarea": "text", "rating": "rating", "number": "number",
                   "taxonomy": "taxonomy"}


def read_labelstudio(stream: io.BufferedIOBase, name: str, *, language: str) -> Iterator[Read]:
    raw = stream.read()
    try:
        tasks = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        yield 0, Unreadable(f"malformed JSON: {error}")
        return
    if isinstance(tasks, dict):  # one task exported on its own
        tasks, lines = [tasks], [1]
    elif isinstance(tasks, list):
        lines = json_array_lines(raw)
    else:
        yield 0, Unreadable(f"a Label Studio export is a JSON array of tasks, got {type(tasks).__name__}")
        return
    if len(lines) != len(tasks):  # not expected; the task's position is then the best we can say
        lines = list(range(1, len(tasks) + 1))
    stem = Path(name).stem
    for index, (task, line) in enumerate(zip(tasks, lines, strict=True), start=1):
        yield from _task(task, line, f"{stem}-{index}", language)


def _task(task, line: int, fallback_id: str, language: str) -> Iterator[Read]:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        yield line, Unreadable("data: a Label Studio task is an object with a `data` object")
        return
    data = task["data"]
    text = data.get("text")
    if not isinstance(text, str):
        strings = [value for value in data.values() if isinstance(value, str)]
        if len(strings) != 1:
            yield line, Unreadable("data.text: missing (the task's text: `data.text`, or data's only string)")
            return
        text = strings[0]
    external_id = data.get("external_id", task.get("id", fallback_id))
    article = {"external_id": str(external_id), "text": text, "language": language}
    article.update({key: data[key] for key in ARTICLE_FIELDS if isinstance(data.get(key), str)})
    article["metadata"] = {"labelstudio_task": task.get("id")}
    annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    if not annotations:
        yield line, article
        return
    for annotation in annotations:
        record = dict(article, metadata=dict(article["metadata"]))
        layer, choices, problem = _layer(annotation.get("result") or [], text)
        if problem:
            yield line, Unreadable(problem)
            continue
        if choices:
            record["metadata"]["labelstudio_choices"] = choices
        record["annotations"] = layer
        annotator = _annotator(annotation.get("completed_by"))
        if annotator:
            record["annotator"] = annotator
        yield line, record


def _annotator(completed_by) -> str | None:
    if isinstance(completed_by, dict):
        return completed_by.get("email") or completed_by.get("username") or None
    return completed_by if isinstance(completed_by, str) and completed_by else None


def _offsets(text: str, value: dict) -> tuple[int, int]:
    start, end, snapshot = value.get("start"), value.get("end"), value.get("text")
    if (type(start) is int and type(end) is int and isinstance(snapshot, str) and text[start:end] != snapshot):
        table = utf16_to_code_points(text)
        if 0 <= start < end < len(table):
            converted = table[start], table[end]
            if None not in converted and text[converted[0]:converted[1]] == snapshot:
                return converted
    return start, end


def _classification(result: dict):
    value = result.get("value") or {}
    found = value.get(CLASSIFICATIONS[result["type"]])
    return found[0] if isinstance(found, list) and len(found) == 1 else found


def _layer(results: list, text: str) -> tuple[dict, dict, str | None]:
    """The layer of one annotation, the task-level choices, or a problem."""
    spans, relations, choices = [], [], {}
    span_ids: dict[str, list[dict]] = {}  # region id -> its spans (one per label)
    per_region = []
    for n, result in enumerate(results):
        if not isinstance(result, dict):
            return {}, {}, f"annotations.result[{n}]: must be an object"
        kind = result.get("type")
        if kind == "labels":
            value = result.get("value") or {}
            labels = value.get("labels") or []
            if not labels:
                return {}, {}, f"result {result.get('id')!r}: a `labels` region without a label"
            start, end = _offsets(text, value)
            region = str(result.get("id", f"r{n}"))
            for k, label in enumerate(labels):
                span = {"id": region if k == 0 else f"{region}#{k}", "start": start, "end": end, "label": label,
                        "attributes": {}}
                if isinstance(value.get("text"), str):
                    span["text"] = value["text"]
                spans.append(span)
                span_ids.setdefault(region, []).append(span)
        elif kind == "relation":
            source, target = str(result.get("from_id")), str(result.get("to_id"))
            if result.get("direction") == "left":
                source, target = target, source
            for label in result.get("labels") or [""]:
                relations.append({"from": source, "to": target, "type": label})
        elif kind in CLASSIFICATIONS:
            per_region.append(result)
    for result in per_region:
        name, value = str(result.get("from_name", result["type"])), _classification(result)
        region = str(result.get("id"))
        if region in span_ids:
            for span in span_ids[region]:
                span["attributes"][name] = value
        else:
            choices[name] = value
    # A relation names a region: its first span.
    return {"spans": spans, "relations": relations, "stances": []}, choices, None
