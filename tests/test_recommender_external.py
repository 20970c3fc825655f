"""The external recommender against the reference server (examples/recommender_server.py) and against
servers that misbehave: every failure is a RecommenderError naming the recommender, the URL and what went
wrong, and a wrong answer gives no suggestions at all. No database: the settings row is a stand-in."""
import importlib.util
import json
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from annotate.suggestions.base import Document, Example, KnownEntity, ProjectView, RecommenderError
from annotate.suggestions.recommenders.external import ExternalRecommender
from annotate.suggestions.registry import recommender_class

SERVER = Path(__file__).resolve().parent.parent / "examples" / "recommender_server.py"

PROJECT = ProjectView(
    slug="elections",
    labels=frozenset({"CLAIM", "SOURCE", "QUOTE", "CUE"}),
    relation_types={"ATTRIBUTED_TO": ("QUOTE", "SOURCE"), "CUE_OF": ("CUE", "QUOTE"),
                    "CLAIMED_BY": ("CLAIM", "SOURCE")},
    targets=("tax reform",),
    polarities=("favor", "against", "neutral"),
    entities=(KnownEntity(7, "Maria Lopez", ("Lopez",)),),
)
TEXT = "“We will not raise taxes,” said Maria Lopez on Monday."


def _reference():
    spec = importlib.util.spec_from_file_location("recommender_server", SERVER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def serving(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def reference():
    """(url, server) of the reference server, asking for the token s3cret."""
    server = _reference().make_server(port=0, token="s3cret")
    with serving(server) as url:
        yield url, server


def row(url, **overrides):
    """What ExternalRecommender reads of a Recommender row."""
    values = dict(name="ref-model", kind="external", url=url, auth_header="Authorization: Bearer s3cret",
                  timeout_seconds=5.0, batch_size=20, options={}, version="1")
    return SimpleNamespace(**{**values, **overrides})


def recommender(url, **overrides):
    return ExternalRecommender(PROJECT, row(url, **overrides))


def test_the_kind_is_registered():
    assert recommender_class("external") is ExternalRecommender
    assert ExternalRecommender.trainable and recommender("http://x").trained


def test_predict_end_to_end(reference):
    url, _ = reference
    model = recommender(url)
    [guesses] = model.predict([Document(1, TEXT, "en")])
    found = {(s.label, TEXT[s.start:s.end]): s for s in guesses.spans}
    assert set(found) == {("QUOTE", "We will not raise taxes"), ("CUE", "said"), ("SOURCE", "Maria Lopez")}
    assert found["SOURCE", "Maria Lopez"].entity == 7  # the project's source, by its name
    assert all(0 < s.score <= 1 for s in guesses.spans)
    relations = {(r.type, guesses.spans[r.source].label, guesses.spans[r.target].label) for r in guesses.relations}
    assert relations == {("CUE_OF", "CUE", "QUOTE"), ("ATTRIBUTED_TO", "QUOTE", "SOURCE")}
    assert model.reported_version == "rules"


def test_one_guesses_per_document_in_order(reference):
    url, _ = reference
    documents = [Document(5, "Nothing here."), Document(3, TEXT), Document(9, "")]
    guesses = recommender(url).predict(documents)
    assert [len(g.spans) for g in guesses] == [0, 3, 0]


@pytest.mark.parametrize("auth_header", ["Authorization: Bearer wrong", ""])
def test_a_wrong_or_missing_token_is_refused(reference, auth_header):
    url, _ = reference
    with pytest.raises(RecommenderError) as error:
        recommender(url, auth_header=auth_header).predict([Document(1, TEXT)])
    message = str(error.value)
    assert "ref-model" in message and f"{url}/predict" in message and "HTTP 401" in message
    assert "s3cret" not in message


def test_an_auth_header_that_is_not_one_header_is_refused_before_sending():
    with pytest.raises(RecommenderError, match='not one header "Name: value"'):
        recommender("http://127.0.0.1:9", auth_header="Bearer s3cret\r\nX-Evil: 1").predict([Document(1, TEXT)])


class Recording(ThreadingHTTPServer):
    """Answers every POST with `answer(request)` (or `raw` bytes), after `delay`; keeps what it was sent."""
    daemon_threads = True

    def __init__(self, answer=None, *, raw=None, status=200, delay=0.0):
        self.answer, self.raw, self.status, self.delay = answer, raw, status, delay
        self.requests: list[tuple[str, dict, dict]] = []  # (path, headers, body)
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), RecordingHandler)

    def handle_error(self, request, client_address):
        pass  # the client gave up (the timeout test) before the answer was written


class RecordingHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, dict(self.headers), body))
        if self.server.delay:
            self.server.release.wait(self.server.delay)
        if self.server.raw is not None:
            data = self.server.raw
        else:
            data = json.dumps(self.server.answer(body)).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextmanager
def fake(answer=None, **options):
    server = Recording(answer, **options)
    try:
        with serving(server) as url:
            yield url, server
    finally:
        server.release.set()


def nothing_found(body):
    return {"results": [{"id": d["id"]} for d in body["documents"]]}


