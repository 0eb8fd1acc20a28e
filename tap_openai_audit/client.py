"""HTTP access to the Admin API: one client per tap run, shared by every stream.

It owns what every endpoint has in common: the bearer key, one connection pool for every
thread (`transport.py`), the retry policy, the 429 gate that slows every worker, the refusals
that no retry fixes (401, 403, 400, 404), the SDK's `http_request_duration` metric, and the
redaction of everything quoted from a response. It answers with the parsed JSON body; what
the body must look like is the business of each endpoint's reader (`audit_log/pages.py`,
`inventory/pages.py`).

Why the streams read through this client and not through the SDK's `RESTStream`:

- Concurrency across requests the SDK would send one after another: `RESTStream` reads one
  page after the other for one context at a time, where the tap reads several audit-log
  windows (of both scopes) and several parents' child lists at once (`fetcher.py`), and
  still writes records and state in order.
- One retry policy and one 429 gate for the whole run: a 429 on any request slows every
  worker of every stream, where `RESTStream`'s backoff is per stream and per request.
- The body is parsed once, with orjson (the standard parser only for what orjson refuses,
  see `jsonbody.py`), where `RESTStream` parses it with simplejson (requests' choice once
  the SDK installs it) for the records, and again in its JSONPath paginators.
- Refusals are one line each with the status, path, request id, the API's own (redacted)
  message and what to check; `RESTStream`'s say the status and the path.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson
import urllib3
from singer_sdk import metrics
from urllib3.exceptions import NewConnectionError

from tap_openai_audit.errors import (
    AccessDenied,
    ApiError,
    BadRequest,
    CertificateRejected,
    Forbidden,
    MalformedResponse,
    NotFound,
    RetriesExhausted,
)
from tap_openai_audit.jsonbody import NotJSON, read_json
from tap_openai_audit.log_privacy import hide_filter_values
from tap_openai_audit.redact import redact
from tap_openai_audit.retry import RateGate, RetryPolicy, is_retryable_status, parse_retry_after
from tap_openai_audit.storable_text import may_hold_unstorable
from tap_openai_audit.transport import connection_pool

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tap_openai_audit.settings import Settings

Params = list[tuple[str, str]]

_ADMIN_KEY_HELP = (
    "Use an Admin API key (only an Organization Owner can create one, under Settings > "
    "Organization > Admin keys), set as admin_api_key."
)


@dataclass(frozen=True)
class Advice:
    """What an endpoint's reader tells its user when a request fails for good."""

    # After "permission denied": what to check for this endpoint.
    forbidden: str
    # After "giving up" on transient failures: what was kept, and how to resume.
    rerun: str


@dataclass(frozen=True)
class Answer:
    """A 200 answer: its parsed JSON body, and the request id to quote in errors."""

    body: Any
    request_id: str
    # False guarantees the body held no U+0000 and no lone surrogate (see storable_text).
    may_hold_unstorable: bool = False


def list_envelope(body: Any, where: str) -> tuple[dict[str, Any], list[Any], bool]:  # noqa: ANN401 - any JSON
    """The `{"data": [...], "has_more": ...}` envelope every list endpoint answers with.

    Returns:
        The envelope, its `data` and its `has_more`; the cursor's name is each style's own.

    Raises:
        MalformedResponse: naming `where`, when `data` is not an array or `has_more` not a
            boolean: a silent empty page would lose objects.
    """
    envelope = body if isinstance(body, dict) else {}
    data = envelope.get("data")
    has_more = envelope.get("has_more")
    if not isinstance(data, list) or not isinstance(has_more, bool):
        keys = ", ".join(sorted(str(key) for key in envelope)[:10]) or "none"
        msg = (
            f"{where} answered 200 without the list envelope's `data` array and `has_more` "
            f"flag (keys: {keys}). Check api_url."
        )
        raise MalformedResponse(msg)
    return envelope, data, has_more


