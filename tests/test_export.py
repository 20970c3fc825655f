"""Exporting a project: one record iterator, five formats, filters, caching headers, and a fixed query budget."""
import csv
import datetime as dt
import io
import json
import re
import zipfile
from urllib.parse import urlencode

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate.export import ExportFilters, iter_records, records
from annotate.export.writers.conll import bio_tags, tokenize
from annotate.models import Annotation, Membership, Relation, Stance
from annotate.services.importing import import_file
from synthetic.corpus import annotated_records, to_jsonl

from .factories import (
    api_client,
    make_annotation,
    make_article,
    make_entity,
    make_member,
    make_project,
    make_span,
    make_user,
)

pytestmark = pytest.mark.django_db

RECORD_KEYS = {"external_id", "title", "source", "url", "published", "language", "caption", "metadata", "text",
               "annotations", "article_labels", "annotator", "status", "annotation_id", "updated_at",
               "schema_version"}
SPAN_KEYS = {"id", "start", "end", "fragments", "label", "text", "entity", "attributes"}
STANCE_KEYS = {"holder", "holder_entity", "target", "polarity", "explicit", "evidence"}
UTC_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def export_url(fmt: str, slug: str = "demo", **params) -> str:
    url = reverse(f"api:export-{fmt}", kwargs={"slug": slug})
    return f"{url}?{urlencode(params)}" if params else url


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def jsonl(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return [orjson.loads(line) for line in body_of(response).splitlines()]


def renamed(records: list[dict], prefix: str) -> list[dict]:
    """Generated records under other external ids (the generator always counts from gen-00001)."""
    return [{**r, "external_id": f"{prefix}-{r['external_id']}"} for r in records]


def import_layers(records, annotator, slug="demo", **options):
    return import_file(io.BytesIO(to_jsonl(records)), name="corpus.jsonl", project_slug=slug, annotator=annotator,
                       **options)


@pytest.fixture
def engineer(project):
    return make_member(project, make_user("erin"), role=Membership.Role.ENGINEER)


@pytest.fixture
def corpus(project, annotator_a, annotator_b):
    """Four articles: anna submitted all four, ben the first two; a gold layer and an unfinished layer.

    status=submitted gives 6 layers, gold 1, all 8.
    """
    originals = annotated_records(4, seed=5)
    import_layers(originals, annotator_a)
    import_layers(originals[:2], annotator_b)
    first = project.articles.get(external_id=originals[0]["external_id"])
    gold = make_annotation(first, is_gold=True, status=Annotation.Status.ADJUDICATED)
    make_span(gold, "SOURCE", 0, len(originals[0]["annotations"]["spans"][0]["text"]),
              entity=make_entity(project, "Gold Source"), attributes={"checked": True})
    third = project.articles.get(external_id=originals[2]["external_id"])
    make_annotation(third, make_member(project, make_user("cara")), status=Annotation.Status.IN_PROGRESS)
    return originals


# Who may export ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona,expected", [
    (None, 401), ("outsider", 404), ("annotator_a", 403),
    ("reviewer", 200), ("manager", 200), ("superuser", 200), ("engineer", 200),
])
@pytest.mark.parametrize("fmt", ["jsonl", "brat"])
def test_who_may_export(request, corpus, persona, expected, fmt):
    user = request.getfixturevalue(persona) if persona else None
    response = api_client(user).get(export_url(fmt))
    assert response.status_code == expected
    assert response.get("X-Export-Count") == ("6" if expected == 200 else None)


