"""Importing other tools' exports: Label Studio JSON, doccano JSONL, brat standoff, WebAnno/INCEpTION TSV 3.

Round trips go through the other tool's format and back: our records (Arabic, emoji, a ZWJ sequence) are
imported, written in the tool's format (by our brat export, or by the small converters below, which write
what the tools' documentation shows), imported again, and the layers compared.
"""
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotate.export import iter_records
from annotate.export.writers.brat import write_brat
from annotate.models import Annotation, Article, Job, Membership, Project, Relation, Span, Stance
from annotate.services.importing import ImportFailed, import_file
from annotate.services.importing.formats import json_array_lines, load_label_map, utf16_to_code_points
from synthetic.corpus import TARGETS, to_jsonl

from .factories import api_client, make_project, make_user

pytestmark = pytest.mark.django_db

AR = "قال الوزير 🇲🇦 : « الخطة جيدة » .\nThe minister 👩🏽‍💼 said : « we back it 😊 » ."
EMOJI = "😀😀 Officials 🎉 denied it ."


def at(text: str, piece: str, after: int = 0) -> tuple[int, int]:
    start = text.index(piece, after)
    return start, start + len(piece)


def span(span_id, text, piece, label, after=0, **extra):
    start, end = at(text, piece, after)
    return {"id": span_id, "start": start, "end": end, "label": label, "text": piece, **extra}


def corpus() -> list[dict]:
    second = AR.index("\n")
    return [
        {"external_id": "ar-1", "text": AR, "language": "ar", "annotations": {
            "spans": [
                span("s1", AR, "قال", "CUE"),
                span("s2", AR, "الوزير", "SOURCE", entity="Minister of Foreign Affairs"),
                span("s3", AR, "الخطة جيدة", "QUOTE", attributes={"quote_type": "direct"}),
                span("s4", AR, "الخطة جيدة", "CLAIM"),  # stacked on the QUOTE: same extent
                span("s5", AR, "The minister 👩🏽‍💼", "SOURCE", after=second),
                span("s6", AR, "said", "CUE", after=second),
                span("s7", AR, "we back it 😊", "QUOTE", after=second, attributes={"quote_type": "direct"}),
            ],
            "relations": [
                {"from": "s3", "to": "s2", "type": "ATTRIBUTED_TO"},
                {"from": "s1", "to": "s3", "type": "CUE_OF"},
                {"from": "s4", "to": "s2", "type": "CLAIMED_BY"},
                {"from": "s7", "to": "s5", "type": "ATTRIBUTED_TO"},
                {"from": "s6", "to": "s7", "type": "CUE_OF"},
            ],
            "stances": [{"holder": "s2", "target": TARGETS[0], "polarity": "favor", "evidence": ["s4"]}],
        }},
        {"external_id": "emoji-2", "text": EMOJI, "annotations": {
            "spans": [span("s1", EMOJI, "Officials", "SOURCE"), span("s2", EMOJI, "denied", "CUE")],
            "relations": [],
            "stances": [{"holder_entity": "Officials of the ministry", "target": TARGETS[0], "polarity": "against"}],
        }},
    ]


@pytest.fixture
def ben(db):
    return make_user("ben")


@pytest.fixture
def source(ben):
    project = make_project("source", targets=TARGETS)
    import_file(io.BytesIO(to_jsonl(corpus())), name="corpus.jsonl", project_slug="source", annotator=ben)
    return project


@pytest.fixture
def copy(db):
    return make_project("copy", targets=TARGETS)


def ours(records, annotator, **kinds) -> dict:
    """The layers of `records` imported as they are (into a project of their own), to compare with."""
    project = make_project("ours", targets=TARGETS)
    import_file(io.BytesIO(to_jsonl(records)), name="ours.jsonl", project_slug="ours", annotator=annotator)
    return layers(project, **kinds)


