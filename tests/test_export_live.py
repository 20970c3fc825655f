"""The JSONL export read the way data people read it: pandas over real HTTP, authenticated by a token."""
import io
import urllib.error

import pandas
import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from annotate.models import Membership, Project
from annotate.services.importing import import_file
from synthetic.corpus import TARGETS, annotated_records, to_jsonl

from .factories import make_member, make_project, make_user

# live_server answers from another thread: the data must be committed, not held in a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

RECORD_KEYS = {"external_id", "title", "source", "url", "published", "language", "caption", "metadata", "text",
               "annotations", "annotator", "status", "annotation_id", "updated_at", "schema_version"}


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


def test_without_a_token_pandas_gets_401(export_url):
    url, _ = export_url
    with pytest.raises(urllib.error.HTTPError) as error:
        pandas.read_json(url, lines=True)
    assert error.value.code == 401
