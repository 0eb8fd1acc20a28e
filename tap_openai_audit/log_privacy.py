"""Keep the server-side filters' values (e-mails among them) out of the HTTP library's logs.

At DEBUG (`TAP_OPENAI_AUDIT_LOGLEVEL=DEBUG` or `LOGLEVEL=DEBUG`), urllib3 logs every request
line, query string included: `"GET /v1/organization/audit_logs?actor_emails%5B%5D=...`. The
values of the filter parameters are replaced there; the rest of the line (windows, cursors,
status) stays, since that is what a DEBUG log is for.
"""

from __future__ import annotations

import logging
import re

from typing_extensions import override

from tap_openai_audit.settings import FILTER_SETTINGS

MASK = "[filter]"
# The loggers that write request URLs: urllib3's pool logs each request line.
URL_LOGGERS = ("urllib3.connectionpool",)

_FILTER_VALUE = re.compile(
    "((?:"
    + "|".join(re.escape(name) for name, _, _ in FILTER_SETTINGS)
    # `name[]=` as requests encodes it, or raw.
    + r")(?:%5B%5D|\[\])?=)[^&\s\"#]*",
    re.IGNORECASE,
)


def mask_filter_values(text: str) -> str:
    """`text` with the value of every filter parameter in a query string replaced."""
    return _FILTER_VALUE.sub(lambda match: match[1] + MASK, text)


class FilterValueMask(logging.Filter):
    """Rewrites a log record's message without filter values (never drops the record)."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record's message in place; always keep the record."""
        message = record.getMessage()
        masked = mask_filter_values(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def hide_filter_values() -> None:
    """Attach the mask to every logger that writes request URLs (once per logger)."""
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, FilterValueMask) for existing in logger.filters):
            logger.addFilter(FilterValueMask())
