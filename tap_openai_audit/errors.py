"""Errors the tap reports to its user as one clear line.

The tree::

    TapOpenAIAuditError            anything the tap reports as a clean, actionable failure
    ├── InvalidSettings            settings refused before any request, one line per problem
    ├── MissingKeyError            no Admin API key where a request is about to be sent
    ├── UnreadableCaBundle         REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE cannot be read
    ├── UnreadableStateError       (audit log) the incoming state is not this tap's
    └── ApiError                   an Admin API endpoint, any of them, said no, or said
        │                          something the tap cannot trust
        ├── RetriesExhausted       429, 5xx, timeouts or dropped connections past the retry bound
        ├── CertificateRejected    the server's TLS certificate failed verification
        ├── AccessDenied           401 or 403: a key or organization problem no retry will fix
        │   └── Forbidden          403: the key or the organization lacks this endpoint
        ├── BadRequest             400, or another 4xx: the API's own (redacted) message
        │   └── NotFound           404: no such endpoint here, or its parent object is gone
        ├── MalformedResponse      a 200 whose body is not the documented envelope
        │   └── UnusableEvent      (audit log) an event without a string id and type, or
        │                          without whole seconds in effective_at
        └── PaginationError        a cursor that repeats, or `has_more` with an empty page

`ApiError` and its direct subclasses are shared by both stream families: the shared client
(`client.py`) raises the status-based ones, each family's page reader the envelope and cursor
ones. The inventory tolerates `Forbidden` and `NotFound` where docs/sql.md says so; every
other error, and any of them on the audit log, stops the run.

Invalid settings are refused by the tap's constructor as the SDK's `ConfigValidationError`
(what the SDK's own callers expect); the command line turns it into `InvalidSettings`, so that
a run and `--test` print the same lines. Messages never carry the key, and quote response
bodies only through `redact`.
"""

from __future__ import annotations


class TapOpenAIAuditError(Exception):
    """A failure the command line reports as one line and a non-zero exit."""


class InvalidSettings(TapOpenAIAuditError):
    """Settings refused before any request: each problem is one line naming its setting."""

    def __init__(self, problems: list[str]) -> None:
        """`problems`: one line each, the setting's name first where it has one."""
        super().__init__("\n".join(problems))
        self.problems = problems


class UnreadableCaBundle(TapOpenAIAuditError):
    """The CA bundle the environment names cannot be read: a setting to fix, not a network fault."""


class MissingKeyError(TapOpenAIAuditError):
    """A sync or a connection test was asked for without an Admin API key."""


class UnreadableStateError(TapOpenAIAuditError):
    """The incoming state cannot be read as this tap's state: refused before any request."""


class ApiError(TapOpenAIAuditError):
    """An Admin API endpoint could not be read."""


class RetriesExhausted(ApiError):
    """Transient failures kept coming past the retry bound."""


class CertificateRejected(ApiError):
    """The server's TLS certificate did not verify: a retry meets the same certificate."""


class AccessDenied(ApiError):
    """401 or 403: retrying cannot help, the key or the organization must change."""


class Forbidden(AccessDenied):
    """403: the organization lacks the feature, or the key lacks the permission.

    The inventory skips the stream for the run (docs/sql.md); for the audit log it is an error.
    """

    def __init__(self, message: str, *, where: str) -> None:
        """`where` names the request: method, path, status and request id."""
        super().__init__(message)
        self.where = where


class BadRequest(ApiError):
    """The API refused the request's parameters."""


class NotFound(BadRequest):
    """404: the organization has no such list, or the parent in the path went away."""

    def __init__(self, message: str, *, where: str) -> None:
        """`where` names the request: method, path, status and request id."""
        super().__init__(message)
        self.where = where


class MalformedResponse(ApiError):
    """A successful status with a body that is not the documented list envelope."""


class UnusableEvent(MalformedResponse):
    """An audit event the tap cannot place: its id, type or effective_at is unusable."""


class PaginationError(ApiError):
    """The cursor would make the tap loop or stop early."""
