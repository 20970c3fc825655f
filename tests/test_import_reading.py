"""The import's reading stage: each format becomes (line, record or problem), and new formats plug in by suffix."""
import io
from pathlib import Path

import orjson
import pytest

from annotate.models import Article
from annotate.services.importing import ImportFailed, import_file, read_records, reading
from annotate.services.importing.reading import READABLE_SUFFIXES, Format

RAW = Path(__file__).resolve().parent.parent / "fixtures" / "raw"


def read(data: bytes, name="corpus.jsonl", **options):
    return list(read_records(io.BytesIO(data), name, **options))


def test_interchange_yields_each_record_with_its_line_and_skips_blank_lines():
    data = b'{"external_id": "a", "text": "One."}\n\n   \n{"external_id": "b", "text": "Two."}\n'
    assert read(data) == [(1, {"external_id": "a", "text": "One."}), (4, {"external_id": "b", "text": "Two."})]


def test_a_malformed_line_is_a_problem_in_its_place_and_reading_goes_on():
    data = b'{"external_id": "a", "text": "One."}\n{"external_id": "b", "text": \n{"external_id": "c", "text": "3"}\n'
    got = read(data)
    assert [line for line, _ in got] == [1, 2, 3]
    assert isinstance(got[1][1], reading.Unreadable) and got[1][1].startswith("malformed JSON: ")
    assert got[2] == (3, {"external_id": "c", "text": "3"})


@pytest.mark.parametrize("name", ["corpus.ndjson", "CORPUS.JSONL", "dir/export.v2.jsonl"])
def test_the_suffix_picks_the_format_whatever_its_case(name):
    assert read(b'{"external_id": "a", "text": "t"}\n', name=name) == [(1, {"external_id": "a", "text": "t"})]


def test_an_interchange_file_is_read_a_line_at_a_time():
    """A file may be larger than memory: the first record comes before the rest of the file is read."""
    class Lines(io.BytesIO):
        served = 0

        def __iter__(self):
            for line in io.BytesIO(self.getvalue()):
                Lines.served += 1
                yield line

    records = read_records(Lines(b'{"external_id": "a", "text": "t"}\n' * 1000), "big.jsonl")
    assert next(records)[0] == 1
    assert Lines.served == 1


def test_scraped_text_becomes_records_numbered_within_the_file():
    path = RAW / "000_c3245687530002ae.txt"
    got = read(path.read_bytes(), name=path.name, language="en")
    assert [record["external_id"] for _, record in got] == ["000_c3245687530002ae-1", "000_c3245687530002ae-2"]
    lines = [line for line, _ in got]
    assert lines[0] == 1 and lines[1] > 1  # the line each article starts on, for problems found later
    first = got[0][1]
    assert first["title"] == "Global Coalition to Defeat ISIS to Hold 1st Ministerial Meeting in Marrakech"
    assert first["language"] == "en"
    assert first["metadata"] == {"source_file": path.name, "source_line": 1}
    assert first["caption"] and first["caption"] not in first["text"]


def test_scraped_text_with_a_byte_order_mark_reads_the_same():
    path = RAW / "003_22f62e28c0ab0abe.txt"
    assert read(b"\xef\xbb\xbf" + path.read_bytes(), name=path.name) == read(path.read_bytes(), name=path.name)


def test_scraped_text_that_is_not_utf8_is_a_problem_on_line_one():
    got = read("Titre accentué\n\nCorps.\n".encode("latin-1"), name="scraped.txt")
    assert len(got) == 1 and got[0][0] == 1 and got[0][1].startswith("not UTF-8 text: ")


# Every suffix the registry reads, and the formats a caller may name (--format) for the others.
KNOWN = ("use .jsonl (interchange) or .txt (scraped text) or .json (Label Studio JSON) or .zip (brat standoff zip) "
         "or .tsv (WebAnno TSV 3), or name a format (interchange, text, labelstudio, brat, webanno, doccano)")


