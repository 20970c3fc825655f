"""Serving a finished file (a snapshot) with a length, a checksum and byte ranges (RFC 9110 §14).

A client resumes a cut download with `Range: bytes=N-` (and `If-Range: <etag>`, so a different file
is sent whole instead of spliced); `Repr-Digest` (RFC 9530) and the ETag carry the SHA-256.
"""
import base64
import re
from pathlib import Path

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class _Window:
    """A file read from `start` for `length` bytes, in chunks (FileResponse streams it)."""

    def __init__(self, path: Path, start: int, length: int, chunk: int = 256 * 1024):
        self.handle = path.open("rb")
        self.handle.seek(start)
        self.left = length
        self.chunk = chunk

    def __iter__(self):
        while self.left > 0:
            data = self.handle.read(min(self.chunk, self.left))
            if not data:
                break
            self.left -= len(data)
            yield data

    def close(self):
        self.handle.close()


def _range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) of a single satisfiable range; None to send the whole file; False: unsatisfiable."""
    match = RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # malformed or several ranges: the whole file (allowed by RFC 9110)
    first, last = match.groups()
    if first == "":  # the last N bytes
        n = int(last)
        if n == 0:
            return False
        return max(size - n, 0), size - 1
    first = int(first)
    last = size - 1 if last == "" else min(int(last), size - 1)
    if first >= size or first > last:
        return False
    return first, last


def ranged_file_response(request, path: Path, *, content_type: str, filename: str, sha256: str):
    size = path.stat().st_size
    etag = f'"{sha256}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode()}:",
        "Content-Disposition": content_disposition_header(True, filename),
        "Cache-Control": "private, no-transform",
    }
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    wanted = request.headers.get("Range")
    if wanted and request.headers.get("If-Range", etag) != etag:
        wanted = None  # the client's copy is of another file: send this one whole
    window = _range(wanted, size) if wanted else None
    if window is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        for name, value in headers.items():
            response[name] = value
        return response
    first, last = window if window else (0, size - 1)
    length = last - first + 1 if size else 0
    body = _Window(path, first, length) if request.method != "HEAD" else iter(())
    response = StreamingHttpResponse(body, status=206 if window else 200, content_type=content_type)
    response["Content-Length"] = str(length)
    if window:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    for name, value in headers.items():
        response[name] = value
    return response
