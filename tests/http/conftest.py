"""Fixtures: HTTP clients for the daemon under test, over real TLS."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from tests.helpers.daemon import DaemonProcess

OpenSession = Callable[[str | None], aiohttp.ClientSession]


@pytest.fixture
async def open_session(daemon: DaemonProcess) -> AsyncIterator[OpenSession]:
    """Open HTTP sessions that trust the daemon's CA and send the given bearer token; closed after the test."""
    context = ssl.create_default_context(cadata=daemon.ca_pem.decode())
    sessions: list[aiohttp.ClientSession] = []

    def open_with(token: str | None) -> aiohttp.ClientSession:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        session = aiohttp.ClientSession(
            base_url=f"https://{daemon.http_address}", headers=headers, connector=aiohttp.TCPConnector(ssl=context)
        )
        sessions.append(session)
        return session

    yield open_with
    for session in sessions:
        await session.close()


@pytest.fixture
async def http(daemon: DaemonProcess, open_session: OpenSession) -> aiohttp.ClientSession:
    """HTTP client with the admin token."""
    return open_session(daemon.admin_token)


@pytest.fixture
async def viewer_http(viewer_token: str, open_session: OpenSession) -> aiohttp.ClientSession:
    return open_session(viewer_token)


@pytest.fixture
async def anonymous_http(open_session: OpenSession) -> aiohttp.ClientSession:
    """HTTP client without a bearer token."""
    return open_session(None)