def layers(project, *, entities=True, attributes=True, stances=True) -> dict:
    """The project's layers in plain terms: spans by extent and label, relations and stances by their spans."""
    found = {}
    for annotation in Annotation.objects.filter(article__project=project).select_related("article"):
        spans = {s.pk: s for s in annotation.spans.select_related("label", "entity")}
        key = lambda pk: (spans[pk].start, spans[pk].end, spans[pk].label.name)  # noqa: E731 - a sort key
        layer = {
            "spans": sorted((s.start, s.end, s.label.name, s.text, s.entity.name if entities and s.entity else None,
                             json.dumps(s.attributes if attributes else {}, sort_keys=True))
                            for s in spans.values()),
            "relations": sorted((key(r.from_span_id), key(r.to_span_id), r.type.name)
                                for r in annotation.relations.select_related("type")),
        }
        if stances:
            layer["stances"] = sorted((
                (key(s.holder_span_id) if s.holder_span_id else None, s.holder_entity.name if s.holder_entity else None,
                 s.target.name, s.polarity.name, s.explicit, sorted(key(e.pk) for e in s.evidence.all()))
                for s in annotation.stances.select_related("target", "polarity", "holder_entity")), key=repr)
        found[annotation.article.external_id] = layer
    return found


def database_state():
    return [model.objects.count() for model in (Project, Article, Annotation, Span, Relation, Stance, Membership)]


def run(data: bytes, name: str, project_slug="copy", **options):
    return import_file(io.BytesIO(data), name=name, project_slug=project_slug, **options)


def failure(data: bytes, name: str, **options) -> str:
    before = database_state()
    with pytest.raises(ImportFailed) as failed:
        run(data, name, **options)
    assert database_state() == before  # nothing written
    return str(failed.value)


# Converters from our records to the other tools' formats (as their documentation shows them) ----------------------

def utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def to_labelstudio(records) -> bytes:
    tasks = []
    for n, record in enumerate(records, start=1):
        layer = record["annotations"]
        result = [{"id": s["id"], "from_name": "label", "to_name": "text", "type": "labels",
                   "value": {"start": s["start"], "end": s["end"], "text": s["text"], "labels": [s["label"]]}}
                  for s in layer["spans"]]
        result += [{"id": s["id"], "from_name": key, "to_name": "text", "type": "choices",
                    "value": {"start": s["start"], "end": s["end"], "choices": [value]}}
                   for s in layer["spans"] for key, value in s.get("attributes", {}).items()]
        result += [{"from_id": r["from"], "to_id": r["to"], "type": "relation", "direction": "right",
                    "labels": [r["type"]]} for r in layer["relations"]]
        tasks.append({"id": n, "data": {"text": record["text"], "external_id": record["external_id"]},
                      "annotations": [{"id": 100 + n, "completed_by": {"email": "ben"}, "was_cancelled": False,
                                       "result": result}],
                      "predictions": []})
    return json.dumps(tasks, ensure_ascii=False, indent=2).encode()


def to_doccano(records) -> bytes:
    lines = []
    for n, record in enumerate(records, start=1):
        text, layer = record["text"], record["annotations"]
        ids = {s["id"]: i for i, s in enumerate(layer["spans"], start=10 * n)}
        lines.append({"id": record["external_id"], "text": text,
                      "entities": [{"id": ids[s["id"]], "start_offset": utf16(text, s["start"]),
                                    "end_offset": utf16(text, s["end"]), "label": s["label"]}
                                   for s in layer["spans"]],
                      "relations": [{"id": i, "from_id": ids[r["from"]], "to_id": ids[r["to"]], "type": r["type"]}
                                    for i, r in enumerate(layer["relations"], start=1)]})
    return to_jsonl(lines)


SPAN_LAYER, RELATION_LAYER = "webanno.custom.Claimspan", "webanno.custom.Claimrelation"


