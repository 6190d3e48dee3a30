"""Backend routes: translate HTTP requests and call BackendService."""

from __future__ import annotations

from aiohttp import web

from backendsd.auth.tokens import Role
from backendsd.backends.information import InformationService
from backendsd.backends.model import Backend
from backendsd.backends.service import BackendService
from backendsd.connections.model import ConnectionStatus, TerminationType
from backendsd.errors import InvalidArgumentError
from backendsd.http.json import backend_to_json, information_to_json, json_response, query_integer, read_object
from backendsd.http.routing import Route
from backendsd.validation import shorten

BACKEND_FIELDS = ("name", "description", "address")

# The documented numbers of GET /backends/terminate/<id>/<type>.
TERMINATION_TYPES = {
    "0": TerminationType.CERTIFICATE_REVOCATION,
    "1": TerminationType.USER_INITIATED,
}


class BackendRoutes:
    def __init__(self, *, backends: BackendService, information: InformationService) -> None:
        self._backends = backends
        self._information = information

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/backends", self.create_backend, Role.ADMIN),
            Route("GET", "/backends", self.list_backends, Role.VIEWER),
            Route("GET", "/backends/{id}", self.get_backend, Role.VIEWER),
            Route("PUT", "/backends/{id}", self.update_backend, Role.ADMIN),
            Route("DELETE", "/backends/{id}", self.delete_backend, Role.ADMIN),
            # A GET that changes state, kept because operators' scripts call it.
            Route("GET", "/backends/terminate/{id}/{type}", self.terminate_backend, Role.ADMIN),
        ]

    async def create_backend(self, request: web.Request) -> web.Response:
        body = await read_object(request)
        fields = {field: body.string(field) for field in BACKEND_FIELDS}
        body.check(BACKEND_FIELDS)

        backend = await self._backends.create(**fields)
        return web.Response(status=201, headers={"Location": f"/backends/{backend.id}"})

    async def update_backend(self, request: web.Request) -> web.Response:
        """Replace every editable field, as PUT does: a missing field counts as ""."""
        body = await read_object(request)
        fields = {field: body.string(field) for field in BACKEND_FIELDS}
        body.check(BACKEND_FIELDS)

        await self._backends.update(request.match_info["id"], **fields)
        return web.Response(status=200)

    async def list_backends(self, request: web.Request) -> web.Response:
        page = await self._backends.list(
            offset=query_integer(request, "offset"),
            limit=query_integer(request, "limit"),
            name=request.query.get("name", ""),
            status=_status_from_query(request.query.get("status", "")),
        )
        return json_response(
            {
                "total": page.total,
                "offset": page.query.offset,
                "limit": page.query.limit,
                "backends": [self._to_json(backend) for backend in page.backends],
            }
        )

    async def get_backend(self, request: web.Request) -> web.Response:
        backend = await self._backends.get(request.match_info["id"])
        body = self._to_json(backend)
        body["information"] = information_to_json(await self._information.get(backend.id))
        return json_response(body)

    async def delete_backend(self, request: web.Request) -> web.Response:
        await self._backends.delete(request.match_info["id"])
        return web.Response(status=204)

    async def terminate_backend(self, request: web.Request) -> web.Response:
        type_text = request.match_info["type"]
        termination = TERMINATION_TYPES.get(type_text)
        if termination is None:
            raise InvalidArgumentError.for_field(
                "type", f"type: {shorten(type_text)} is not a termination type; use 0 (certificate revocation) "
                "or 1 (user initiated)"
            )
        await self._backends.terminate(request.match_info["id"], termination)
        return web.Response(status=204)

    def _to_json(self, backend: Backend) -> dict[str, object]:
        return backend_to_json(backend, self._backends.connection(backend.id))


def _status_from_query(text: str) -> ConnectionStatus | None:
    if not text:
        return None
    try:
        return ConnectionStatus(text.strip().lower())
    except ValueError:
        choices = ", ".join(status.value for status in ConnectionStatus)
        raise InvalidArgumentError.for_field(
            "status", f"status: {shorten(text)} is not a connection status; use one of {choices}"
        ) from None
