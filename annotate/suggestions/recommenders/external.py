"""A recommender that asks a model server over HTTP: JSON in, JSON out (docs/suggestions-protocol.md).

The server keeps the model; this side keeps nothing but the settings row (url, auth_header,
timeout_seconds, batch_size). `train` forwards the examples to the server's /train; `dump` and `load`
have nothing to store.

Every answer is checked in full against the protocol and the project before anything is returned, so
a server that answers garbage gives no suggestions at all rather than some of them, and the error says
which field of which result is wrong. Offsets are Unicode code points (Python's str indexes), end
exclusive, as everywhere in the tool.

Where it may connect: a model server usually runs on localhost or a private network, so private
addresses are allowed unless the deployment sets RECOMMENDER_ALLOW_PRIVATE = False; then the webhooks'
SSRF guard (annotate/webhooks/addresses.py) checks the address and the request goes to the address it
approved. Redirects are never followed (a redirect is the classic way around such a guard), and only
http and https are spoken (http.client, not urllib, which would also open file: and ftp: URLs).
"""
import http.client
import ipaddress
import json
import math
import socket
import time
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from django.conf import settings as django_settings

from ..base import (
    BaseRecommender,
    Document,
    Example,
    Guesses,
    ProjectView,
    RecommenderError,
    RelationGuess,
    SpanGuess,
    StanceGuess,
)
from ..registry import register

PROTOCOL = 1
USER_AGENT = "annotate-recommender/1"
SHOWN = 200  # characters of a failing answer's body put in the error
MAX_ANSWER = 32 * 1024 * 1024  # bytes; a batch's answer is a few kilobytes per article
CHUNK = 64 * 1024