def to_webanno(record) -> bytes:
    """TSV 3.3 of one record: whitespace tokens, sentences on lines, UTF-16 offsets, ids only where needed."""
    text, layer = record["text"], record["annotations"]
    sentences, offset = [], 0
    for line in text.split("\n"):
        tokens, position = [], 0
        for word in line.split(" "):
            tokens.append((offset + position, offset + position + len(word), word))
            position += len(word) + 1
        sentences.append((line, tokens))
        offset += len(line) + 1
    token_spans = {}  # span id -> [(sentence, token)]
    for s in layer["spans"]:
        token_spans[s["id"]] = [(i + 1, j + 1) for i, (_, tokens) in enumerate(sentences)
                                for j, (a, b, _) in enumerate(tokens) if s["start"] <= a and b <= s["end"]]
    on_token = {}
    for s in layer["spans"]:
        for address in token_spans[s["id"]]:
            on_token.setdefault(address, []).append(s)
    needs_id = {s["id"] for s in layer["spans"]
                if len(token_spans[s["id"]]) > 1 or any(len(on_token[a]) > 1 for a in token_spans[s["id"]])}
    ids = {span_id: n for n, span_id in enumerate(sorted(needs_id), start=1)}
    spans = {s["id"]: s for s in layer["spans"]}
    lines = ["#FORMAT=WebAnno TSV 3.3", f"#T_SP={SPAN_LAYER}|label|quote_type",
             f"#T_RL={RELATION_LAYER}|label|BT_{SPAN_LAYER}", "", ""]
    for i, (sentence, tokens) in enumerate(sentences, start=1):
        lines.append(f"#Text={sentence}")
        for j, (a, b, word) in enumerate(tokens, start=1):
            here = on_token.get((i, j), [])
            suffix = lambda s: f"[{ids[s['id']]}]" if s["id"] in ids else ""  # noqa: E731
            labels = "|".join(s["label"] + suffix(s) for s in here) or "_"
            kinds = "|".join(s.get("attributes", {}).get("quote_type", "*") + suffix(s) for s in here) or "_"
            rels = [r for r in layer["relations"] if token_spans[r["to"]][0] == (i, j)]
            types = "|".join(r["type"] for r in rels) or "_"
            sources = "|".join(
                "{}-{}".format(*token_spans[r["from"]][0])
                + (f"[{ids.get(r['from'], 0)}_{ids.get(r['to'], 0)}]" if r["from"] in ids or r["to"] in ids else "")
                for r in rels) or "_"
            lines.append(f"{i}-{j}\t{utf16(text, a)}-{utf16(text, b)}\t{word}\t{labels}\t{kinds}\t{types}\t{sources}\t")
        lines.append("")
    assert all(spans[r["to"]] for r in layer["relations"])
    return "\n".join(lines).encode()


def without_stances_and_entities(records):
    for record in records:
        layer = record["annotations"]
        layer["stances"] = []
        for s in layer["spans"]:
            s.pop("entity", None)
    return records


# Round trips ---------------------------------------------------------------------------------------------------

def test_brat_round_trip_keeps_every_layer(source, copy, ben):
    """Our brat export, imported again: spans, entities, attributes, relations and stances, entity-only too."""
    archive = b"".join(write_brat(iter_records(source)))
    report = run(archive, "export.zip", annotator=ben)
    assert report.layers_created == 2 and report.stances == 2
    assert {f"{key}.ben": value for key, value in layers(source).items()} == layers(copy)


def test_labelstudio_round_trip(copy, ben):
    records = without_stances_and_entities(corpus())
    expected = ours(records, ben)
    run(to_labelstudio(records), "export.json", annotator=ben)
    assert layers(copy) == expected


def test_doccano_round_trip_counts_utf16_units(copy, ben):
    records = without_stances_and_entities(corpus())
    expected = ours(records, ben, attributes=False)
    data = to_doccano(records)
    assert b'"start_offset":' in data and utf16(AR, len(AR)) > len(AR)  # the emoji count two in doccano
    run(data, "admin.jsonl", annotator=ben, format="doccano")
    assert layers(copy, attributes=False) == expected


def test_webanno_round_trip_with_stacked_and_multi_token_annotations(copy, ben):
    records = without_stances_and_entities(corpus())
    expected = ours(records[:1], ben)
    data = to_webanno(records[0])
    assert "CLAIM[1]|QUOTE[" in data.decode() or "QUOTE[1]|CLAIM[" in data.decode()
    run(data, "ar-1.tsv", annotator=ben, label_map={"Claimspan": "CLAIM"})
    assert layers(copy) == expected
    assert Article.objects.get(project=copy).text == AR


# Each tool's own samples, written by hand ------------------------------------------------------------------------

