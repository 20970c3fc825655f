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
)
from ..protocol import (
    PROTOCOL,
    Invalid,
    describe,
    document_payload,
    example_payload,
    optional_version,
    project_payload,
    read_model_version,
    read_predictions,
)
from ..registry import register

USER_AGENT = "annotate-recommender/1"
SHOWN = 200  # characters of a failing answer's body put in the error
MAX_ANSWER = 32 * 1024 * 1024  # bytes; a batch's answer is a few kilobytes per article
CHUNK = 64 * 1024


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