def test_an_accept_header_never_gives_406(reviewer, corpus):
    response = api_client(reviewer).get(export_url("csv"), HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    refused = api_client(reviewer).get(export_url("csv", status="draft"), HTTP_ACCEPT="text/csv")
    assert refused.status_code == 400 and list(refused.json()) == ["status"]


def test_session_login_works_too(client, reviewer, corpus):
    client.force_login(reviewer)
    assert len(jsonl(client.get(export_url("jsonl")))) == 6


# The records ------------------------------------------------------------------------------------------------------

def test_jsonl_gives_back_what_was_imported(reviewer, corpus):
    response = api_client(reviewer).get(export_url("jsonl"))
    exported = jsonl(response)
    assert [(r["external_id"], r["annotator"]) for r in exported] == (
        [(r["external_id"], "anna") for r in corpus] + [(r["external_id"], "ben") for r in corpus[:2]])
    by_anna = {r["external_id"]: r for r in exported if r["annotator"] == "anna"}
    for original in corpus:
        record = by_anna[original["external_id"]]
        for key in ("title", "source", "url", "published", "language", "caption", "text"):
            assert record[key] == original[key], key
        layer = original["annotations"]
        # The generator numbers its spans s1, s2, ... in text order, as the export does: they match one to one.
        assert record["annotations"]["spans"] == [
            {"entity": None, "attributes": {}, "fragments": [[span["start"], span["end"]]], **span}
            for span in layer["spans"]]
        assert record["annotations"]["relations"] == layer["relations"]
        assert record["annotations"]["stances"] == [
            {"holder": None, "holder_entity": None, **stance,
             "evidence": stance["evidence"] if isinstance(stance["evidence"], list) else [stance["evidence"]]}
            for stance in layer["stances"]]
        assert record["status"] == "submitted" and record["schema_version"] == 1
    assert response["X-Export-Count"] == "6"
    assert response["Content-Type"].startswith("application/x-ndjson")


def test_every_key_is_always_there_with_one_type(reviewer, corpus):
    exported = jsonl(api_client(reviewer).get(export_url("jsonl", status="all")))
    assert len(exported) == 8
    for record in exported:
        assert set(record) == RECORD_KEYS
        assert isinstance(record["metadata"], dict) and isinstance(record["annotation_id"], int)
        assert record["published"] is None or re.fullmatch(r"\d{4}-\d\d-\d\d", record["published"])
        assert UTC_STAMP.match(record["updated_at"])
        assert set(record["annotations"]) == {"spans", "relations", "stances"}
        for span in record["annotations"]["spans"]:
            assert set(span) == SPAN_KEYS and isinstance(span["attributes"], dict)
        for stance in record["annotations"]["stances"]:
            assert set(stance) == STANCE_KEYS and isinstance(stance["evidence"], list)
    gold = next(r for r in exported if r["status"] == "adjudicated")
    assert gold["annotator"] is None
    assert gold["annotations"]["spans"][0]["entity"] == "Gold Source"
    assert gold["annotations"]["spans"][0]["attributes"] == {"checked": True}
    unfinished = next(r for r in exported if r["status"] == "in_progress")
    assert unfinished["annotations"] == {"spans": [], "relations": [], "stances": []}


def test_span_ids_are_local_and_in_text_order(project, reviewer):
    article = make_article(project, text="France backs the plan, the minister said.")
    layer = make_annotation(article, status=Annotation.Status.SUBMITTED)
    late = make_span(layer, "CUE", 36, 40)  # created first, but last in the text
    source = make_span(layer, "SOURCE", 0, 6)
    quote = make_span(layer, "QUOTE", 7, 21)
    Relation.objects.create(annotation=layer, type=project.relation_types.get(name="CUE_OF"), from_span=late,
                            to_span=quote)
    stance = Stance.objects.create(annotation=layer, holder_span=source, target=project.stance_targets.first(),
                                   polarity=project.polarities.get(name="favor"))
    stance.evidence.set([late, quote])
    (record,) = jsonl(api_client(reviewer).get(export_url("jsonl")))
    layer_out = record["annotations"]
    assert [(s["id"], s["label"]) for s in layer_out["spans"]] == [("s1", "SOURCE"), ("s2", "QUOTE"), ("s3", "CUE")]
    assert layer_out["relations"] == [{"from": "s3", "to": "s2", "type": "CUE_OF"}]
    assert layer_out["stances"][0]["holder"] == "s1" and layer_out["stances"][0]["evidence"] == ["s2", "s3"]


def test_json_array_holds_the_same_records(reviewer, corpus):
    client = api_client(reviewer)
    response = client.get(export_url("json", status="all"))
    assert response["Content-Type"] == "application/json"
    assert json.loads(body_of(response)) == jsonl(client.get(export_url("jsonl", status="all")))
    assert json.loads(body_of(client.get(export_url("json", status="all", updated_since="2999-01-01")))) == []


# CSV, CoNLL, brat -------------------------------------------------------------------------------------------------

def test_csv_has_a_row_per_span_and_no_formulas(project, reviewer, corpus):
    article = make_article(project, external_id="formula", title="@everyone look",
                           text="=HYPERLINK(\"http://evil\") said -France.")
    layer = make_annotation(article, make_user("zed"), status=Annotation.Status.SUBMITTED)
    make_span(layer, "CLAIM", 0, 25)
    make_span(layer, "SOURCE", 31, 38)  # "-France"
    response = api_client(reviewer).get(export_url("csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body_of(response).decode("utf-8"))))
    expected_spans = sum(len(r["annotations"]["spans"]) for r in corpus) + sum(
        len(r["annotations"]["spans"]) for r in corpus[:2]) + 2
    assert len(rows) == expected_spans
    formula = [row for row in rows if row["external_id"] == "formula"]
    assert [row["text"] for row in formula] == ["'=HYPERLINK(\"http://evil\")", "'-France"]
    assert formula[0]["title"] == "'@everyone look" and formula[0]["label"] == "CLAIM"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values())
    first = rows[0]
    assert (first["external_id"], first["annotator"], first["span_id"], first["label"]) == (
        corpus[0]["external_id"], "anna", "s1", corpus[0]["annotations"]["spans"][0]["label"])
    assert json.loads(first["attributes"]) == corpus[0]["annotations"]["spans"][0].get("attributes", {})


CONLL_TEXT = "Nasser said 🌍 التعاون الدولي ضروري.\nFrance agrees."


def test_conll_tags_tokens_by_code_point(project, reviewer):
    article = make_article(project, external_id="conll-1", text=CONLL_TEXT)
    layer = make_annotation(article, make_user("tess"), status=Annotation.Status.SUBMITTED)
    make_span(layer, "SOURCE", 0, 6)
    make_span(layer, "CUE", 7, 11)
    make_span(layer, "QUOTE", 14, 34)  # inside the longer CLAIM: a column of its own
    make_span(layer, "CLAIM", 12, 35)
    response = api_client(reviewer).get(export_url("conll", article="conll-1"))
    assert response["Content-Type"].startswith("text/plain")
    # One column per label, in the project's order; the QUOTE inside the CLAIM keeps its own run.
    assert body_of(response).decode("utf-8") == (
        "# global.columns = FORM START END CLAIM SOURCE QUOTE CUE STANCE_EVIDENCE\n"
        "# doc_id = conll-1\n"
        "# annotator = tess\n"
        "# status = submitted\n"
        f"# annotation_id = {layer.pk}\n"
        "-DOCSTART-\t_\t_\tO\tO\tO\tO\tO\n"
        "\n"
        f"# sent_id = conll-1/{layer.pk}/1\n"
        "Nasser\t0\t6\tO\tB-SOURCE\tO\tO\tO\n"
        "said\t7\t11\tO\tO\tO\tB-CUE\tO\n"
        "🌍\t12\t13\tB-CLAIM\tO\tO\tO\tO\n"
        "التعاون\t14\t21\tI-CLAIM\tO\tB-QUOTE\tO\tO\n"
        "الدولي\t22\t28\tI-CLAIM\tO\tI-QUOTE\tO\tO\n"
        "ضروري\t29\t34\tI-CLAIM\tO\tI-QUOTE\tO\tO\n"
        ".\t34\t35\tI-CLAIM\tO\tO\tO\tO\n"
        "\n"
        f"# sent_id = conll-1/{layer.pk}/2\n"
        "France\t36\t42\tO\tO\tO\tO\tO\n"
        "agrees\t43\t49\tO\tO\tO\tO\tO\n"
        ".\t49\t50\tO\tO\tO\tO\tO\n"
        "\n"
    )


def test_conll_overlap_rule_breaks_ties_by_start_then_label():
    tokens = tokenize("a b c d")
    span = lambda label, start, end: {"label": label, "start": start, "end": end}  # noqa: E731 - a span record, one case a line
    # Same length: the earlier start wins; the later one, sharing token "b", is left out.
    assert bio_tags(tokens, [span("QUOTE", 2, 5), span("CLAIM", 0, 3)]) == ["B-CLAIM", "I-CLAIM", "O", "O"]
    # Same extent: alphabetical label order.
    assert bio_tags(tokens, [span("SOURCE", 4, 7), span("CUE", 4, 7)]) == ["O", "O", "B-CUE", "I-CUE"]
    # Adjacent spans of one label stay two spans.
    assert bio_tags(tokens, [span("CUE", 0, 1), span("CUE", 2, 3)]) == ["B-CUE", "B-CUE", "O", "O"]


def test_brat_zip_is_safe_standoff(project, reviewer, corpus):
    text = "First line of the claim\nsecond line. Hassan said so."
    article = make_article(project, external_id="../../etc/passwd", text=text)
    layer = make_annotation(article, make_user("bob/../x"), status=Annotation.Status.SUBMITTED)
    claim = make_span(layer, "CLAIM", 0, 36, attributes={"check_worthy": True, "tags": ["a", "b"]})
    source = make_span(layer, "SOURCE", 37, 43, entity=project.entities.get(name="Hassan Bellouan"))
    Relation.objects.create(annotation=layer, type=project.relation_types.get(name="CLAIMED_BY"), from_span=claim,
                            to_span=source)
    stance = Stance.objects.create(annotation=layer, holder_span=source, target=project.stance_targets.first(),
                                   polarity=project.polarities.get(name="against"), explicit=False)
    stance.evidence.set([claim])

    response = api_client(reviewer).get(export_url("brat"))
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(body_of(response)))
    names = archive.namelist()
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", name) and not name.startswith(".") for name in names)
    assert len(names) == 2 * 7 + 1 and "annotation.conf" in names
    assert f"{corpus[0]['external_id']}.anna.ann" in names

    evil = "_.._etc_passwd.bob_.._x"
    assert archive.read(f"{evil}.txt").decode("utf-8") == text
    ann = archive.read(f"{evil}.ann").decode("utf-8").splitlines()
    assert ann == [
        "T1\tCLAIM 0 23;24 36\tFirst line of the claim second line.",  # a fragment per line of text
        "A1\tcheck_worthy T1 true",
        "T2\tSOURCE 37 43\tHassan",
        "R1\tCLAIMED_BY Arg1:T1 Arg2:T2",
        # The stance: a T of its own, over the evidence's characters but never with the same fragments.
        "T3\tStance 0 5;5 23;24 36\tFirst  line of the claim second line.",
        "R2\tHolder Arg1:T3 Arg2:T2",
        "R3\tEvidence Arg1:T3 Arg2:T1",
        "A2\tPolarity T3 against",
        "A3\tExplicit T3 false",
        f"A4\tTarget T3 {project.stance_targets.first().name.replace(' ', '_')}",
        '#1\tAnnotatorNotes T1\ttags: ["a","b"]',
        "#2\tAnnotatorNotes T2\tentity: Hassan Bellouan",
        f"#3\tAnnotatorNotes T3\ttarget: {project.stance_targets.first().name}",
    ]
    for line in ann:  # every text-bound annotation's text is what its offsets cover
        if line.startswith("T"):
            _, kind_offsets, covered = line.split("\t")
            fragments = [tuple(map(int, f.split())) for f in kind_offsets.split(" ", 1)[1].split(";")]
            assert " ".join(text[a:b] for a, b in fragments) == covered
    conf = archive.read("annotation.conf").decode("utf-8")
    assert "[entities]\nCLAIM\nCUE\nQUOTE\nSOURCE\nSTANCE_EVIDENCE\n" in conf
    assert "CLAIMED_BY\tArg1:<ENTITY>, Arg2:<ENTITY>" in conf and "Holder\tArg1:Stance, Arg2:<ENTITY>" in conf
    assert re.search(r"^Polarity\tArg:Stance, Value:[a-z|]*against", conf, re.M)


# Filters ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params,expected", [
    ({}, {("anna", "submitted"): 4, ("ben", "submitted"): 2}),
    ({"status": "submitted"}, {("anna", "submitted"): 4, ("ben", "submitted"): 2}),
    ({"status": "gold"}, {(None, "adjudicated"): 1}),
    ({"status": "all"}, {("anna", "submitted"): 4, ("ben", "submitted"): 2, (None, "adjudicated"): 1,
                         ("cara", "in_progress"): 1}),
    ({"annotator": "ben"}, {("ben", "submitted"): 2}),
    ({"status": "all", "annotator": "cara"}, {("cara", "in_progress"): 1}),
    ({"article": "gen-00002"}, {("anna", "submitted"): 1, ("ben", "submitted"): 1}),
])
def test_filters_select_layers(reviewer, corpus, params, expected):
    response = api_client(reviewer).get(export_url("jsonl", **params))
    exported = jsonl(response)
    counts = {}
    for record in exported:
        counts[(record["annotator"], record["status"])] = counts.get((record["annotator"], record["status"]), 0) + 1
    assert counts == expected
    assert response["X-Export-Count"] == str(len(exported))
    if "article" in params:
        assert {r["external_id"] for r in exported} == {params["article"]}


