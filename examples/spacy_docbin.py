"""Our JSONL export as a spaCy DocBin: spans per label in `doc.spans`, relations and stances in `doc.user_data`.

    python examples/spacy_docbin.py corpus.jsonl corpus.spacy [--lang xx]

spaCy is not a dependency of the tool: install it where you train (`pip install spacy`). A blank pipeline
tokenizes (`xx`, multilingual, by default; the language of the records is in `doc.user_data["language"]`).

* `doc.spans[LABEL]`: a SpanGroup per span label, the span's `id` as its `id_`, its source (entity) as `kb_id_`.
  Offsets are code points, as spaCy's character offsets are. A span whose ends fall inside a token is widened
  to whole tokens (`alignment_mode="expand"`); `doc.user_data["widened"]` lists them (span id, start, end).
* `doc.user_data["relations"]`: [{"from", "to", "type"}] by span id; `doc.user_data["stances"]`: the record's
  stances as they are (holder and evidence by span id).
* `doc.user_data` also holds `external_id`, `annotation_id`, `annotator`, `status`, `language`.
"""
import argparse
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator


def docs_from_records(nlp, records: Iterable[dict]) -> Iterator:
    from spacy.tokens import Span

    for record in records:
        if "_export" in record:  # the completion record of ?trailer=1
            continue
        doc = nlp.make_doc(record["text"])
        layer = record["annotations"]
        groups, widened = defaultdict(list), []
        for span in layer["spans"]:
            found = doc.char_span(span["start"], span["end"], label=span["label"], alignment_mode="expand")
            if found is None:  # white space only: no token to hold it
                widened.append((span["id"], span["start"], span["end"]))
                continue
            if (found.start_char, found.end_char) != (span["start"], span["end"]):
                widened.append((span["id"], span["start"], span["end"]))
            groups[span["label"]].append(Span(doc, found.start, found.end, label=span["label"],
                                              kb_id=span.get("entity") or "", span_id=span["id"]))
        for label, spans in groups.items():
            doc.spans[label] = spans
        doc.user_data.update({
            "external_id": record["external_id"], "annotation_id": record.get("annotation_id"),
            "annotator": record.get("annotator"), "status": record.get("status"),
            "language": record.get("language"), "relations": layer["relations"], "stances": layer["stances"],
            "widened": widened,
        })
        yield doc


def main() -> None:
    import spacy
    from spacy.tokens import DocBin

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jsonl")
    parser.add_argument("output")
    parser.add_argument("--lang", default="xx")
    options = parser.parse_args()
    nlp = spacy.blank(options.lang)
    with open(options.jsonl, encoding="utf-8") as lines:
        records = (json.loads(line) for line in lines if line.strip())
        docbin = DocBin(store_user_data=True, docs=docs_from_records(nlp, records))
    docbin.to_disk(options.output)
    print(f"{len(docbin)} doc(s) written to {options.output}")


if __name__ == "__main__":
    main()
