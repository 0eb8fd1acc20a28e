r"""Read an HTTP response body as JSON: fast for the usual body, correct for every valid one.

orjson is several times faster than the standard library, but it refuses some JSON text that
RFC 8259 allows: a string holding a lone UTF-16 surrogate escape (``"\ud800"``) fails the
whole body. Any user who can name a project or send a login's user agent can put such a
string into an audit event, so a refusal there would stop the pipeline. Bodies orjson refuses
are therefore read again by the standard library's conforming parser; only a body that one
refuses too is not JSON.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import orjson


class NotJSON(ValueError):
    """The body is not JSON text: neither parser could read it."""


def _refuse_constant(name: str) -> NoReturn:
    # `json` reads NaN and Infinity, which are not JSON and which no target can store.
    msg = f"{name} is not a JSON value"
    raise ValueError(msg)


def read_json(body: bytes) -> Any:  # noqa: ANN401 - any JSON value
    """Return the JSON value of `body` (UTF-8 JSON text).

    Strings may hold U+0000 or lone surrogates afterwards; see `storable_text` for making
    them storable.

    Raises:
        NotJSON: when `body` is not JSON text, with the conforming parser's reason.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        # Strict UTF-8 first: `json.loads(bytes)` would accept surrogates encoded as raw
        # bytes, which are not UTF-8; a lone surrogate then can only come from an escape.
        text = body.decode("utf-8")
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise NotJSON(reason) from None