def test_labelstudio_choices_relations_directions_and_old_utf16_offsets(copy, ben):
    text = "🎉 Officials said the plan works."
    tasks = [{"id": 7, "data": {"text": text, "title": "Plan"}, "annotations": [{
        "completed_by": 1, "result": [
            # An old export: offsets in UTF-16 units (the emoji counts two), value.text tells.
            {"id": "a", "type": "labels", "from_name": "label", "to_name": "text",
             "value": {"start": 3, "end": 12, "text": "Officials", "labels": ["Person"]}},
            {"id": "b", "type": "labels", "from_name": "label", "to_name": "text",
             "value": {"start": 18, "end": 33, "text": "the plan works.", "labels": ["QUOTE"]}},
            {"id": "b", "type": "choices", "from_name": "quote_type", "to_name": "text",
             "value": {"start": 18, "end": 33, "choices": ["indirect"]}},
            {"type": "relation", "from_id": "a", "to_id": "b", "direction": "left", "labels": ["ATTRIBUTED_TO"]},
            {"id": "c", "type": "choices", "from_name": "topic", "to_name": "text", "value": {"choices": ["politics"]}},
        ]}, {"completed_by": 1, "was_cancelled": True, "result": []}]}]
    run(json.dumps(tasks).encode(), "ls.json", annotator=ben, label_map={"Person": "SOURCE"})
    article = Article.objects.get()
    assert article.external_id == "7" and article.title == "Plan"
    assert article.metadata["labelstudio_choices"] == {"topic": "politics"}
    assert layers(copy)["7"] == {
        "spans": [(2, 11, "SOURCE", "Officials", None, "{}"),
                  (17, 32, "QUOTE", "the plan works.", None, '{"quote_type": "indirect"}')],
        "relations": [((17, 32, "QUOTE"), (2, 11, "SOURCE"), "ATTRIBUTED_TO")],
        "stances": []}


def test_brat_polnear_attribution_events(copy, ben, tmp_path):
    folder = tmp_path / "polnear"
    (folder / "nested").mkdir(parents=True)
    text = "أوباما 🇺🇸 said the plan works .\n"
    (folder / "nested" / "doc1.txt").write_text(text, encoding="utf-8", newline="")
    (folder / "nested" / "doc1.ann").write_text(
        "T1\tSource 0 6\tأوباما\n"
        "T2\tCue 10 14\tsaid\n"
        "T3\tContent 15 29\tthe plan works\n"
        "T4\tAttribution 10 14\tsaid\n"
        "E1\tAttribution:T4 Source:T1 Cue:T2 Content:T3\n"
        "A1\tType E1 indirect\n"
        "*\tAlias T1 T1\n", encoding="utf-8")
    call_command("import_articles", str(folder), project="copy", annotator="ben", stdout=io.StringIO())
    assert layers(copy)["nested/doc1"] == {
        "spans": [(0, 6, "SOURCE", "أوباما", None, "{}"), (10, 14, "CUE", "said", None, "{}"),
                  (15, 29, "QUOTE", "the plan works", None, '{"quote_type": "indirect"}')],
        "relations": [((10, 14, "CUE"), (15, 29, "QUOTE"), "CUE_OF"),
                      ((15, 29, "QUOTE"), (0, 6, "SOURCE"), "ATTRIBUTED_TO")],
        "stances": []}


def test_webanno_spec_sample_with_disambiguated_relation(db, ben):
    """The relation example of the TSV 3.3 documentation: a feature-less layer (`*`), `1-1[0_1]`."""
    data = (b"#FORMAT=WebAnno TSV 3.3\n"
            b"#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|value\n"
            b"#T_RL=webanno.custom.Relation|value|BT_de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity\n"
            b"\n\n"
            b"#Text=This is a test .\n"
            b"1-1\t0-4\tThis\t*\t_\t_\n"
            b"1-2\t5-7\tis\t_\t_\t_\n"
            b"1-3\t8-9\ta\t_\t_\t_\n"
            b"1-4\t10-14\ttest\t_\t_\t_\n"
            b"1-5\t15-16\t.\t*[1]|*[2]\t*\t1-1[0_1]\n")
    run(data, "sample.tsv", project_slug="inception", create_project_if_missing=True, annotator=ben,
        label_map={"NamedEntity": "ENTITY", "Relation": "LINK"})
    project = Project.objects.get(slug="inception")
    assert layers(project)["sample"] == {
        "spans": [(0, 4, "ENTITY", "This", None, "{}"), (15, 16, "ENTITY", ".", None, "{}"),
                  (15, 16, "ENTITY", ".", None, "{}")],
        "relations": [((0, 4, "ENTITY"), (15, 16, "ENTITY"), "LINK")],
        "stances": []}


def test_doccano_sequence_labelling_shape(copy, ben):
    data = to_jsonl([{"text": "🇲🇦 Officials denied it.", "label": [[5, 14, "SOURCE"], [15, 21, "CUE"]],
                      "source_site": "example"},
                     {"text": "No labels here.", "label": []}])
    run(data, "admin.jsonl", annotator=ben, format="doccano")
    assert layers(copy)["admin-1"]["spans"] == [(3, 12, "SOURCE", "Officials", None, "{}"),
                                                  (13, 19, "CUE", "denied", None, "{}")]
    assert Article.objects.get(external_id="admin-1").metadata == {"source_site": "example"}
    assert not Annotation.objects.filter(article__external_id="admin-2").exists()