class Invalid(ValueError):
    """An answer that is not the protocol: `path` says where (results[2].spans[0].start)."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)


@register
class ExternalRecommender(BaseRecommender):
    kind = "external"
    trainable = True

    def __init__(self, project: ProjectView, settings=None):
        super().__init__(project, settings)
        # The model version the server said it answered with (predict's "model.version", train's
        # "version"); None when it said nothing. The runner stores it with the suggestions.
        self.reported_version: str | None = None

    @property
    def trained(self) -> bool:
        return True  # the server holds the model; whether it learned anything is its business

    def dump(self) -> bytes:
        return b""

    def load(self, data: bytes) -> None:
        pass

    # -- predict ---------------------------------------------------------------------------------------

    def predict(self, documents: Sequence[Document]) -> list[Guesses]:
        self.reported_version = None
        batch_size = max(1, int(getattr(self.settings, "batch_size", 20) or 20))
        project = project_payload(self.project)
        answers: list[Guesses] = []
        for first in range(0, len(documents), batch_size):
            batch = list(documents[first:first + batch_size])
            body = {"protocol": PROTOCOL, "project": project, "documents": [document_payload(d) for d in batch]}
            answer = self._post("predict", body)
            try:
                answers.extend(read_predictions(answer, batch, self.project))
                version = read_model_version(answer)
            except Invalid as invalid:
                raise self._error("predict", f"the answer is not protocol {PROTOCOL}: {invalid}") from None
            if version is not None:
                self.reported_version = version
        return answers

    # -- train -----------------------------------------------------------------------------------------

    def train(self, examples: Iterable[Example]) -> dict:
        examples = list(examples)
        body = {"protocol": PROTOCOL, "project": project_payload(self.project),
                "examples": [example_payload(example) for example in examples]}
        answer = self._post("train", body, absent_ok=True)
        if answer is None:  # 404: the server predicts only; not an error (docs/suggestions-protocol.md)
            return {"examples": len(examples), "trained": False, "reason": "the server does not train (404)"}
        try:
            if not isinstance(answer, dict):
                raise Invalid("", f"expected an object, got {describe(answer)}")
            if answer.get("status") != "ok":
                raise Invalid("status", f"expected 'ok', got {describe(answer.get('status'))}")
            version = optional_version(answer.get("version"), "version")
        except Invalid as invalid:
            raise self._error("train", f"the answer is not protocol {PROTOCOL}: {invalid}") from None
        if version is not None:
            self.reported_version = version
        # Not "version": running.train puts its own (the row's new version) under that key.
        return {"examples": len(examples), "trained": True, "server_version": version}

    # -- HTTP ------------------------------------------------------------------------------------------

    def _endpoint(self, path: str) -> str:
        base = (getattr(self.settings, "url", "") or "").rstrip("/")
        return f"{base}/{path}"

    def _error(self, path: str, message: str) -> RecommenderError:
        return RecommenderError(f"Recommender {self.name} ({shown_url(self._endpoint(path))}): {message}")

    def _headers(self, path: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
                   "User-Agent": USER_AGENT}
        line = (getattr(self.settings, "auth_header", "") or "").strip()
        if line:
            name, colon, value = line.partition(":")
            name, value = name.strip(), value.strip()
            # http.client would send a header with a line break in it as two; refuse rather than inject.
            if not colon or not name or " " in name or any(c in line for c in "\r\n"):
                raise self._error(path, 'its auth_header is not one header "Name: value" '
                                        '(e.g. "Authorization: Bearer s3cret").')
            headers[name] = value
        return headers

    def _post(self, path: str, payload: dict, *, absent_ok: bool = False):
        """POST `payload` to <url>/<path>: the answer's JSON; None for a 404 when `absent_ok`."""
        url = self._endpoint(path)
        timeout = float(getattr(self.settings, "timeout_seconds", 10.0) or 10.0)
        headers = self._headers(path)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self._error(path, "its URL must be http:// or https:// with a host.")
        addresses = self._checked_addresses(path, url)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        deadline = time.monotonic() + timeout
        waited = f"did not answer within {timeout:g} s"
        try:
            connection = connection_to(parts, addresses, timeout)
        except ValueError as error:  # a port that is not a number
            raise self._error(path, f"its URL is not valid: {error}.") from None
        try:
            try:
                connection.connect()
            except TimeoutError:
                raise self._error(path, f"could not connect: {waited}.") from None
            except socket.gaierror as error:
                raise self._error(path, f"could not connect: the host {parts.hostname} cannot be resolved "
                                        f"({error.strerror or error}).") from None
            except OSError as error:  # refused, unreachable, TLS
                raise self._error(path, f"could not connect: {error.strerror or error}.") from None
            try:
                # The socket's timeout bounds each send and receive; the deadline bounds them all.
                connection.sock.settimeout(max(0.001, deadline - time.monotonic()))
                connection.request("POST", target, body=body, headers=headers)
                connection.sock.settimeout(max(0.001, deadline - time.monotonic()))
                response = connection.getresponse()
                data = read_body(response, connection, deadline)
            except TimeoutError:
                raise self._error(path, f"{waited}.") from None
            except (OSError, http.client.HTTPException) as error:  # reset, closed without an answer
                raise self._error(path, f"broke off the exchange: {type(error).__name__}: {error}.") from None
        finally:
            connection.close()
        if response.status == 404 and absent_ok:
            return None
        if 300 <= response.status < 400:
            location = response.getheader("Location", "?")
            raise self._error(path, f"answered HTTP {response.status}, a redirect to {location}: not followed; "
                                    "set the URL it redirects to.")
        if not 200 <= response.status < 300:
            shown = data[:SHOWN * 4].decode("utf-8", "replace")[:SHOWN].strip()
            raise self._error(path, f"answered HTTP {response.status} {response.reason}: {shown or '(no body)'}")
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            shown = data[:SHOWN * 4].decode("utf-8", "replace")[:SHOWN].strip()
            raise self._error(path, f"answered something that is not JSON ({error}): {shown!r}") from None

    def _checked_addresses(self, path: str, url: str) -> list[str] | None:
        """The addresses the SSRF guard approved (connect to these), or None: connect by name."""
        if getattr(django_settings, "RECOMMENDER_ALLOW_PRIVATE", True):
            return None
        from annotate.webhooks.addresses import UnsafeURL, check_url, is_public

        # check_url resolves the name and refuses private addresses unless WEBHOOK_ALLOW_PRIVATE; the
        # recommenders' own setting is applied below whatever the webhooks' is.
        try:
            addresses = check_url(url)
        except UnsafeURL as refused:
            raise self._error(path, f"refused (RECOMMENDER_ALLOW_PRIVATE is off): {refused}") from None
        private = [a for a in addresses if not is_public(ipaddress.ip_address(a.split("%", 1)[0]))]
        if private:
            raise self._error(path, f"refused: the host resolves to {', '.join(private)}, a private, loopback or "
                                    "reserved address, and RECOMMENDER_ALLOW_PRIVATE is off.")
        return addresses