class ApiClient:
    """Sends GET requests, retrying what is transient and refusing what is not.

    Safe to share between threads: they share one connection pool and one `RateGate`, so a
    429 slows every worker of every stream.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        logger: logging.Logger,
        retry: RetryPolicy | None = None,
        gate: RateGate | None = None,
    ) -> None:
        """Prepare to send with `settings`; nothing is sent yet."""
        hide_filter_values()
        self._settings = settings
        self._logger = logger
        self._retry = retry or RetryPolicy()
        self._gate = gate or RateGate()
        self._pool = connection_pool(settings.api_url, connections=settings.max_concurrency + 1)
        # Its connections are closed with the client (or at exit), never left to the garbage
        # collector (a ResourceWarning each).
        weakref.finalize(self, self._pool.clear)
        self._headers = {
            "Authorization": f"Bearer {settings.admin_api_key}",
            "User-Agent": settings.user_agent,
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
        }
        self._timeout = urllib3.Timeout(
            connect=settings.request_timeout, read=settings.request_timeout
        )
        self._date_lock = threading.Lock()
        self._answered = False
        self._first_date: int | None = None
        # Whether any request of this run got a 200: after one, api_url is known to be right.
        self._succeeded = False
        self._metrics = metrics.get_metrics_logger()

    @property
    def settings(self) -> Settings:
        """The settings every request is sent with."""
        return self._settings

    @property
    def first_answer_date(self) -> int | None:
        """The `Date` header of the run's first HTTP answer (any status), in Unix seconds.

        The API's own clock, floored to the second. None before any answer, and when that
        header was missing or unreadable.
        """
        with self._date_lock:
            return self._first_date

    def get_json(self, path: str, params: Params, *, advice: Advice) -> Answer:
        """GET `path` with `params`: the parsed body of a 200, after retries if needed.

        Raises:
            RetriesExhausted: 429, 5xx, timeouts or dropped connections past the retry bound.
            CertificateRejected: the server's certificate did not verify (never retried).
            AccessDenied: 401, or 403 (`Forbidden`).
            BadRequest: 404 (`NotFound`) or another 4xx, with the API's own (redacted) message.
            MalformedResponse: a 200 whose body is not JSON.
        """
        attempt = 0
        while True:
            self._gate.wait()
            outcome = self._attempt(path, params, advice)
            if isinstance(outcome, Answer):
                return outcome
            reason, retry_after, is_rate_limit = outcome
            if attempt >= self._retry.max_retries:
                msg = (
                    f"GET {path} failed {attempt + 1} times in a row, last with {reason}; "
                    f"giving up. {advice.rerun}"
                )
                raise RetriesExhausted(msg)
            delay = self._retry.delay(attempt, retry_after)
            attempt += 1
            self._logger.warning(
                "GET %s: %s; retry %d of %d in %.1f s",
                path,
                reason,
                attempt,
                self._retry.max_retries,
                delay,
            )
            if is_rate_limit:
                self._gate.hold_for(delay)
            else:
                time.sleep(delay)

    def _attempt(
        self, path: str, params: Params, advice: Advice
    ) -> Answer | tuple[str, float | None, bool]:
        """Send once: an answer, or why to retry (reason, Retry-After seconds, is a 429)."""
        url = self._settings.api_url + path
        if params:
            url += "?" + urlencode(params)
        started = time.perf_counter()
        # Never str(exc) below: it holds the query string, e-mail filters included.
        try:
            response = self._pool.request(
                "GET", url, headers=self._headers, timeout=self._timeout, retries=False
            )
        except NewConnectionError as exc:  # before TimeoutError: it is one of its subclasses
            return f"connection failed ({_root_cause(exc)})", None, False
        except urllib3.exceptions.TimeoutError:
            return (
                f"no answer within request_timeout ({self._settings.request_timeout:g} s)",
                None,
                False,
            )
        except urllib3.exceptions.HTTPError as exc:
            rejected = _certificate_rejection(exc)
            if rejected is not None:
                # The same certificate comes back on every retry: no network fault to wait out.
                msg = (
                    f"GET {path}: the server's TLS certificate was not accepted ({rejected}). "
                    "Check api_url; if a proxy or a private CA signs that certificate, set "
                    "REQUESTS_CA_BUNDLE to the CA's PEM file."
                )
                raise CertificateRejected(msg) from None
            return f"connection failed ({_root_cause(exc)})", None, False
        self._note_date(response.headers.get("date"))
        request_id = response.headers.get("x-request-id", "none")
        status = response.status
        self._log_duration(path, status, time.perf_counter() - started)
        if status == 200:  # noqa: PLR2004
            self._succeeded = True
            content = response.data
            body = _parse_json(content, response.headers.get("content-type", ""), path, request_id)
            return Answer(
                body=body,
                request_id=request_id,
                may_hold_unstorable=may_hold_unstorable(content),
            )
        if is_retryable_status(status):
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            return f"HTTP {status} (request id {request_id})", retry_after, status == 429  # noqa: PLR2004
        hidden = [value for _, values in self._settings.filters for value in values]
        raise _refusal(
            path,
            status,
            response.data,
            request_id,
            advice=advice,
            hidden=hidden,
            api_url_works=self._succeeded,
        )

    def _log_duration(self, path: str, status: int, seconds: float) -> None:
        """The SDK's `http_request_duration` metric, as `RESTStream` logs it for each answer."""
        if not self._metrics.isEnabledFor(logging.INFO):
            return
        metrics.log(
            self._metrics,
            metrics.Point(
                "timer",
                metric=metrics.Metric.HTTP_REQUEST_DURATION,
                value=seconds,
                tags={
                    metrics.Tag.ENDPOINT: path,
                    metrics.Tag.HTTP_STATUS_CODE: status,
                    metrics.Tag.STATUS: (
                        metrics.Status.SUCCEEDED if status < 400 else metrics.Status.FAILED  # noqa: PLR2004
                    ),
                },
            ),
        )

    def _note_date(self, header: str | None) -> None:
        with self._date_lock:
            if self._answered:
                return
            self._answered = True
            self._first_date = parse_http_date(header)


