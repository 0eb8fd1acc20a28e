"""Response values and the list envelope, built by joining pre-serialized bytes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from openai_audit_emulator.errors import ApiError
    from openai_audit_emulator.store import Page

JSON = "application/json"


@dataclass(frozen=True)
class Response:
    """What the HTTP layer sends; `body=None` means: close the connection, send nothing."""

    status: int
    body: bytes | None
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = field(default=())


def request_id() -> str:
    """Return a fresh id in the API's `x-request-id` format."""
    return f"req_{secrets.token_hex(16)}"


def envelope(page: Page, *, last_id: str | None = None, has_more: bool | None = None) -> bytes:
    """Wrap a page in the list envelope; `last_id`/`has_more` override the page's own."""
    final_last = page.last_id if last_id is None else last_id
    final_more = page.has_more if has_more is None else has_more
    return b"".join(
        (
            b'{"object":"list","data":[',
            b",".join(page.bodies),
            b'],"first_id":',
            orjson.dumps(page.first_id),
            b',"last_id":',
            orjson.dumps(final_last),
            b',"has_more":',
            b"true" if final_more else b"false",
            b"}",
        )
    )


def error_response(error: ApiError, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """Return the response for an API error."""
    return Response(error.status, error.body(), headers=headers)


def json_response(status: int, value: object) -> Response:
    """Return a JSON response (control endpoints)."""
    return Response(status, orjson.dumps(value))
