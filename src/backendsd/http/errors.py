"""The one mapping from errors to HTTP statuses and ``{"error": "<message>"}`` bodies."""

from __future__ import annotations

from aiohttp import web

from backendsd.errors import (
    AlreadyExistsError,
    BackendsdError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnauthenticatedError,
)
from backendsd.http.json import json_response
from backendsd.http.routing import MAX_BODY_BYTES
from backendsd.validation import shorten

INTERNAL_ERROR_MESSAGE = "internal error; the daemon log has the details"

_STATUSES: tuple[tuple[type[BackendsdError], int], ...] = (
    (InvalidArgumentError, 400),
    (UnauthenticatedError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    # Both are conflicts with the current state: an address another backend
    # holds, or a backend that is not connected.
    (AlreadyExistsError, 409),
    (FailedPreconditionError, 409),
    (ResourceExhaustedError, 429),
)

# Headers of aiohttp's own errors that describe its plain-text body, which the
# JSON body replaces.
_BODY_HEADERS = frozenset({"content-type", "content-length"})


def status_for(error: BackendsdError) -> int:
    for error_type, status in _STATUSES:
        if isinstance(error, error_type):
            return status
    return 500


def domain_error_response(error: BackendsdError) -> web.Response:
    status = status_for(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return error_response(status, error.message, headers)


def http_error_response(error: web.HTTPException, request: web.Request) -> web.Response:
    """Return aiohttp's error (no route, wrong method, body too large, …) with a JSON body.

    Headers such as ``Allow`` on 405 are kept.
    """
    headers = {name: value for name, value in error.headers.items() if name.lower() not in _BODY_HEADERS}
    return error_response(error.status, _message_of(error, request), headers)


def internal_error_response() -> web.Response:
    return error_response(500, INTERNAL_ERROR_MESSAGE)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_response({"error": message}, status=status, headers=headers)


def _message_of(error: web.HTTPException, request: web.Request) -> str:
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        return f"method {error.method} is not allowed on {shorten(request.path)}; use {allowed}"
    if isinstance(error, web.HTTPRequestEntityTooLarge):
        return f"the request body is larger than the maximum of {MAX_BODY_BYTES} bytes"
    if isinstance(error, web.HTTPNotFound) and error.text == "404: Not Found":
        return f"no such path: {shorten(request.path)}"
    # aiohttp's own errors carry "<status>: <reason>" or a useful sentence,
    # and the API's handlers raise them with a full message.
    return error.text or error.reason
