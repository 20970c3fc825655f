"""A reference model server for the tool's external recommender (docs/suggestions-protocol.md).

    python examples/recommender_server.py --port 8765 [--host 127.0.0.1] [--token s3cret]

then, in the admin, add a Recommender of kind "external" with URL http://127.0.0.1:8765 and, if you
gave a token, auth header "Authorization: Bearer s3cret".

Standard library only. Plug in your own model: start from this file and replace `Model.predict` and
`Model.train`; the HTTP part (routes, token, JSON, errors) stays as it is.

What this model does, so that it is small but real:
* QUOTE: the words inside “…”, "…" or «…» marks (not the marks, nor white space or a final comma inside).
* SOURCE: a capitalised name of two or three words just before a cue verb ("Maria Lopez said") or just
  after one ("…,” said Maria Lopez"), linked to the project's source whose name or alias it is.
* CUE: that verb.
* CUE_OF (cue -> quote) and ATTRIBUTED_TO (quote -> source) for the quote nearest the cue, when the
  project has those relation types (and their ends fit).
* /train learns a dictionary (a span's text -> its most frequent label) from the examples; later
  predictions propose every whole-word occurrence of a learned string. The version it reports is
  "dict-N", N the number of trainings so far ("rules" before the first).
It proposes only labels and relation types the project has.

Offsets are Unicode code points, end exclusive: Python's str indexes. A server written in JavaScript,
Java or C# indexes UTF-16 code units and must convert (an emoji is 1 code point but 2 UTF-16 units).
"""
import argparse
import hmac
import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROTOCOL = 1
MAX_BODY = 64 * 1024 * 1024

CUES = ("said", "says", "told", "stated", "added", "argued", "claimed", "warned", "announced", "insisted",
        "explained", "wrote", "noted")
CUE = re.compile(r"\b(?:" + "|".join(CUES) + r")\b")
QUOTES = (
    (re.compile(r"“([^”\n]{2,2000})”"), 0.85),
    (re.compile(r"«([^»\n]{2,2000})»"), 0.85),
    (re.compile(r'"([^"\n]{2,2000})"'), 0.7),  # straight marks pair less reliably
)
WORD = re.compile(r"[^\W\d_][\w'’-]*")
NEAR = 80  # code points between a cue and the quote it introduces


