"""How a delivery is signed, and how a receiver checks it (docs/webhooks.md shows the same in 5 lines).

    X-Annotate-Timestamp: 1718000000
    X-Annotate-Signature: sha256=<hex HMAC-SHA256 of b"1718000000." + body, keyed with the hook's secret>

The timestamp is inside the signature, so a receiver that refuses old timestamps refuses replays.
"""
import hashlib
import hmac
import time

PREFIX = "sha256="


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def verify(secret: str, timestamp: str, body: bytes, header: str, *, tolerance: int = 300,
           now: float | None = None) -> bool:
    """Whether `header` signs `body` at `timestamp` with `secret`, and that timestamp is recent."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent, body), header or "")
