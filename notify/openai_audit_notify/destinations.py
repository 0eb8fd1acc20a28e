"""Destinations: Apprise URLs, how they are named without their secrets, and one send.

A URL holds its secrets anywhere (a Slack webhook's path, a password, a query token), so no
part of it but the scheme is ever printed or stored. The deliveries table keys a destination
by `key`: PBKDF2-SHA256 of the URL, slow on purpose, so that the table gives no cheap way to
guess a URL back; logs name it `scheme://…#<start of the key>`.

Apprise logs URLs (paths included) at debug level, and an unloadable one at error level. Its
logger and urllib3's are kept out of the process's output altogether (`silence_libraries`);
what a send went wrong with is read from the entries Apprise captures into its result, and only
classified ("HTTP 500", "timed out"), never copied.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import apprise
from apprise import AppriseResultStatus, NotifyFormat, NotifyType

from openai_audit_notify.errors import BadInput

if TYPE_CHECKING:
    from collections.abc import Iterable

    from apprise.plugins.base import NotifyBase

SEND_TIMEOUT_SECONDS = 30.0
KEY_SALT = b"openai-audit-notify destination"
KEY_ROUNDS = 100_000
LABEL_KEY_CHARS = 8
JSON_SCHEMES = frozenset({"json", "jsons"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_HTTP_STATUS = re.compile(r"error=(\d{3})\b")
# The words Apprise's entries use for each kind of failure, lower-cased; the first match wins.
_FAILURES = (
    (("timed out", "timeout", "did not finish"), "timed out"),
    (("refused",), "connection refused"),
    (("name or service not known", "nodename", "getaddrinfo", "resolve"), "host not found"),
    (("ssl", "certificate", "tls"), "TLS error"),
    (("connection",), "connection error"),
)


def silence_libraries() -> None:
    """Keep Apprise's and urllib3's own log lines, which hold URLs, out of every output."""
    for name in ("apprise", "urllib3"):
        logger = logging.getLogger(name)
        logger.propagate = False
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class Destination:
    """One Apprise URL, parsed once."""

    key: str  # the deliveries table's `destination`
    scheme: str
    service: NotifyBase

    @property
    def label(self) -> str:
        """How logs and errors name it: the scheme and the start of the key."""
        return f"{self.scheme}://…#{self.key[:LABEL_KEY_CHARS]}"

    @property
    def takes_json(self) -> bool:
        """A generic JSON webhook: it receives the OCSF finding as the message."""
        return self.scheme in JSON_SCHEMES

    def send(
        self, title: str, body: str, kind: NotifyType, timeout: float = SEND_TIMEOUT_SECONDS
    ) -> str | None:
        """Send one message; None when it was accepted, else why not (no secret in it)."""
        for attribute in ("socket_read_timeout", "socket_connect_timeout"):
            # The URL may ask for shorter socket timeouts (?rto=, ?cto=), never longer.
            setattr(self.service, attribute, min(getattr(self.service, attribute), timeout))
        sender = apprise.Apprise()
        sender.add(self.service)
        try:
            result = sender.notify(
                body=body,
                title=title,
                notify_type=kind,
                body_format=NotifyFormat.TEXT,
                timeout=timeout,
                log_level=logging.DEBUG,
            )
        except Exception as error:  # noqa: BLE001 - any failure of the library is a failed send
            return f"Apprise raised {type(error).__name__}"
        if result.status == AppriseResultStatus.SUCCESS:
            return None
        if result.status == AppriseResultStatus.TIMEOUT:
            return f"timed out after {timeout:g} s"
        return classify(entry.message for entry in result.logs())


def classify(messages: Iterable[str]) -> str:
    """A short reason from Apprise's log entries, made of our words only."""
    texts = [m.lower() for m in messages]
    for text in texts:
        status = _HTTP_STATUS.search(text)
        if status:
            return f"HTTP {status.group(1)}"
    for words, reason in _FAILURES:
        if any(word in text for text in texts for word in words):
            return reason
    return "not accepted by the service"


def destination_key(url: str) -> str:
    """The hex key of a URL: the same URL always gives the same key."""
    return hashlib.pbkdf2_hmac("sha256", url.encode("utf-8"), KEY_SALT, KEY_ROUNDS).hex()


def scheme_of(url: str) -> str:
    """The URL's scheme, lower-cased, or '?' when it has none."""
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else "?"


def load_destinations(urls: Iterable[str]) -> list[Destination]:
    """Parse every URL with Apprise; BadInput names the first it cannot use, by position."""
    silence_libraries()
    urls = list(urls)
    loaded: dict[str, Destination] = {}
    for number, url in enumerate(urls, start=1):
        scheme = scheme_of(url)
        service = _instantiate(url) if scheme != "?" else None
        if service is None:
            msg = (
                f"destinations: URL {number} of {len(urls)} ({scheme}://…) is not one "
                "Apprise can use (check its scheme and the parts that service needs)"
            )
            raise BadInput(msg)
        # Apprise's own socket timeouts are 4 s; a send may take up to 30 s unless the URL
        # asks for shorter ones itself.
        asked = {k.lower() for k in parse_qs(urlsplit(url).query)}
        if "rto" not in asked:
            service.socket_read_timeout = SEND_TIMEOUT_SECONDS
        if "cto" not in asked:
            service.socket_connect_timeout = SEND_TIMEOUT_SECONDS
        key = destination_key(url)
        loaded.setdefault(key, Destination(key=key, scheme=scheme, service=service))
    return list(loaded.values())


def _instantiate(url: str) -> NotifyBase | None:
    try:
        urlsplit(url)  # what Apprise accepts, the timeouts' check below must read too
        return apprise.Apprise.instantiate(url)
    except ValueError:
        return None