class Model:
    """The model: rules plus a dictionary learned by /train. Thread-safe: requests run in threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.dictionary: dict[str, str] = {}
        self.trainings = 0

    @property
    def version(self) -> str:
        return f"dict-{self.trainings}" if self.trainings else "rules"

    def train(self, project: dict, examples: list[dict]) -> dict:
        seen: dict[str, Counter] = {}
        for example in examples:
            text = example["document"]["text"]
            for span in example.get("spans", []):
                words = text[span["start"]:span["end"]].strip()
                if words:
                    seen.setdefault(words, Counter())[span["label"]] += 1
        learned = {words: labels.most_common(1)[0][0] for words, labels in seen.items()}
        with self._lock:  # replace, not merge: the caller sends every example it wants learned
            self.dictionary = learned
            self.trainings += 1
            return {"status": "ok", "version": self.version, "learned": len(learned)}

    def predict(self, project: dict, document: dict) -> dict:
        with self._lock:
            dictionary = dict(self.dictionary)
        labels = set(project.get("labels", []))
        text = document["text"]
        spans: list[dict] = []
        where: dict[tuple, int] = {}  # (label, start, end) -> index in spans

        def propose(label, start, end, score, **more) -> int | None:
            if label not in labels or start >= end:
                return None
            key = (label, start, end)
            if key in where:
                spans[where[key]]["score"] = max(spans[where[key]]["score"], score)
                return where[key]
            where[key] = len(spans)
            spans.append({"label": label, "start": start, "end": end, "score": score, **more})
            return where[key]

        quotes = []
        for pattern, score in QUOTES:
            for match in pattern.finditer(text):
                start, end = trimmed(text, match.start(1), match.end(1))
                found = propose("QUOTE", start, end, score)
                if found is not None:
                    quotes.append(found)
        attributions = []  # (cue span, source span, cue start, cue end)
        for match in CUE.finditer(text):
            name = name_before(text, match.start()) or name_after(text, match.end())
            if name is None:
                continue
            entity = entity_of(text[name[0]:name[1]], project.get("entities", []))
            source = propose("SOURCE", *name, 0.7, **({"entity": entity} if entity is not None else {}))
            cue = propose("CUE", match.start(), match.end(), 0.6)
            attributions.append((cue, source, match.start(), match.end()))
        for words, label in dictionary.items():
            for start in occurrences(text, words):
                propose(label, start, start + len(words), 0.9)
        relations = []
        for cue, source, cue_start, cue_end in attributions:
            quote = nearest(spans, quotes, cue_start, cue_end)
            if quote is None:
                continue
            relations += relate(project, spans, "CUE_OF", cue, quote, 0.6)
            relations += relate(project, spans, "ATTRIBUTED_TO", quote, source, 0.65)
        return {"id": document["id"], "spans": spans, "relations": relations, "stances": []}


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):  # “…taxes,” said: not the comma
        end -= 1
    return start, end


def capitalised(word: str) -> bool:
    return word[:1].isupper()


def name_before(text: str, cue_start: int) -> tuple[int, int] | None:
    """Two or three capitalised words ending right before the cue (an optional comma between)."""
    words = list(WORD.finditer(text, max(0, cue_start - 120), cue_start))
    tail = text[words[-1].end():cue_start] if words else ""
    if not words or tail.strip() not in ("", ","):
        return None
    name = []
    for word in reversed(words):
        between = text[word.end():name[0].start()] if name else ""
        if not capitalised(word.group()) or (name and between != " ") or len(name) == 3:
            break
        name.insert(0, word)
    return (name[0].start(), name[-1].end()) if len(name) >= 2 else None


def name_after(text: str, cue_end: int) -> tuple[int, int] | None:
    """Two or three capitalised words right after the cue ("…,” said Maria Lopez)."""
    name = []
    for word in WORD.finditer(text, cue_end, min(len(text), cue_end + 120)):
        before = text[(name[-1].end() if name else cue_end):word.start()]
        if not capitalised(word.group()) or before != " " or len(name) == 3:
            break
        name.append(word)
    return (name[0].start(), name[-1].end()) if len(name) >= 2 else None


def entity_of(name: str, entities: list[dict]) -> int | None:
    wanted = name.casefold()
    for entity in entities:
        if wanted in (n.casefold() for n in (entity["name"], *entity.get("aliases", []))):
            return entity["id"]
    return None


def occurrences(text: str, words: str):
    """Where `words` occurs as whole words (not inside a longer word)."""
    start = text.find(words)
    while start != -1:
        end = start + len(words)
        if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            yield start
        start = text.find(words, start + 1)


def nearest(spans: list[dict], quotes: list[int], cue_start: int, cue_end: int) -> int | None:
    """The quote closest to the cue, ending before it or starting after it, within NEAR code points."""
    best, distance = None, NEAR + 1
    for quote in quotes:
        span = spans[quote]
        gap = cue_start - span["end"] if span["end"] <= cue_start else span["start"] - cue_end
        if 0 <= gap < distance:
            best, distance = quote, gap
    return best


def relate(project: dict, spans: list[dict], type_: str, source: int | None, target: int | None, score: float):
    ends = project.get("relation_types", {}).get(type_)
    if ends is None or source is None or target is None or source == target:
        return []
    if (ends[0] is not None and spans[source]["label"] != ends[0]) or \
            (ends[1] is not None and spans[target]["label"] != ends[1]):
        return []
    return [{"type": type_, "from": source, "to": target, "score": score}]


class Handler(BaseHTTPRequestHandler):
    server: "RecommenderServer"
    server_version = "recommender-server/1"

    def do_GET(self):
        if self.path.rstrip("/") in ("", "/health"):
            return self._answer(200, {"status": "ok", "model": self._model_info()})
        return self._answer(404, {"error": f"no such path {self.path}"})

    def do_POST(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        if path not in ("/predict", "/train"):
            return self._answer(404, {"error": f"no such path {self.path}"})
        if not self._authorised():
            return self._answer(401, {"error": "a valid 'Authorization: Bearer <token>' header is required"},
                                {"WWW-Authenticate": "Bearer"})
        try:
            length = int(self.headers.get("Content-Length", "0"))
            if length > MAX_BODY:
                return self._answer(413, {"error": "request too large"})
            request = json.loads(self.rfile.read(length))
            if request.get("protocol") != PROTOCOL:
                return self._answer(400, {"error": f"this server speaks protocol {PROTOCOL}"})
            project = request["project"]
            if path == "/train":
                return self._answer(200, self.server.model.train(project, request["examples"]))
            results = [self.server.model.predict(project, document) for document in request["documents"]]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return self._answer(400, {"error": f"bad request: {type(error).__name__}: {error}"})
        return self._answer(200, {"protocol": PROTOCOL, "results": results, "model": self._model_info()})

    def _model_info(self) -> dict:
        return {"name": "reference-rules", "version": self.server.model.version}

    def _authorised(self) -> bool:
        if not self.server.token:
            return True
        given = self.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.server.token}".encode())

    def _answer(self, status: int, payload: dict, headers: dict | None = None):
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left; nothing to tell it
            self.log_message("client left before the answer to %s", self.path)

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


class RecommenderServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, token: str | None = None, model: Model | None = None, verbose: bool = False):
        super().__init__(address, Handler)
        self.token = token
        self.model = model or Model()
        self.verbose = verbose


def make_server(host: str = "127.0.0.1", port: int = 0, token: str | None = None,
                verbose: bool = False) -> RecommenderServer:
    """A server bound to (host, port); port 0 picks a free one (server.server_address[1])."""
    return RecommenderServer((host, port), token=token, verbose=verbose)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", help="require 'Authorization: Bearer <token>' on every request")
    arguments = parser.parse_args()
    server = make_server(arguments.host, arguments.port, arguments.token, verbose=True)
    print(f"recommender server on http://{arguments.host}:{server.server_address[1]} "
          f"(POST /predict, /train){' with a token' if arguments.token else ''}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
