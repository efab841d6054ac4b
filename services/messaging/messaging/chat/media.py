"""Fetching a message's media URL in the send task: bounded in size and time, sniffed, and (in
production) never from a private or loopback address, so a send cannot probe the platform's
own network. Redirects are followed by hand, each hop checked the same way."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from messaging.chat.errors import FailureCode
from messaging.chat.validation import FETCHABLE_SCHEMES, SNIFF_BYTES, check_media_bytes
from servicekit.envelope.errors import ApplicationError

MAX_REDIRECTS = 3


class MediaUnavailable(Exception):
    """The URL could not be fetched now (timeout, refused, 5xx): another attempt may succeed."""


class MediaRefused(Exception):
    """The media can never be sent: too large, a refused type, a forbidden address, a 4xx."""

    def __init__(self, message: str, *, code: FailureCode) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class FetchedMedia:
    data: bytes
    mimetype: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # the caller follows redirects itself, checking each address


_opener = urllib.request.build_opener(_NoRedirects)


def fetch_media(url: str) -> FetchedMedia:
    conf = settings.MESSAGING
    limit = conf["MEDIA_MAX_BYTES"]
    for _ in range(MAX_REDIRECTS + 1):
        _check_address(url, allow_private=conf["MEDIA_URL_ALLOW_PRIVATE"])
        try:
            with _opener.open(url, timeout=conf["MEDIA_FETCH_TIMEOUT_SECONDS"]) as response:
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > limit:
                    raise MediaRefused(
                        f"the media is {declared} bytes; the limit is {limit}",
                        code=FailureCode.MEDIA_TOO_LARGE,
                    )
                data = response.read(limit + 1)
        except urllib.error.HTTPError as exc:
            if exc.code in (301, 302, 303, 307, 308) and exc.headers.get("Location"):
                url = urljoin(url, exc.headers["Location"])
                continue
            if exc.code >= 500 or exc.code == 429:
                raise MediaUnavailable(f"the media URL answered {exc.code}") from None
            raise MediaRefused(
                f"the media URL answered {exc.code}", code=FailureCode.MEDIA_UNAVAILABLE
            ) from None
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            raise MediaUnavailable(f"the media URL could not be fetched: {exc}") from None
        if len(data) > limit:
            raise MediaRefused(f"the media is larger than {limit} bytes", code=FailureCode.MEDIA_TOO_LARGE)
        try:
            mimetype = check_media_bytes(data[:SNIFF_BYTES], size=len(data))
        except ApplicationError as exc:
            raise MediaRefused(exc.message, code=FailureCode.UNSUPPORTED_MEDIA_TYPE) from None
        return FetchedMedia(data=data, mimetype=mimetype)
    raise MediaRefused(f"more than {MAX_REDIRECTS} redirects", code=FailureCode.MEDIA_URL_REFUSED)


def _check_address(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in FETCHABLE_SCHEMES or not parts.hostname:
        raise MediaRefused("only http(s) URLs are fetched", code=FailureCode.MEDIA_URL_REFUSED)
    if allow_private:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError as exc:
        raise MediaUnavailable(f"the media host does not resolve: {exc}") from None
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise MediaRefused(
                "the media URL points at a private address", code=FailureCode.MEDIA_URL_REFUSED
            )
