"""HTTP access to `GET /organization/audit_logs`: requests, retries, errors and pagination.

Facts it relies on (see the API reference kept with the project): filters go out as
`name[]=value`, the time range as `effective_at[gte|lt]` in Unix seconds, the cursor as
`after=<last_id>`; the body is `{"object": "list", "data": [...], "last_id", "has_more"}`.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import requests

from tap_openai_audit.errors import (
    AccessDenied,
    AuditLogAPIError,
    BadRequest,
    MalformedResponse,
    PaginationError,
    RetriesExhausted,
)
from tap_openai_audit.redact import redact
from tap_openai_audit.retry import RateGate, RetryPolicy, is_retryable_status, parse_retry_after

if TYPE_CHECKING:
    import logging
    from collections.abc import Iterator

    from tap_openai_audit.settings import Settings
    from tap_openai_audit.windows import Window

PATH = "/organization/audit_logs"
Params = list[tuple[str, str]]
Event = dict[str, Any]

_ADMIN_KEY_HELP = (
    "Use an Admin API key (only an Organization Owner can create one, under Settings > "
    "Organization > Admin keys), set as admin_api_key or OPENAI_ADMIN_KEY."
)
_RERUN = "Rerun later; the bookmark stays at the last completed window."
_AUDIT_LOGGING_HELP = (
    "Check that the key is an Admin API key, not a project key, and that audit logging is "
    "activated for the organization (Settings > Organization > Data controls)."
)


@dataclass(frozen=True)
class Page:
    """One page of the list envelope."""

    events: list[Event]
    has_more: bool
    last_id: str | None


class AuditLogClient:
    """Reads audit-log pages, retrying what is transient and refusing what is not.

    Safe to share between threads: each thread gets its own `requests.Session`, and all of
    them share one `RateGate`, so a 429 slows every worker.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        logger: logging.Logger,
        retry: RetryPolicy | None = None,
        gate: RateGate | None = None,
    ) -> None:
        """Prepare to read with `settings`; nothing is sent yet."""
        self._settings = settings
        self._url = settings.api_url + PATH
        self._logger = logger
        self._retry = retry or RetryPolicy()
        self._gate = gate or RateGate()
        self._local = threading.local()
        self._filter_params: Params = [
            (f"{name}[]", value) for name, values in settings.filters for value in values
        ]
        if settings.tenant_only:
            self._filter_params.append(("tenant_only", "true"))

    def window_pages(self, window: Window) -> Iterator[Page]:
        """Every page of `window`, following the cursor until `has_more` is false."""
        base = [
            *self._filter_params,
            ("effective_at[gte]", str(window.start)),
            ("effective_at[lt]", str(window.end)),
            ("limit", str(self._settings.page_size)),
        ]
        cursors: set[str] = set()
        after: str | None = None
        while True:
            page = self.fetch([*base, ("after", after)] if after else base)
            yield page
            if not page.has_more:
                return
            if not page.events:
                msg = (
                    f"The API answered has_more=true with an empty page for window "
                    f"{window.start}..{window.end}; stopping rather than looping. {_RERUN}"
                )
                raise PaginationError(msg)
            # `after` is "the ID of the last object" received (API reference). A `last_id`
            # naming anything else would move the cursor outside this page, e.g. back to an
            # earlier window, and end the window early with events unread: refuse it.
            after = str(page.events[-1]["id"])
            repeated = page.last_id if page.last_id in cursors else after
            if repeated in cursors:
                msg = (
                    f"The API returned cursor {repeated!r} twice for window "
                    f"{window.start}..{window.end}; stopping rather than looping. {_RERUN}"
                )
                raise PaginationError(msg)
            if page.last_id is not None and page.last_id != after:
                msg = (
                    f"The API's last_id {page.last_id!r} is not the id of the page's last event "
                    f"{after!r} (window {window.start}..{window.end}); following it could skip "
                    f"events, so the tap stops. {_RERUN}"
                )
                raise PaginationError(msg)
            cursors.add(after)

    def has_events_before(self, moment: int) -> bool:
        """Whether any event matching the filters has `effective_at` before `moment`."""
        page = self.fetch([*self._filter_params, ("effective_at[lt]", str(moment)), ("limit", "1")])
        return bool(page.events)

    def find_earliest(self, upper: int) -> int | None:
        """The `effective_at` of the oldest event before `upper`, or None when there is none.

        A binary search of one-event probes: about 31 requests for all of Unix time, where
        reading empty day windows since 1970 would take twenty thousand.
        """
        if not self.has_events_before(upper):
            return None
        low, high = 0, upper  # nothing before `low`; something before `high`
        if self.has_events_before(low + 1):
            return low
        while high - low > 1:
            middle = (low + high) // 2
            if self.has_events_before(middle):
                high = middle
            else:
                low = middle
        return low

    def fetch(self, params: Params) -> Page:
        """One page, retried on 429, 5xx, timeouts and dropped connections."""
        attempt = 0
        while True:
            self._gate.wait()
            outcome = self._attempt(params)
            if isinstance(outcome, Page):
                return outcome
            reason, retry_after, is_rate_limit = outcome
            if attempt >= self._retry.max_retries:
                msg = (
                    f"GET {PATH} failed {attempt + 1} times in a row, last with {reason}; "
                    "giving up. The state of every completed window has been emitted: "
                    "rerun to resume from it."
                )
                raise RetriesExhausted(msg)
            delay = self._retry.delay(attempt, retry_after)
            attempt += 1
            self._logger.warning(
                "GET %s: %s; retry %d of %d in %.1f s",
                PATH,
                reason,
                attempt,
                self._retry.max_retries,
                delay,
            )
            if is_rate_limit:
                self._gate.hold_for(delay)
            else:
                time.sleep(delay)

    def _attempt(self, params: Params) -> Page | tuple[str, float | None, bool]:
        """Send once: a page, or why to retry (reason, Retry-After seconds, is a 429)."""
        try:
            response = self._session().get(
                self._url, params=params, timeout=self._settings.request_timeout
            )
        except requests.Timeout:
            # Never str(exc): requests puts the query string, e-mail filters included, in it.
            return (
                f"no answer within request_timeout ({self._settings.request_timeout:g} s)",
                None,
                False,
            )
        except requests.ConnectionError as exc:
            return f"connection failed ({_root_cause(exc)})", None, False
        request_id = response.headers.get("x-request-id", "none")
        status = response.status_code
        if status == 200:  # noqa: PLR2004
            return _parse_page(
                response.content, response.headers.get("content-type", ""), request_id
            )
        if is_retryable_status(status):
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            return f"HTTP {status} (request id {request_id})", retry_after, status == 429  # noqa: PLR2004
        raise _refusal(status, response.content, request_id)

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # requests re-reads the proxy variables on every request, a measurable cost per
            # page; read them once for the one URL used, exactly as requests would.
            session.trust_env = False
            session.proxies = requests.utils.get_environ_proxies(self._url)
            session.verify = (
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            )
            session.headers.update(
                {
                    "Authorization": f"Bearer {self._settings.admin_api_key}",
                    "User-Agent": self._settings.user_agent,
                    "Accept": "application/json",
                }
            )
            self._local.session = session
        return session


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's class name: says what happened without quoting any URL."""
    while exc.__context__ is not None or exc.__cause__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return type(exc).__name__