def test_updated_since_pulls_only_what_changed(reviewer, corpus):
    old, new = dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    Annotation.objects.update(updated_at=old)
    changed = list(Annotation.objects.filter(annotator__username="ben").values_list("pk", flat=True))
    Annotation.objects.filter(pk__in=changed).update(updated_at=new)
    client = api_client(reviewer)
    for since in ("2025-03-01T00:00:00Z", "2025-06-01T12:00:00+00:00", "2025-06-01T14:00:00+02:00", "2025-03-01"):
        exported = jsonl(client.get(export_url("jsonl", updated_since=since)))
        assert sorted(r["annotation_id"] for r in exported) == sorted(changed), since
        assert {r["updated_at"] for r in exported} == {"2025-06-01T12:00:00.000000Z"}
    # An unencoded "+" arrives as a space; it still means the offset.
    raw = export_url("jsonl") + "?updated_since=2025-06-01T12:00:00+00:00"
    assert sorted(r["annotation_id"] for r in jsonl(client.get(raw))) == sorted(changed)
    assert jsonl(client.get(export_url("jsonl", updated_since="2025-06-01T12:00:01Z"))) == []


@pytest.mark.parametrize("params,parameter", [
    ({"status": "draft"}, "status"),
    ({"updated_since": "yesterday"}, "updated_since"),
    ({"updated_since": "2025-13-01"}, "updated_since"),
    ({"annotator": "nobody"}, "annotator"),
    ({"annotator": "otto"}, "annotator"),  # a user, but no annotator of this project
    ({"article": "no-such-article"}, "article"),
    ({"article": "a\x00b"}, "article"),
])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_bad_filters_are_400_naming_the_parameter(reviewer, outsider, corpus, params, parameter, fmt):
    response = api_client(reviewer).get(export_url(fmt, **params))
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_bad_filters_do_not_reveal_a_project_to_outsiders(outsider, corpus):
    assert api_client(outsider).get(export_url("jsonl", status="draft")).status_code == 404


