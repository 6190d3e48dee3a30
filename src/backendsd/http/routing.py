"""The route table entry that ties a path to its handler and the role it needs, and the request size limit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from backendsd.auth.tokens import Role

# Maximum request body, in bytes. A larger body gets status 413. The
# largest legitimate body, a certificate signing request, is a few KiB.
MAX_BODY_BYTES = 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    """One method and path of the HTTP API."""

    method: str
    path: str
    """aiohttp path pattern, such as ``/backends/{id}``."""
    handler: Handler
    role: Role | None
    """Role the bearer token needs; None for a route that needs no token."""