def test_batches_of_batch_size_with_the_auth_header_and_the_project():
    with fake(nothing_found) as (url, server):
        documents = [Document(n, f"text {n}", "fr") for n in range(1, 8)]
        guesses = recommender(url, batch_size=3, auth_header="X-Api-Key: k3y").predict(documents)
    assert len(guesses) == 7
    assert [len(body["documents"]) for _, _, body in server.requests] == [3, 3, 1]
    path, headers, body = server.requests[0]
    assert path == "/predict" and headers["X-Api-Key"] == "k3y"
    assert body["protocol"] == 1
    assert body["documents"][0] == {"id": 1, "text": "text 1", "language": "fr"}
    assert body["project"]["labels"] == ["CLAIM", "CUE", "QUOTE", "SOURCE"]
    assert body["project"]["relation_types"]["CUE_OF"] == ["CUE", "QUOTE"]
    assert body["project"]["entities"] == [{"id": 7, "name": "Maria Lopez", "aliases": ["Lopez"]}]


def test_train_then_predict_uses_the_learned_dictionary(reference):
    url, _ = reference
    model = recommender(url)
    text = "Inflation rose to 4% in March, the central bank reported."
    claim = text.index("Inflation"), text.index(" in March")
    taught = Example(Document(1, text), spans=(("CLAIM", *claim, None),))
    summary = model.train([taught])
    assert summary == {"examples": 1, "trained": True, "server_version": "dict-1"}
    later = "Analysts doubt that Inflation rose to 4% at all."
    [guesses] = model.predict([Document(2, later)])
    assert [(s.label, later[s.start:s.end], s.score) for s in guesses.spans] == [("CLAIM", "Inflation rose to 4%", 0.9)]
    assert model.reported_version == "dict-1"
    assert model.dump() == b"" and model.load(b"anything") is None


def test_train_sends_the_examples_and_a_404_means_it_does_not_train():
    example = Example(Document(4, TEXT, "en"), spans=(("QUOTE", 1, 24, None), ("SOURCE", 32, 43, 7)),
                      relations=(("ATTRIBUTED_TO", 0, 1),))
    with fake(lambda body: {"error": "no"}, status=404) as (url, server):
        summary = recommender(url).train([example])
    assert summary["trained"] is False and "does not train" in summary["reason"]
    path, _, body = server.requests[0]
    assert path == "/train"
    assert body["examples"] == [{"document": {"id": 4, "text": TEXT, "language": "en"},
                                 "spans": [{"label": "QUOTE", "start": 1, "end": 24, "entity": None},
                                           {"label": "SOURCE", "start": 32, "end": 43, "entity": 7}],
                                 "relations": [{"type": "ATTRIBUTED_TO", "from": 0, "to": 1}]}]


def test_a_server_that_is_down_fails_quickly():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    began = time.monotonic()
    with pytest.raises(RecommenderError) as error:
        recommender(f"http://127.0.0.1:{port}").predict([Document(1, TEXT)])
    assert time.monotonic() - began < 2
    assert str(error.value).startswith(f"Recommender ref-model (http://127.0.0.1:{port}/predict): could not connect")


def test_a_host_that_does_not_resolve():
    with pytest.raises(RecommenderError, match="could not connect: the host no-such-host.invalid cannot be resolved"):
        recommender("http://no-such-host.invalid:8765").predict([Document(1, TEXT)])


def test_a_server_that_hangs_times_out_within_timeout_seconds():
    with fake(nothing_found, delay=10) as (url, _):
        began = time.monotonic()
        with pytest.raises(RecommenderError, match=r"did not answer within 0\.3 s"):
            recommender(url, timeout_seconds=0.3).predict([Document(1, TEXT)])
        assert time.monotonic() - began < 1.5


def one_result(**result):
    return lambda body: {"results": [{"id": body["documents"][0]["id"], **result}]}


SPAN = {"label": "QUOTE", "start": 1, "end": 24, "score": 0.8}