# Problems: file:line: field: message, nothing written --------------------------------------------------------------

def test_an_unmapped_label_names_the_label_and_the_task_line(copy, ben):
    records = without_stances_and_entities(corpus())
    records[1]["annotations"]["spans"][0]["label"] = "PERSON"
    data = to_labelstudio(records)
    second_task = json_array_lines(data)[1]
    assert second_task > 2
    message = failure(data, "export.json", annotator=ben)
    assert f"export.json:{second_task}: labels: not in project 'copy': 'PERSON' (line {second_task})" in message
    # Mapped, it goes in; or --create-project takes it as it is.
    run(data, "export.json", annotator=ben, label_map={"PERSON": "SOURCE"})
    assert Span.objects.filter(label__name="SOURCE").count() == 3


def test_doccano_offset_inside_an_emoji_is_a_problem(copy, ben):
    data = b'{"text": "ok"}\n' + to_jsonl([{"text": "😀 Officials", "label": [[1, 11, "SOURCE"]]}])
    message = failure(data, "admin.jsonl", annotator=ben, format="doccano")
    assert "admin.jsonl:2: label[0][0]: 1 falls inside a character" in message


def test_brat_problems_name_the_member_and_its_line(copy, ben):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ok.txt", "Fine text.")
        archive.writestr("ok.ann", "T1\tSOURCE 0 4\tFine\n")
        archive.writestr("docs/bad.txt", "Short.")
        archive.writestr("docs/bad.ann", "T1\tSOURCE 0 5\tShort\nT2\tCUE 3 99\tx\nR1\tATTRIBUTED_TO Arg1:T1 Arg2:T9\n")
        archive.writestr("lonely.ann", "T1\tSOURCE 0 1\tx\n")
    message = failure(buffer.getvalue(), "corpus.zip", annotator=ben)
    assert "corpus.zip:docs/bad.ann:2: T2: 3-99 is outside the text (6 code points)" in message
    assert "corpus.zip:docs/bad.ann:3: Arg2: T9 is no text-bound annotation (T)" in message
    assert "corpus.zip:lonely.ann:1: no lonely.txt beside it" in message


def test_webanno_bad_rows_name_their_line(copy, ben):
    data = to_webanno(without_stances_and_entities(corpus())[0]).decode().split("\n")
    data[7] = data[7].rsplit("\t", 3)[0]  # a row missing its relation columns
    message = failure("\n".join(data).encode(), "ar-1.tsv", annotator=ben)
    assert "ar-1.tsv:8: a token row has 7 tab-separated columns" in message
    message = failure(b"1-1\t0-4\tThis\n", "plain.tsv", annotator=ben)
    assert "plain.tsv:1: not WebAnno TSV 3" in message


def test_label_maps_from_json_or_tsv():
    assert load_label_map(b'{"Person": "SOURCE"}', "map.json") == {"Person": "SOURCE"}
    assert load_label_map(b"# theirs\tours\nPerson\tSOURCE\n\nsays\tCUE_OF\n", "map.tsv") == {
        "Person": "SOURCE", "says": "CUE_OF"}
    with pytest.raises(ValueError, match="map.tsv:2: a label map line"):
        load_label_map(b"Person\tSOURCE\nbroken\n", "map.tsv")
    assert utf16_to_code_points("a😀b") == [0, 1, None, 2, 3]


# The doors: command (foreground and background) and API --------------------------------------------------------