def _parse_page(body: bytes, content_type: str, request_id: str) -> Page:
    """Check the envelope strictly: a silent empty page would lose events."""
    where = f"GET {PATH} (request id {request_id})"
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        snippet = redact(body[:2000].decode("utf-8", "replace"), limit=120)
        msg = (
            f"{where} answered 200 with a body that is not JSON "
            f"(content-type {content_type or 'none'}, {len(body)} bytes: {snippet!r}). "
            "Check api_url, and any proxy between the tap and the API."
        )
        raise MalformedResponse(msg) from None
    if not isinstance(envelope, dict):
        msg = f"{where} answered 200 with JSON that is not the list envelope."
        raise MalformedResponse(msg)
    data = envelope.get("data")
    has_more = envelope.get("has_more")
    last_id = envelope.get("last_id")
    if not isinstance(data, list) or not isinstance(has_more, bool):
        keys = ", ".join(sorted(str(key) for key in envelope)[:10]) or "none"
        msg = (
            f"{where} answered 200 without the list envelope's `data` array and `has_more` "
            f"flag (keys: {keys}). Check api_url."
        )
        raise MalformedResponse(msg)
    for event in data:
        if not (
            isinstance(event, dict)
            and isinstance(event.get("id"), str)
            and isinstance(event.get("type"), str)
            and isinstance(event.get("effective_at"), int)
        ):
            msg = (
                f"{where} returned an event without a string id, a string type and an "
                "integer effective_at."
            )
            raise MalformedResponse(msg)
    if last_id is not None and not isinstance(last_id, str):
        msg = f"{where} returned a last_id that is not a string."
        raise MalformedResponse(msg)
    return Page(events=data, has_more=has_more, last_id=last_id)


def _api_message(body: bytes) -> str:
    """The API's own error message, stripped of keys, e-mails and IP addresses."""
    try:
        error = orjson.loads(body).get("error", {})
        message = str(error.get("message") or "")
    except (orjson.JSONDecodeError, AttributeError):
        message = body[:2000].decode("utf-8", "replace")
    return redact(message) or "no message"


def _refusal(status: int, body: bytes, request_id: str) -> AuditLogAPIError:
    where = f"GET {PATH} answered HTTP {status} (request id {request_id})"
    message = _api_message(body)
    if status == 401:  # noqa: PLR2004
        return AccessDenied(f"{where}: the API key was not accepted ({message}). {_ADMIN_KEY_HELP}")
    if status == 403:  # noqa: PLR2004
        return AccessDenied(f"{where}: permission denied ({message}). {_AUDIT_LOGGING_HELP}")
    if status == 404:  # noqa: PLR2004
        return BadRequest(f"{where}: not found ({message}). Check api_url (it should end in /v1).")
    return BadRequest(f"{where}: {message}")
