"""The middleware that every HTTP request passes through.

It authorizes the bearer token against the role of the matched route and
maps errors to statuses in one place (:mod:`backendsd.http.errors`). It turns
unexpected exceptions into a 500 without leaking their text. It logs one
``http_request_finished`` line per request, as the gRPC interceptor logs
``rpc_finished``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import structlog
from aiohttp import web

from backendsd.auth.authenticator import Authenticator
from backendsd.auth.tokens import Role
from backendsd.errors import BackendsdError
from backendsd.http.errors import domain_error_response, http_error_response, internal_error_response
from backendsd.http.routing import Handler

logger = structlog.get_logger(__name__)

# Routes whose requests are logged at debug level: probes and OCSP checks
# arrive every few seconds and would drown the log at info.
QUIET_ROUTES = frozenset({"/health", "/certs/ocsp", "/certs/ocsp/{request}"})


class RequestMiddleware:
    """Authorizes, maps errors and logs every request of the HTTP listener.

    ``roles`` maps each route pattern and method to the role it needs, None
    for a public route. A route that is not listed needs admin, so an
    undeclared route fails closed.
    """

    def __init__(self, *, authenticator: Authenticator, roles: Mapping[tuple[str, str], Role | None]) -> None:
        self._authenticator = authenticator
        self._roles = dict(roles)

    @web.middleware
    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        route = _route_pattern(request)
        status = 500
        with structlog.contextvars.bound_contextvars(http_method=request.method, http_route=route):
            try:
                response = await self._run(request, handler, route)
                status = response.status
                return response
            finally:
                self._log(request, route, status, started)

    async def _run(self, request: web.Request, handler: Handler, route: str) -> web.StreamResponse:
        try:
            await self._authorize(request, route)
            return await handler(request)
        except BackendsdError as error:
            return domain_error_response(error)
        except web.HTTPException as error:
            return http_error_response(error, request)
        except Exception:
            logger.exception("http_request_failed", peer=request.remote)
            return internal_error_response()

    async def _authorize(self, request: web.Request, route: str) -> None:
        # No route matched: the handler raises 404 or 405, which needs no token.
        if request.match_info.http_exception is not None:
            return
        role = self._roles.get((request.method, route), Role.ADMIN)
        if role is not None:
            await self._authenticator.authorize(request.headers.get("Authorization"), role)

    def _log(self, request: web.Request, route: str, status: int, started: float) -> None:
        log = logger.debug if route in QUIET_ROUTES else logger.info
        # The path, never the query string: a download token travels there.
        # The method and route come from the bound context variables.
        log(
            "http_request_finished",
            path=request.path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            peer=request.remote,
        )


def _route_pattern(request: web.Request) -> str:
    """Return the matched route's pattern, such as ``/backends/{id}``, or "" when none matched."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else ""