def test_the_command_takes_format_and_label_map(copy, ben, tmp_path):
    path = tmp_path / "admin.jsonl"
    path.write_bytes(to_jsonl([{"id": 5, "text": "Officials denied it.", "label": [[0, 9, "Person"]]}]))
    with pytest.raises(CommandError):
        call_command("import_articles", str(path), project="copy", annotator="ben", format="doccano",
                     stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert "admin.jsonl:1: labels: not in project 'copy': 'Person' (line 1)" in err.getvalue()
    label_map = tmp_path / "map.tsv"
    label_map.write_text("Person\tSOURCE\n", encoding="utf-8")
    call_command("import_articles", str(path), project="copy", annotator="ben", format="doccano",
                 label_map=str(label_map), stdout=io.StringIO())
    assert layers(copy)["5"]["spans"] == [(0, 9, "SOURCE", "Officials", None, "{}")]
    with pytest.raises(CommandError, match="a label map line"):
        (tmp_path / "bad.tsv").write_text("oops\n", encoding="utf-8")
        call_command("import_articles", str(path), project="copy", label_map=str(tmp_path / "bad.tsv"))


def test_a_background_import_carries_format_and_label_map(copy, ben, tmp_path, run_jobs):
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "a.txt").write_text("Officials 🎉 denied it.", encoding="utf-8")
    (folder / "a.ann").write_text("T1\tPerson 0 9\tOfficials\n", encoding="utf-8")
    (tmp_path / "map.json").write_text('{"Person": "SOURCE"}', encoding="utf-8")
    call_command("import_articles", str(folder), project="copy", annotator="ben", background=True,
                 label_map=str(tmp_path / "map.json"), stdout=io.StringIO())
    job = Job.objects.get(kind="import")
    assert job.arguments["format"] == "brat" and job.arguments["label_map"] == {"Person": "SOURCE"}
    run_jobs()
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert layers(copy)["a"]["spans"] == [(0, 9, "SOURCE", "Officials", None, "{}")]


def test_the_api_import_takes_format_and_label_map(copy, ben, run_jobs):
    manager = make_user("max")
    Membership.objects.create(project=copy, user=manager, role=Membership.Role.MANAGER)
    data = to_jsonl([{"id": "d1", "text": "Officials denied it.", "label": [[0, 9, "Person"]]}])
    url = reverse("api:import-start", args=["copy"])
    client = api_client(manager)
    upload = io.BytesIO(data)
    upload.name = "admin.jsonl"
    response = client.post(url, {"file": upload, "annotator": "ben", "format": "doccano",
                                 "label_map": '{"Person": "SOURCE"}'}, format="multipart")
    assert response.status_code == 202, response.content
    run_jobs()
    assert layers(copy)["d1"]["spans"] == [(0, 9, "SOURCE", "Officials", None, "{}")]
    upload.seek(0)
    response = client.post(url, {"file": upload, "format": "excel"}, format="multipart")
    assert response.status_code == 400 and "format" in response.json()
    upload.seek(0)
    response = client.post(url, {"file": upload, "label_map": "[1]"}, format="multipart")
    assert response.status_code == 400 and "label_map" in response.json()


def test_readable_suffixes_include_other_tools():
    from annotate.services.importing import READABLE_SUFFIXES

    assert {".json", ".zip", ".tsv", ".jsonl"} <= READABLE_SUFFIXES
    assert Path("x.ann").suffix not in READABLE_SUFFIXES  # an upload of one .ann carries no text


def test_the_admin_import_page_takes_format_and_label_map(copy, ben, admin_client, run_jobs):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = to_jsonl([{"id": "d2", "text": "Officials 😊 denied it.", "label": [[0, 9, "Person"]]}])
    response = admin_client.post(reverse("admin:annotate_article_import"), {
        "project": "copy", "annotator": ben.pk, "format": "doccano",
        "file": SimpleUploadedFile("admin.jsonl", data),
        "label_map": SimpleUploadedFile("map.tsv", b"Person\tSOURCE\n")})
    assert response.status_code == 302, response.context["form"].errors
    job = Job.objects.get(kind="import")
    assert job.arguments["format"] == "doccano" and job.arguments["label_map"] == {"Person": "SOURCE"}
    run_jobs()
    assert layers(copy)["d2"]["spans"] == [(0, 9, "SOURCE", "Officials", None, "{}")]
    response = admin_client.post(reverse("admin:annotate_article_import"), {
        "project": "copy", "file": SimpleUploadedFile("admin.jsonl", data),
        "label_map": SimpleUploadedFile("map.tsv", b"broken\n")})
    assert "map.tsv:1: a label map line" in str(response.context["form"].errors["label_map"])


def test_a_failed_background_brat_import_reports_its_problems(copy, ben, run_jobs):
    from django.core.files.base import ContentFile

    from annotate.jobs.kinds.imports import start_import

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "Short.")
        archive.writestr("a.ann", "T1\tSOURCE 0 5\tShort\nT2\tSOURCE 9 3\tx\n")
    job = start_import(ContentFile(buffer.getvalue(), name="bad.zip"), user=None, project_slug="copy",
                       annotator="ben")
    run_jobs()
    job.refresh_from_db()
    assert job.status == "failed"
    assert [(p["line"], p["message"][:3]) for p in job.error["problems"]] == [(2, "T2:")]
    assert not Article.objects.filter(project=copy).exists()