def connection_to(parts, addresses: list[str] | None, timeout: float) -> http.client.HTTPConnection:
    if addresses is not None:
        # The webhooks' connection that goes to the checked addresses, not a second DNS answer.
        from annotate.webhooks.delivery import _connection

        return _connection(parts, addresses, timeout)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return cls(parts.hostname, parts.port, timeout=timeout)


def read_body(response: http.client.HTTPResponse, connection, deadline: float) -> bytes:
    """The whole body, by the deadline: the socket's timeout bounds each read, not the sum, so a server
    that trickles a byte at a time would otherwise hold the run for ever."""
    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        if connection.sock is not None:
            connection.sock.settimeout(remaining)
        chunk = response.read1(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_ANSWER:
            raise http.client.HTTPException(f"the answer is larger than {MAX_ANSWER // (1024 * 1024)} MB")
        chunks.append(chunk)


def shown_url(url: str) -> str:
    """The URL without a user:password@ it may carry, for messages and logs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


# -- what is sent ----------------------------------------------------------------------------------------

def project_payload(project: ProjectView) -> dict:
    return {
        "slug": project.slug,
        "labels": sorted(project.labels),
        "relation_types": {name: [ends[0], ends[1]] for name, ends in sorted(project.relation_types.items())},
        "targets": list(project.targets),
        "polarities": list(project.polarities),
        "entities": [{"id": e.id, "name": e.name, "aliases": list(e.aliases)} for e in project.entities],
    }


def document_payload(document: Document) -> dict:
    return {"id": document.id, "text": document.text, "language": document.language}


def example_payload(example: Example) -> dict:
    return {
        "document": document_payload(example.document),
        "spans": [{"label": label, "start": start, "end": end, "entity": entity}
                  for label, start, end, entity in example.spans],
        "relations": [{"type": type_, "from": source, "to": target} for type_, source, target in example.relations],
    }


# -- what is answered ------------------------------------------------------------------------------------

def describe(value) -> str:
    """A value as the error shows it, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "…")
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def integer(value, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(path, f"expected an integer, got {describe(value)}")
    return value


def text(value, path: str) -> str:
    if not isinstance(value, str):
        raise Invalid(path, f"expected a string, got {describe(value)}")
    return value


def score(value, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(path, f"expected a number, got {describe(value)}")
    if not 0 <= value <= 1:
        raise Invalid(path, f"a score is from 0 to 1, got {value!r}")
    return float(value)


def items(container: dict, key: str, path: str) -> list:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(f"{path}.{key}", f"expected a list, got {describe(value)}")
    return value


def obj(value, path: str) -> dict:
    if not isinstance(value, dict):
        raise Invalid(path, f"expected an object, got {describe(value)}")
    return value


def index(value, path: str, spans: list[SpanGuess]) -> int:
    position = integer(value, path)
    if not 0 <= position < len(spans):
        raise Invalid(path, f"span index {position} is out of range: this result has {len(spans)} span(s)")
    return position


def entity_id(value, path: str, known: set[int]) -> int | None:
    if value is None:
        return None
    found = integer(value, path)
    if found not in known:
        raise Invalid(path, f"unknown entity {found}: not one of the project's sources")
    return found


def optional_version(value, path: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(path, f"expected a string, got {describe(value)}")
    return str(value)[:50]  # suggestions keep a version of up to 50 characters


def read_model_version(answer: dict) -> str | None:
    model = answer.get("model")
    if model is None:
        return None
    return optional_version(obj(model, "model").get("version"), "model.version")


def read_predictions(answer, batch: list[Document], project: ProjectView) -> list[Guesses]:
    """One Guesses per document of `batch`, in its order; Invalid at the first thing that is wrong."""
    answer = obj(answer, "")
    if answer.get("protocol", PROTOCOL) != PROTOCOL:
        raise Invalid("protocol", f"this side speaks {PROTOCOL}, the answer says {describe(answer['protocol'])}")
    if "results" not in answer:
        raise Invalid("results", "missing")
    documents = {document.id: document for document in batch}
    found: dict[int, Guesses] = {}
    for n, result in enumerate(items(answer, "results", "")):
        path = f"results[{n}]"
        result = obj(result, path)
        if "id" not in result:
            raise Invalid(f"{path}.id", "missing")
        doc_id = integer(result["id"], f"{path}.id")
        if doc_id not in documents:
            raise Invalid(f"{path}.id", f"document {doc_id} was not asked for")
        if doc_id in found:
            raise Invalid(f"{path}.id", f"a second result for document {doc_id}")
        found[doc_id] = read_result(result, path, documents[doc_id], project)
    missing = [str(document.id) for document in batch if document.id not in found]
    if missing:
        raise Invalid("results", f"no result for document {', '.join(missing)}")
    return [found[document.id] for document in batch]


def required(container: dict, key: str, path: str):
    if key not in container:
        raise Invalid(f"{path}.{key}", "missing")
    return container[key]


def read_result(result: dict, path: str, document: Document, project: ProjectView) -> Guesses:
    length = len(document.text)  # code points: what Python indexes, and what the protocol counts
    known = {entity.id for entity in project.entities}
    guesses = Guesses()
    for n, span in enumerate(items(result, "spans", path)):
        where = f"{path}.spans[{n}]"
        span = obj(span, where)
        label = text(required(span, "label", where), f"{where}.label")
        if label not in project.labels:
            raise Invalid(f"{where}.label", f"unknown label {label!r}; the project's labels are "
                                            f"{', '.join(sorted(project.labels))}")
        start = integer(required(span, "start", where), f"{where}.start")
        end = integer(required(span, "end", where), f"{where}.end")
        if not 0 <= start < end <= length:
            raise Invalid(where, f"offsets {start}:{end} are not within the text of document {document.id} "
                                 f"({length} code points; start < end, end exclusive)")
        attributes = span.get("attributes")
        if attributes is not None:
            obj(attributes, f"{where}.attributes")
        guesses.spans.append(SpanGuess(
            label=label, start=start, end=end, score=score(required(span, "score", where), f"{where}.score"),
            entity=entity_id(span.get("entity"), f"{where}.entity", known), attributes=attributes or {}))
    for n, relation in enumerate(items(result, "relations", path)):
        where = f"{path}.relations[{n}]"
        relation = obj(relation, where)
        type_ = text(required(relation, "type", where), f"{where}.type")
        if type_ not in project.relation_types:
            raise Invalid(f"{where}.type", f"unknown relation type {type_!r}; the project's are "
                                           f"{', '.join(sorted(project.relation_types)) or 'none'}")
        source = index(required(relation, "from", where), f"{where}.from", guesses.spans)
        target = index(required(relation, "to", where), f"{where}.to", guesses.spans)
        if source == target:
            raise Invalid(where, "a relation links two different spans")
        for end, position in (("from", source), ("to", target)):
            wanted = project.relation_types[type_][0 if end == "from" else 1]
            if wanted is not None and guesses.spans[position].label != wanted:
                raise Invalid(f"{where}.{end}", f"{type_} goes {end} a {wanted} span, not a "
                                                f"{guesses.spans[position].label}")
        guesses.relations.append(RelationGuess(type=type_, source=source, target=target,
                                               score=score(required(relation, "score", where), f"{where}.score")))
    for n, stance in enumerate(items(result, "stances", path)):
        where = f"{path}.stances[{n}]"
        guesses.stances.append(read_stance(obj(stance, where), where, project, guesses.spans, known))
    return guesses


def read_stance(stance: dict, where: str, project: ProjectView, spans: list[SpanGuess], known: set[int]) -> StanceGuess:
    target = text(required(stance, "target", where), f"{where}.target")
    if target not in project.targets:
        raise Invalid(f"{where}.target", f"unknown stance target {target!r}; the project's are "
                                         f"{', '.join(project.targets) or 'none'}")
    polarity = text(required(stance, "polarity", where), f"{where}.polarity")
    if polarity not in project.polarities:
        raise Invalid(f"{where}.polarity", f"unknown polarity {polarity!r}; the project's are "
                                           f"{', '.join(project.polarities) or 'none'}")
    holder = stance.get("holder")
    holder = None if holder is None else index(holder, f"{where}.holder", spans)
    holder_entity = entity_id(stance.get("holder_entity"), f"{where}.holder_entity", known)
    if holder is None and holder_entity is None:
        raise Invalid(where, "a stance needs a holder (span index) or a holder_entity")
    evidence = tuple(index(value, f"{where}.evidence[{n}]", spans)
                     for n, value in enumerate(items(stance, "evidence", where)))
    explicit = stance.get("explicit", True)
    if not isinstance(explicit, bool):
        raise Invalid(f"{where}.explicit", f"expected true or false, got {describe(explicit)}")
    confidence = score(required(stance, "score", where), f"{where}.score")
    return StanceGuess(target=target, polarity=polarity, score=confidence, holder=holder, holder_entity=holder_entity,
                       evidence=evidence, explicit=explicit)
