"""OpenAI-shaped error responses: `{"error": {"message", "type", "param", "code"}}`."""

from __future__ import annotations

from http import HTTPStatus

import orjson

_KEY_HELP = "You can find your API key at https://platform.openai.com/account/api-keys."


class ApiError(Exception):
    """An error the emulated API answers with, carrying its HTTP status and body fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        """Describe the error.

        Args:
            status: HTTP status code.
            message: human-readable text, as the API would word it.
            error_type: the `type` field.
            param: the offending parameter, if any.
            code: the machine-readable `code`, if any.
        """
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.param = param
        self.code = code

    def body(self) -> bytes:
        """Serialize the error the way the API does."""
        return error_body(self.message, self.error_type, self.param, self.code)


def error_body(message: str, error_type: str, param: str | None, code: str | None) -> bytes:
    """Return the JSON bytes of an OpenAI error object (all four keys always present)."""
    error = {"message": message, "type": error_type, "param": param, "code": code}
    return orjson.dumps({"error": error})


def mask_key(key: str) -> str:
    """Mask a key the way the API echoes it: the first 8 and the last 4 characters."""
    return f"{key[:8]}***{key[-4:]}"


def bad_request(param: str, message: str, code: str = "invalid_value") -> ApiError:
    """Return a 400 about one query parameter."""
    return ApiError(400, message, param=param, code=code)


def invalid_key(key: str) -> ApiError:
    """Return the 401 for a key that is not the emulator's admin key."""
    return ApiError(
        401, f"Incorrect API key provided: {mask_key(key)}. {_KEY_HELP}", code="invalid_api_key"
    )


def missing_key() -> ApiError:
    """Return the 401 for a request without a bearer token."""
    return ApiError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). " + _KEY_HELP,
        code="missing_api_key",
    )


def project_key() -> ApiError:
    """Return the 403 for a project key used where an Admin API key is needed."""
    return ApiError(
        403,
        "You have insufficient permissions for this operation: a project API key cannot read "
        "audit logs. Use an Admin API key (sk-admin-...) created by an Organization Owner.",
        code="insufficient_permissions",
    )


def status_error(status: int, message: str | None) -> ApiError:
    """Return a generic error for an injected status, typed like the API's own."""
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        default, error_type, code = (
            "Rate limit reached for requests. Please try again later.",
            "requests",
            "rate_limit_exceeded",
        )
    elif status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        default, error_type, code = (
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        )
    else:
        default, error_type, code = (
            f"Request failed with status {status}.",
            "invalid_request_error",
            None,
        )
    return ApiError(status, message or default, error_type=error_type, code=code)