# Headers: count, file name, ETag, HEAD ----------------------------------------------------------------------------

def test_attachment_file_name(reviewer, corpus):
    today = timezone.now().date().isoformat()
    for fmt, extension in [("jsonl", "jsonl"), ("json", "json"), ("csv", "csv"), ("conll", "conll"), ("brat", "zip")]:
        response = api_client(reviewer).get(export_url(fmt))
        assert response["Content-Disposition"] == f'attachment; filename="demo-{today}.{extension}"'
        assert response["X-Export-Count"] == "6"


def test_etag_gives_304_until_something_changes(reviewer, corpus):
    client = api_client(reviewer)
    first = client.get(export_url("jsonl"))
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}-jsonl"', etag)
    again = client.get(export_url("jsonl"), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and body_of(again) == b""
    assert client.get(export_url("jsonl"), HTTP_IF_NONE_MATCH='"other"').status_code == 200

    # Other filters or another format are another representation.
    assert client.get(export_url("jsonl", status="all"))["ETag"] != etag
    assert client.get(export_url("csv"))["ETag"] != etag

    def changes_etag(change) -> None:
        nonlocal etag
        change()
        response = client.get(export_url("jsonl"), HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200 and response["ETag"] != etag
        etag = response["ETag"]

    later = timezone.now() + dt.timedelta(seconds=1)
    # Every write to a layer or what it holds bumps the layer's updated_at (services/annotating.py).
    changes_etag(lambda: Annotation.objects.filter(annotator__username="anna").update(updated_at=later))
    article = Annotation.objects.filter(annotator__username="anna").first().article
    changes_etag(lambda: setattr(article, "title", "Corrected title") or article.save())
    # A deletion leaves no timestamp behind: the layer count catches it (even of a layer this export leaves out).
    changes_etag(lambda: Annotation.objects.filter(status=Annotation.Status.IN_PROGRESS).delete())


def test_head_answers_from_aggregates(reviewer, corpus):
    client = api_client(reviewer)
    with CaptureQueriesContext(connection) as queries:
        head = client.head(export_url("jsonl"))
    assert head.status_code == 200 and body_of(head) == b""
    assert head["X-Export-Count"] == "6"
    assert head["ETag"] == client.get(export_url("jsonl"))["ETag"]
    assert not [q["sql"] for q in queries if "annotate_span" in q["sql"]]
    assert client.head(export_url("jsonl"), HTTP_IF_NONE_MATCH=head["ETag"]).status_code == 304


# The completion record (?trailer=1) -------------------------------------------------------------------------------

COMPLETE_6 = {"_export": {"count": 6, "complete": True}}


def test_trailer_ends_jsonl_and_json_with_a_completion_record(reviewer, corpus):
    client = api_client(reviewer)
    plain, ended = body_of(client.get(export_url("jsonl"))), client.get(export_url("jsonl", trailer=1))
    ended_body = body_of(ended)  # a stream: read once
    lines = ended_body.splitlines()
    assert ended_body == plain + orjson.dumps(COMPLETE_6) + b"\n"  # the plain bytes, then one line
    assert len(lines) == 7 and orjson.loads(lines[-1]) == COMPLETE_6 and ended["X-Export-Count"] == "6"
    assert "_export" not in orjson.loads(lines[0])  # no record has the key, so the trailer is unmistakable

    array = orjson.loads(body_of(client.get(export_url("json", trailer=1))))
    assert array[-1] == COMPLETE_6
    assert array[:-1] == orjson.loads(body_of(client.get(export_url("json"))))


def test_without_trailer_the_bytes_and_etag_are_the_plain_ones(reviewer, corpus):
    client = api_client(reviewer)
    plain = client.get(export_url("jsonl"))
    plain_body = body_of(plain)
    for off in ("0", "", "false"):
        same = client.get(export_url("jsonl", trailer=off))
        assert body_of(same) == plain_body and same["ETag"] == plain["ETag"]

    ended = client.get(export_url("jsonl", trailer=1))
    assert ended["ETag"] == plain["ETag"][:-1] + '-trailer"'
    # Other bytes, another representation: the plain ETag must not give a 304 for the trailer's, nor back.
    assert client.get(export_url("jsonl", trailer=1), HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 200
    assert client.get(export_url("jsonl"), HTTP_IF_NONE_MATCH=ended["ETag"]).status_code == 200
    assert client.get(export_url("jsonl", trailer=1), HTTP_IF_NONE_MATCH=ended["ETag"]).status_code == 304
    assert client.head(export_url("jsonl", trailer=1))["ETag"] == ended["ETag"]


def test_the_completion_record_counts_what_the_stream_wrote(reviewer, corpus):
    response = api_client(reviewer).get(export_url("jsonl", trailer=1))
    chunks = response.streaming_content
    Annotation.objects.filter(annotator__username="ben").order_by("pk").first().delete()  # after the count
    lines = b"".join(chunks).splitlines()
    assert response["X-Export-Count"] == "6"
    assert len(lines) == 6 and orjson.loads(lines[-1]) == {"_export": {"count": 5, "complete": True}}


@pytest.mark.parametrize("fmt", ["csv", "conll", "brat"])
def test_formats_without_records_refuse_the_trailer(reviewer, corpus, fmt):
    client = api_client(reviewer)
    assert client.head(export_url(fmt, trailer=1)).status_code == 400
    refused = client.get(export_url(fmt, trailer=1)).json()
    assert refused == {"trailer": [f"{fmt} has no completion record (only jsonl and json do); "
                                   f"check X-Export-Count instead"]}
    assert client.get(export_url(fmt, trailer=0)).status_code == 200


def test_a_bad_trailer_value_is_400_naming_it(reviewer, corpus):
    response = api_client(reviewer).get(export_url("jsonl", trailer="please"))
    assert response.status_code == 400 and response.json() == {"trailer": ["must be 1 or 0, got 'please'"]}


def test_the_schema_documents_the_trailer(client):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for fmt in ("jsonl", "json", "csv"):
        operation = schema["paths"][f"/api/v1/projects/{{slug}}/export/{fmt}"]["get"]
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert {"status", "annotator", "updated_since", "article", "trailer"} <= set(parameters)
        assert parameters["trailer"]["schema"]["enum"] == ["0", "1"]
        assert "_export" in parameters["trailer"]["description"]


# Query budget and keyset batches ----------------------------------------------------------------------------------

def exported_with_queries(user, slug):
    client = api_client(user)
    with CaptureQueriesContext(connection) as queries:
        exported = jsonl(client.get(export_url("jsonl", slug=slug)))
    return exported, queries


def test_queries_do_not_grow_with_layers(db):
    counts = {}
    for n in (3, 30):
        project = make_project(f"size-{n}", targets=["Moroccan sovereignty over Western Sahara",
                                                     "International cooperation against ISIS"])
        import_layers(annotated_records(n, seed=n), make_user(f"annotator-{n}"), slug=project.slug)
        manager = make_member(project, make_user(f"manager-{n}"), role=Membership.Role.MANAGER)
        exported, queries = exported_with_queries(manager, project.slug)
        assert len(exported) == n
        counts[n] = [q["sql"] for q in queries]
    # token and user, project, role, two aggregates (layers, articles); the vocabulary's names (labels,
    # relation types, targets, polarities); then one batch: layers with their articles, spans, relations,
    # stance evidence, stances, article-level answers.
    assert len(counts[3]) == len(counts[30]) == 15, "\n".join(counts[30])


def test_keyset_batches_cross_boundaries_without_gaps_or_repeats(project, reviewer, corpus, monkeypatch):
    # Another project's layers sit between ours, and deleted layers leave holes in the ids.
    other = make_project("other", targets=["Moroccan sovereignty over Western Sahara",
                                           "International cooperation against ISIS"])
    import_layers(annotated_records(3, seed=9), make_user("olga"), slug="other")
    import_layers(renamed(annotated_records(3, seed=11), "carl"), make_user("carl"))
    for article in project.articles.all()[:3]:
        make_span(make_annotation(article, make_user(), status=Annotation.Status.SUBMITTED), "CUE", 0, 3)
    Annotation.objects.filter(spans__label__name="CUE", spans__start=0, spans__end=3).order_by("pk")[1].delete()
    expected = list(Annotation.objects.filter(article__project=project).values_list("pk", flat=True).order_by("pk"))
    assert len(expected) == 13 and other.articles.exists()
    whole = list(iter_records(project, ExportFilters(status="all")))

    for size in (1, 2, 3, 4, 9, 10):
        with CaptureQueriesContext(connection) as queries:
            batched = list(iter_records(project, ExportFilters(status="all"), batch_size=size))
        assert [r["annotation_id"] for r in batched] == expected, size
        assert batched == whole, size  # every layer keeps its own spans, relations and stances
        full, rest = divmod(len(expected), size)
        # four for the vocabulary, six a batch; when the last batch is full, one more finds nothing after it
        assert len(queries) == 4 + 6 * (full + (rest > 0)) + (rest == 0), size

    monkeypatch.setattr(records, "BATCH_SIZE", 2)
    over_http = jsonl(api_client(reviewer).get(export_url("jsonl", status="all")))
    assert over_http == whole


def test_layers_created_during_the_stream_wait_for_the_next_export(project, reviewer, corpus, monkeypatch):
    monkeypatch.setattr(records, "BATCH_SIZE", 2)
    response = api_client(reviewer).get(export_url("jsonl"))
    chunks = response.streaming_content
    import_layers(renamed(annotated_records(3, seed=21), "late"), make_user("late"))  # after the headers went out
    exported = [orjson.loads(line) for line in b"".join(chunks).splitlines()]
    assert len(exported) == int(response["X-Export-Count"]) == 6
    assert "late" not in {r["annotator"] for r in exported}


def test_a_label_created_mid_stream_is_named(project, corpus):
    stream = iter_records(project, ExportFilters(), batch_size=1)
    next(stream)  # the vocabulary's names are read now
    project.labels.create(name="LATE_LABEL")
    second = Annotation.objects.filter(article__project=project, status="submitted").order_by("pk")[1]
    make_span(second, "LATE_LABEL", 0, 2)
    assert "LATE_LABEL" in {span["label"] for span in next(stream)["annotations"]["spans"]}


def test_a_span_added_between_a_batchs_queries_leaves_nothing_dangling(project, corpus, monkeypatch):
    read_spans = records._spans
    layer = Annotation.objects.filter(annotator__username="anna").order_by("pk").first()

    def spans_then_a_concurrent_edit(ids, labels):
        result = read_spans(ids, labels)
        # An annotator adds a span, a relation to it and a stance it holds, after the spans were read.
        late = make_span(layer, "CUE", 0, 2)
        source = layer.spans.filter(label__name="SOURCE").first()
        quote = layer.spans.filter(label__name="QUOTE").first()
        Relation.objects.create(annotation=layer, type=project.relation_types.get(name="CUE_OF"), from_span=late,
                                to_span=quote)
        held = Stance.objects.create(annotation=layer, holder_span=late, target=project.stance_targets.first(),
                                     polarity=project.polarities.first())
        held.evidence.set([source])
        other = Stance.objects.create(annotation=layer, holder_span=source, target=project.stance_targets.first(),
                                      polarity=project.polarities.first())
        other.evidence.set([late, quote])
        return result

    monkeypatch.setattr(records, "_spans", spans_then_a_concurrent_edit)
    record = next(r for r in iter_records(project) if r["annotation_id"] == layer.pk)
    layer_out = record["annotations"]
    known = {span["id"] for span in layer_out["spans"]}
    assert len(known) == len(corpus[0]["annotations"]["spans"])  # the late span is not in this export
    assert all({r["from"], r["to"]} <= known for r in layer_out["relations"])
    assert all(s["holder"] in known | {None} and set(s["evidence"]) <= known for s in layer_out["stances"])
    assert len(layer_out["stances"]) == len(corpus[0]["annotations"]["stances"]) + 1  # not the late holder's
    assert layer_out["stances"][-1]["evidence"] == [
        s["id"] for s in layer_out["spans"] if s["label"] == "QUOTE"][:1]


# Round trip and the command line ----------------------------------------------------------------------------------

def without_ids(exported: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k not in ("annotation_id", "updated_at")} for r in exported),
                  key=lambda r: (r["external_id"], r["annotator"] or ""))


def test_export_import_export_gives_the_same_corpus(project, reviewer, superuser, corpus):
    Annotation.objects.filter(status=Annotation.Status.IN_PROGRESS).delete()  # import makes layers submitted
    gold = Annotation.objects.get(is_gold=True)
    quote = make_span(gold, "QUOTE", 20, 30)
    Relation.objects.create(annotation=gold, type=project.relation_types.get(name="ATTRIBUTED_TO"), from_span=quote,
                            to_span=gold.spans.get(label__name="SOURCE"))
    stance = Stance.objects.create(annotation=gold, holder_entity=project.entities.get_or_create(name="France")[0],
                                   target=project.stance_targets.last(), polarity=project.polarities.first())
    stance.evidence.set([quote])
    client = api_client(superuser)
    first = body_of(client.get(export_url("jsonl", status="all")))
    assert len(first.splitlines()) == 7

    import_file(io.BytesIO(first), name="x.jsonl", project_slug="restored", create_project_if_missing=True,
                create_users=True)
    second = body_of(client.get(export_url("jsonl", slug="restored", status="all")))
    before, after = without_ids(orjson.loads(x) for x in first.splitlines()), without_ids(
        orjson.loads(x) for x in second.splitlines())
    assert after == before


def test_command_writes_the_same_bytes_as_the_api(reviewer, corpus, tmp_path):
    client = api_client(reviewer)
    out = io.StringIO()
    call_command("export_annotations", project="demo", format="jsonl", stdout=out)
    assert out.getvalue().encode("utf-8") == body_of(client.get(export_url("jsonl")))

    out = io.StringIO()
    call_command("export_annotations", "--project", "demo", "--format", "csv", "--status", "gold", stdout=out)
    assert out.getvalue().encode("utf-8") == body_of(client.get(export_url("csv", status="gold")))

    path = tmp_path / "corpus.zip"
    call_command("export_annotations", project="demo", format="brat", output=str(path), annotator="ben",
                 stderr=io.StringIO())
    names = zipfile.ZipFile(path).namelist()
    assert sorted(names) == sorted([f"{r['external_id']}.ben.{ext}" for r in corpus[:2] for ext in ("txt", "ann")]
                                   + ["annotation.conf"])


def test_command_trailer_writes_the_same_bytes_as_the_api(reviewer, corpus, tmp_path):
    path = tmp_path / "corpus.json"
    call_command("export_annotations", "--project", "demo", "--format", "json", "--trailer", "--output", str(path),
                 stderr=io.StringIO())
    assert path.read_bytes() == body_of(api_client(reviewer).get(export_url("json", trailer=1)))
    out = io.StringIO()
    call_command("export_annotations", "--project", "demo", "--trailer", stdout=out)
    assert out.getvalue().encode("utf-8") == body_of(api_client(reviewer).get(export_url("jsonl", trailer=1)))
    with pytest.raises(CommandError, match=r"--trailer: csv has no completion record \(only jsonl and json do\)"):
        call_command("export_annotations", "--project", "demo", "--format", "csv", "--trailer", stdout=io.StringIO())


def test_command_refuses_bad_input(project):
    with pytest.raises(CommandError, match="no project 'nope'"):
        call_command("export_annotations", project="nope")
    with pytest.raises(CommandError, match="--updated-since: must be an ISO 8601"):
        call_command("export_annotations", project="demo", updated_since="last week", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--output"):
        call_command("export_annotations", project="demo", format="brat", stdout=io.StringIO())

