"""Where a webhook may be sent: http(s) URLs whose host resolves to public addresses only (SSRF guard).

A hook's URL is checked when it is registered (a clear message) and again at every delivery, because
DNS can change in between. The delivery then connects to an address this check approved, not to a
second lookup of the name, so a name that answers a public address to the check and a private one to
the connection (DNS rebinding) gains nothing.
"""
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeURL(ValueError):
    """A URL a webhook may not be sent to; the message says why."""


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return not (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
                or address.is_reserved or address.is_unspecified or not address.is_global)


def check_url(url: str) -> list[str]:
    """The addresses `url`'s host resolves to, all allowed; else UnsafeURL. Resolves DNS."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(f"Only http and https URLs can receive webhooks, not {parts.scheme or 'no scheme'}.")
    host = parts.hostname
    if not host:
        raise UnsafeURL("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UnsafeURL(f"The URL's port is not valid: {error}.") from None
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(f"The host {host} cannot be resolved ({error}).") from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise UnsafeURL(f"The host {host} resolves to no address.")
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        refused = [a for a in addresses if not is_public(ipaddress.ip_address(a.split("%", 1)[0]))]
        if refused:
            raise UnsafeURL(
                f"The host {host} resolves to {', '.join(refused)}, a private, loopback, link-local or reserved "
                "address: webhooks go to public addresses only (a deployment may allow private ones with "
                "WEBHOOK_ALLOW_PRIVATE)."
            )
    return addresses