def parse_http_date(header: str | None) -> int | None:
    """An HTTP `Date` header as Unix seconds, floored; None when absent or unreadable."""
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return int(moment.timestamp() // 1)
    except (OverflowError, OSError):
        return None


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's class name: says what happened without quoting any URL."""
    while exc.__context__ is not None or exc.__cause__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return type(exc).__name__


def _certificate_rejection(exc: BaseException) -> str | None:
    """OpenSSL's reason when `exc` comes from a certificate that failed verification, else None.

    urllib3 wraps it (in `SSLError`, and in `ProxyError` through a proxy): look down the chain.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or "certificate verify failed")
        seen = seen.__cause__ or seen.__context__
    return None


def _parse_json(body: bytes, content_type: str, path: str, request_id: str) -> Any:  # noqa: ANN401 - any JSON
    try:
        return read_json(body)
    except NotJSON:
        snippet = redact(body[:2000].decode("utf-8", "replace"), limit=120)
        msg = (
            f"GET {path} (request id {request_id}) answered 200 with a body that is not JSON "
            f"(content-type {content_type or 'none'}, {len(body)} bytes: {snippet!r}). "
            "Check api_url, and any proxy between the tap and the API."
        )
        raise MalformedResponse(msg) from None


def _api_message(body: bytes, hidden: Iterable[str]) -> str:
    """The API's own error message, stripped of keys, e-mails, IP addresses and `hidden`."""
    try:
        error = orjson.loads(body).get("error", {})
        message = str(error.get("message") or "")
    except (orjson.JSONDecodeError, AttributeError):
        message = body[:2000].decode("utf-8", "replace")
    return redact(message, hide=hidden) or "no message"


def _refusal(  # noqa: PLR0913 - what one refusal message is made of
    path: str,
    status: int,
    body: bytes,
    request_id: str,
    *,
    advice: Advice,
    hidden: Iterable[str],
    api_url_works: bool,
) -> ApiError:
    where = f"GET {path} answered HTTP {status} (request id {request_id})"
    message = _api_message(body, hidden)
    if status == 401:  # noqa: PLR2004
        return AccessDenied(f"{where}: the API key was not accepted ({message}). {_ADMIN_KEY_HELP}")
    if status == 403:  # noqa: PLR2004
        return Forbidden(f"{where}: permission denied ({message}). {advice.forbidden}", where=where)
    if status == 404:  # noqa: PLR2004
        # After a 200 from the same api_url, the URL is right and this resource is what is
        # missing; before any, a wrong api_url is the likeliest cause.
        check = (
            "Other requests to api_url succeeded in this run: this resource is missing, not "
            "the URL."
            if api_url_works
            else "Check api_url (it should end in /v1)."
        )
        return NotFound(f"{where}: not found ({message}). {check}", where=where)
    return BadRequest(f"{where}: {message}")