@pytest.mark.parametrize("answer, message", [
    (dict(raw=b"<html>Bad gateway</html>"), "answered something that is not JSON"),
    (dict(raw=b"Internal trouble " * 30, status=500), "answered HTTP 500 Internal Server Error: Internal trouble"),
    (dict(raw=b"[]"), "not protocol 1: expected an object, got a list"),
    (dict(raw=b"{}"), "results: missing"),
    (dict(answer=one_result(spans=[{**SPAN, "start": "x"}])),
     "results[0].spans[0].start: expected an integer, got 'x'"),
    (dict(answer=one_result(spans=[SPAN, {**SPAN, "end": 99}])),
     "results[0].spans[1]: offsets 1:99 are not within the text of document 1 (54 code points"),
    (dict(answer=one_result(spans=[{**SPAN, "start": 5, "end": 5}])), "results[0].spans[0]: offsets 5:5"),
    (dict(answer=one_result(spans=[{**SPAN, "label": "PERSON"}])),
     "results[0].spans[0].label: unknown label 'PERSON'; the project's labels are CLAIM, CUE, QUOTE, SOURCE"),
    (dict(answer=one_result(spans=[{**SPAN, "score": 1.5}])),
     "results[0].spans[0].score: a score is from 0 to 1, got 1.5"),
    (dict(answer=one_result(spans=[{**SPAN, "entity": 99}])), "results[0].spans[0].entity: unknown entity 99"),
    (dict(answer=one_result(spans=[SPAN], relations=[{"type": "CUE_OF", "from": 0, "to": 3, "score": 0.5}])),
     "results[0].relations[0].to: span index 3 is out of range: this result has 1 span(s)"),
    (dict(answer=one_result(spans=[SPAN, {**SPAN, "label": "SOURCE"}],
                            relations=[{"type": "CUE_OF", "from": 1, "to": 0, "score": 0.5}])),
     "results[0].relations[0].from: CUE_OF goes from a CUE span, not a SOURCE"),
    (dict(answer=one_result(stances=[{"target": "tax reform", "polarity": "against", "score": 0.5}])),
     "results[0].stances[0]: a stance needs a holder (span index) or a holder_entity"),
    (dict(answer=one_result(stances=[{"target": "war", "polarity": "against", "score": 0.5, "holder_entity": 7}])),
     "results[0].stances[0].target: unknown stance target 'war'"),
    (dict(answer=lambda body: {"results": [{"id": 1}, {"id": 42}]}), "results[1].id: document 42 was not asked for"),
    (dict(answer=lambda body: {"results": [{"id": 1}, {"id": 1}]}), "results[1].id: a second result for document 1"),
    (dict(answer=lambda body: {"results": [{"id": 1}]}), "results: no result for document 2"),
    (dict(answer=lambda body: {"results": [{"id": 1}, {"id": 2}], "model": {"version": ["x"]}}),
     "model.version: expected a string, got a list"),
])
def test_garbage_answers_are_errors_with_the_precise_message(answer, message):
    with fake(**answer) as (url, _):
        with pytest.raises(RecommenderError) as error:
            recommender(url).predict([Document(1, TEXT), Document(2, "Short.")])
    assert str(error.value).startswith(f"Recommender ref-model ({url}/predict): ")
    assert message in str(error.value)


def test_a_wrong_second_batch_gives_nothing_at_all():
    def second_batch_wrong(body):
        if body["documents"][0]["id"] == 1:
            return {"results": [{"id": 1, "spans": [SPAN]}]}
        return {"results": [{"id": 2, "spans": [{**SPAN, "score": -0.1}]}]}

    model = recommender("", batch_size=1)
    with fake(second_batch_wrong) as (url, server):
        model.settings.url = url
        with pytest.raises(RecommenderError, match=r"results\[0\]\.spans\[0\]\.score"):
            model.predict([Document(1, TEXT), Document(2, TEXT)])
    assert len(server.requests) == 2


def test_a_redirect_is_not_followed():
    with fake(raw=b"", status=302) as (url, server):
        with pytest.raises(RecommenderError, match=r"answered HTTP 302, a redirect to \?: not followed"):
            recommender(url).predict([Document(1, TEXT)])
    assert len(server.requests) == 1


def test_offsets_are_code_points_end_to_end(reference):
    """An emoji is one code point (two UTF-16 units), Arabic letters one each: the reference server (Python)
    counts as the tool does, and what comes back cuts the article's text at the right places."""
    url, _ = reference
    text = "🎉🎉 قال أحمد: «مرحبا بالعالم» 👍 and “Ça va très bien,” said Maria Lopez."
    [guesses] = recommender(url).predict([Document(1, text, "ar")])
    found = {(s.label, text[s.start:s.end]) for s in guesses.spans}
    assert ("QUOTE", "مرحبا بالعالم") in found
    assert ("QUOTE", "Ça va très bien") in found
    assert ("SOURCE", "Maria Lopez") in found
    quote = next(s for s in guesses.spans if text[s.start:s.end] == "مرحبا بالعالم")
    assert quote.start == text.index("مرحبا") == 14  # in UTF-16 it would be 16: two emoji before it


def test_an_answer_in_utf16_offsets_is_caught_at_the_edge():
    """A server counting UTF-16 units overshoots after an emoji: past the end, it is an error, not a shifted span."""
    text = "👍 “ok”"  # 6 code points, 7 UTF-16 units
    with fake(one_result(spans=[{"label": "QUOTE", "start": 4, "end": 6, "score": 0.5},
                                {"label": "QUOTE", "start": 5, "end": 7, "score": 0.5}])) as (url, _):
        with pytest.raises(RecommenderError, match=r"spans\[1\]: offsets 5:7 are not within the text .*6 code points"):
            recommender(url).predict([Document(1, text)])


def test_private_addresses_are_refused_when_the_deployment_says_so(reference, settings):
    url, _ = reference
    settings.RECOMMENDER_ALLOW_PRIVATE = False
    with pytest.raises(RecommenderError, match="RECOMMENDER_ALLOW_PRIVATE is off"):
        recommender(url).predict([Document(1, TEXT)])


def test_only_http_urls():
    with pytest.raises(RecommenderError, match="must be http:// or https://"):
        recommender("file:///etc").predict([Document(1, TEXT)])
