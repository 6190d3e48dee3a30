"""The request middleware on a small application: unexpected errors and public routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backendsd.auth.authenticator import Authenticator
from backendsd.auth.tokens import ApiToken, Role
from backendsd.http.middleware import RequestMiddleware


class NoTokens:
    """A token store without tokens: every bearer token is unknown."""

    async def find_active(self, token_hash: str) -> ApiToken | None:
        return None


async def crash(request: web.Request) -> web.Response:
    raise RuntimeError("secret detail")


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    app.router.add_route("GET", "/crash", crash)
    app.router.add_route("GET", "/public", hello)
    app.router.add_route("GET", "/private", hello)
    roles: dict[tuple[str, str], Role | None] = {("GET", "/crash"): None, ("GET", "/public"): None}
    authenticator = Authenticator(store=NoTokens())  # type: ignore[arg-type]  # only find_active is called
    app.middlewares.append(RequestMiddleware(authenticator=authenticator, roles=roles).handle)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def test_unexpected_error_hidden(client: TestClient[web.Request, web.Application]) -> None:
    """An unexpected exception becomes a 500 with a generic message, without its text."""
    response = await client.get("/crash")
    body = await response.json()

    assert response.status == 500
    assert body == {"error": "internal error; the daemon log has the details"}


async def test_public_route_open(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.get("/public")

    assert response.status == 200


async def test_unlisted_route_needs_token(client: TestClient[web.Request, web.Application]) -> None:
    """A route missing from the role table needs admin, so it fails closed."""
    response = await client.get("/private")

    assert response.status == 401