@pytest.mark.parametrize("name,shown", [("table.csv", "'.csv'"), ("README", "'(none)'")])
def test_an_unknown_suffix_is_one_problem_for_the_whole_file(name, shown):
    assert read(b"a,b\n", name=name) == [(0, f"unknown file type {shown}: {KNOWN}")]


def test_the_registry_names_every_readable_suffix_once():
    suffixes = [suffix for fmt in reading.FORMATS for suffix in fmt.suffixes]
    assert len(suffixes) == len(set(suffixes))
    assert READABLE_SUFFIXES == {".jsonl", ".ndjson", ".txt", ".json", ".zip", ".tsv"}
    assert all(suffix == suffix.lower() and suffix.startswith(".") for suffix in suffixes)


def read_tab_separated(stream, name, *, language):
    """Another tool's format, as a later reader would add it: external id TAB text, one article a line."""
    for number, line in enumerate(stream, start=1):
        external_id, _, text = line.decode("utf-8").rstrip("\n").partition("\t")
        if not text:
            yield number, reading.Unreadable("expected an external id, a tab and the text")
            continue
        yield number, {"external_id": external_id, "text": text, "language": language}


@pytest.fixture
def tab_separated(monkeypatch):
    monkeypatch.setattr(reading, "FORMATS", reading.FORMATS + (Format("tab-separated", (".tab",), read_tab_separated),))


def test_a_new_format_plugs_into_the_reading_stage(project, tab_separated):
    data = "n1\tFirst article.\nn2\tSecond article, في العربية.\n".encode()
    report = import_file(io.BytesIO(data), name="batch.tab", project_slug="demo", language="fr")
    assert report.articles_created == 2
    assert list(Article.objects.order_by("external_id").values_list("external_id", "text", "language")) == [
        ("n1", "First article.", "fr"), ("n2", "Second article, في العربية.", "fr")]

    with pytest.raises(ImportFailed) as error:
        import_file(io.BytesIO(b"n3\tThird.\nno tab here\n"), name="more.tab", project_slug="demo")
    assert str(error.value) == "more.tab:2: expected an external id, a tab and the text"
    assert Article.objects.count() == 2  # the whole file is refused, its good line too

    assert read(b"", name="x.csv")[0][1].endswith("or .tsv (WebAnno TSV 3) or .tab (tab-separated), "
                                                   "or name a format (interchange, text, labelstudio, brat, "
                                                   "webanno, doccano)")


def test_read_problems_reach_the_user_with_file_and_line(project):
    lines = [orjson.dumps({"external_id": f"a{i}", "text": "t"}) for i in range(3)]
    data = b"\n".join([lines[0], b"{oops", lines[1], b"[1, 2", lines[2]]) + b"\n"
    with pytest.raises(ImportFailed) as error:
        import_file(io.BytesIO(data), name="corpus.jsonl", project_slug="demo")
    assert [(p.line, p.field) for p in error.value.problems] == [(2, ""), (4, "")]
    assert str(error.value).splitlines()[0].startswith("corpus.jsonl:2: malformed JSON: ")
    assert not Article.objects.exists()


def test_an_unknown_file_type_names_only_the_file(project):
    with pytest.raises(ImportFailed) as error:
        import_file(io.BytesIO(b"a,b\n"), name="table.csv", project_slug="demo")
    assert str(error.value) == f"table.csv: unknown file type '.csv': {KNOWN}"


def test_a_line_holding_a_bare_json_string_is_a_record_of_the_wrong_shape_not_a_message(project):
    data = b'"oops"\n{"external_id": "a1", "text": "Fine."}\n'
    with pytest.raises(ImportFailed) as error:
        import_file(io.BytesIO(data), name="odd.jsonl", project_slug="demo")
    assert str(error.value) == "odd.jsonl:1: (record): must be a JSON object, got str"
