"""The JSONL export read the way data people read it: pandas and datasets over real HTTP, with a token.

The snippets of docs/export.md ("Is it all there?") run here as they are written.
"""
import io
import urllib.error

import orjson
import pandas
import pytest
import requests
from django.urls import reverse
from rest_framework.authtoken.models import Token

from annotate.models import Membership, Project
from annotate.services.importing import import_file
from synthetic.corpus import TARGETS, annotated_records, to_jsonl

from .factories import make_member, make_project, make_user

# live_server answers from another thread: the data must be committed, not held in a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

RECORD_KEYS = {"external_id", "title", "source", "url", "published", "language", "caption", "metadata", "text",
               "annotations", "annotator", "status", "annotation_id", "updated_at", "schema_version", "article_labels"}


@pytest.fixture
def export_url(live_server):
    project = make_project("demo", targets=TARGETS)
    records = annotated_records(5, seed=2)
    import_file(io.BytesIO(to_jsonl(records)), name="corpus.jsonl", project_slug=project.slug,
                annotator=make_user("anna"))
    return live_server.url + reverse("api:export-jsonl", kwargs={"slug": project.slug}), records


def test_pandas_reads_the_jsonl_export_with_a_token(export_url):
    url, records = export_url
    engineer = make_member(Project.objects.get(slug="demo"), make_user("erin"), role=Membership.Role.ENGINEER)
    token = Token.objects.create(user=engineer)

    frame = pandas.read_json(url, lines=True, storage_options={"Authorization": f"Token {token.key}"})

    assert len(frame) == 5
    assert set(frame.columns) == RECORD_KEYS
    assert list(frame["external_id"]) == [r["external_id"] for r in records]
    assert list(frame["text"]) == [r["text"] for r in records]
    assert (frame["annotator"] == "anna").all() and (frame["status"] == "submitted").all()
    spans = frame["annotations"][0]["spans"]
    assert [(s["start"], s["end"], s["label"]) for s in spans] == [
        (s["start"], s["end"], s["label"]) for s in records[0]["annotations"]["spans"]]


@pytest.fixture
def authorization(export_url):
    engineer = make_member(Project.objects.get(slug="demo"), make_user("erin"), role=Membership.Role.ENGINEER)
    return {"Authorization": f"Token {Token.objects.create(user=engineer).key}"}


def test_the_documented_check_compares_x_export_count_with_the_records(export_url, authorization):
    url, _ = export_url
    response = requests.get(url, headers=authorization, timeout=60)
    response.raise_for_status()
    frame = pandas.read_json(io.BytesIO(response.content), lines=True)  # .content raises on a cut stream
    assert len(frame) == int(response.headers["X-Export-Count"]) == 5


def test_the_trailer_is_one_recognisable_line_and_the_rest_is_the_plain_file(export_url, authorization):
    url, _ = export_url
    plain = pandas.read_json(url, lines=True, storage_options=authorization)

    raw = requests.get(url + "?trailer=1", headers=authorization, timeout=60).content
    *lines, last = raw.splitlines()
    trailer = orjson.loads(last).get("_export")
    assert trailer == {"count": len(lines), "complete": True}
    pandas.testing.assert_frame_equal(pandas.read_json(io.BytesIO(b"\n".join(lines)), lines=True), plain)

    # Read as it is, the trailer is the one row with an `_export` value.
    with_trailer = pandas.read_json(io.BytesIO(raw), lines=True)
    assert list(with_trailer["_export"].notna()) == [False] * 5 + [True]


def test_datasets_loads_the_plain_export(export_url, authorization, tmp_path):
    datasets = pytest.importorskip("datasets", reason="HF datasets is not installed")
    url, records = export_url
    corpus = datasets.load_dataset("json", data_files=url, storage_options={"headers": authorization},
                                   cache_dir=str(tmp_path))
    assert corpus["train"].num_rows == 5
    assert set(corpus["train"].column_names) == RECORD_KEYS
    assert corpus["train"]["external_id"] == [r["external_id"] for r in records]


def test_without_a_token_pandas_gets_401(export_url):
    url, _ = export_url
    with pytest.raises(urllib.error.HTTPError) as error:
        pandas.read_json(url, lines=True)
    assert error.value.code == 401
