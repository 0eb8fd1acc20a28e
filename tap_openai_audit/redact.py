"""Strip secrets and personal data from text that may reach a log or an error message."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

# Order matters: keys before e-mails (a key never contains "@"), e-mails before IPv6
# (an address like "a::b@x" is not an IP).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # OpenAI keys, also in the masked form the API echoes back ("sk-admin***abcd").
    (re.compile(r"\bsk-[A-Za-z0-9_\-*]+"), "[key]"),
    (re.compile(r"(?i)\bbearer\s+\S+"), "Bearer [key]"),
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "[ip]"),
)

# Anything made of hex digits and at least two colons may be an IPv6 address; `ipaddress`
# decides, so that clock times such as "12:30:45" are left alone.
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?![\w:])")

DEFAULT_LIMIT = 300


def _mask_ipv6(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group(0))
    except ValueError:
        return match.group(0)
    return "[ip]"


def redact(text: str, *, limit: int = DEFAULT_LIMIT, hide: Iterable[str] = ()) -> str:
    """Return `text` without keys, e-mails and IP addresses, cut to about `limit` characters.

    Each string of `hide` (the run's filter values: the API's messages echo a refused value,
    and a project or event type can be as private as an e-mail) becomes `[filter]`, longest
    first so that a value inside another is never half shown. Cutting happens after
    stripping so that a cut can never leave half an address behind.
    """
    for value in sorted({value for value in hide if value}, key=len, reverse=True):
        text = text.replace(value, "[filter]")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    text = _IPV6_CANDIDATE.sub(_mask_ipv6, text)
    text = " ".join(text.split())
    if len(text) > limit:
        return text[:limit] + f"... [{len(text) - limit} more characters cut]"
    return text
