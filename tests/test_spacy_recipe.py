"""The documented spaCy recipe (examples/spacy_docbin.py) over a real export: every span, relation and stance
arrives in the DocBin, through spaCy's own serialisation."""
import importlib.util
import io
import json
from pathlib import Path

import pytest
from django.urls import reverse

from annotate.services.importing import import_file
from synthetic.corpus import TARGETS, annotated_records, to_jsonl

from .edge_corpus import make_edge_project
from .factories import api_client, make_project, make_user

spacy = pytest.importorskip("spacy")
RECIPE = Path(__file__).resolve().parent.parent / "examples" / "spacy_docbin.py"


def _recipe():
    spec = importlib.util.spec_from_file_location("spacy_docbin", RECIPE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _export(user, slug) -> list[dict]:
    response = api_client(user).get(reverse("api:export-jsonl", args=[slug]), {"status": "all"})
    return [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]


def _plain(value):
    return json.loads(json.dumps(value))


def _round_trip(records, tmp_path):
    from spacy.tokens import DocBin

    nlp = spacy.blank("xx")
    DocBin(store_user_data=True, docs=_recipe().docs_from_records(nlp, records)).to_disk(tmp_path / "c.spacy")
    return list(DocBin().from_disk(tmp_path / "c.spacy").get_docs(nlp.vocab))


@pytest.mark.parametrize("source", ["synthetic", "edge"])
def test_every_span_relation_and_stance_reaches_the_docbin(source, db, tmp_path, superuser):
    if source == "edge":
        project = make_edge_project()
    else:
        project = make_project("spacy", targets=TARGETS)
        owner = make_user("sam")
        import_file(io.BytesIO(to_jsonl(annotated_records(15))), name="c.jsonl", project_slug=project.slug,
                    annotator=owner)
    records = _export(superuser, project.slug)
    assert records
    docs = _round_trip(records, tmp_path)
    assert len(docs) == len(records)
    for record, doc in zip(records, docs, strict=True):
        assert doc.text == record["text"]
        assert doc.user_data["external_id"] == record["external_id"]
        # (DocBin keeps user data as msgpack, which gives lists back as tuples.)
        assert _plain(doc.user_data["relations"]) == record["annotations"]["relations"]
        assert _plain(doc.user_data["stances"]) == record["annotations"]["stances"]
        placed = {span.id_: span for group in doc.spans.values() for span in group}
        widened = {span_id for span_id, _, _ in doc.user_data["widened"]}
        for span in record["annotations"]["spans"]:
            found = placed.get(span["id"])
            if span["id"] in widened:  # ends inside a token ("𝕏." is one token): whole tokens around it
                assert found is None or found.start_char <= span["start"] < span["end"] <= found.end_char
                continue
            assert (found.start_char, found.end_char, found.label_) == (span["start"], span["end"], span["label"])
            assert found.text == span["text"] and found.kb_id_ == (span.get("entity") or "")
        assert widened <= {span["id"] for span in record["annotations"]["spans"]}
    if source == "synthetic":  # news-like text: widening is the exception, not the rule
        spans = sum(len(record["annotations"]["spans"]) for record in records)
        assert sum(len(doc.user_data["widened"]) for doc in docs) < spans / 10
