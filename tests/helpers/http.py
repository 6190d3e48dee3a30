"""Steps that HTTP API tests share: create a backend, issue and download a certificate."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import aiohttp

from tests.helpers.manager import ManagerIdentity
from tests.helpers.wait import eventually


async def create_backend(http: aiohttp.ClientSession, *, name: str = "edge", address: str = "127.0.0.1") -> str:
    """Create a backend and return its id, taken from the Location header."""
    async with http.post("/backends", json={"name": name, "description": "rack 4", "address": address}) as response:
        assert response.status == 201, await response.text()
        return response.headers["Location"].rsplit("/", 1)[1]


async def issue(http: aiohttp.ClientSession, backend_id: str, body: dict[str, Any] | None = None) -> str:
    """Issue a certificate for the backend and return its serial number."""
    async with http.post(f"/certs/issue/backend/{backend_id}", json=body or {"ip_addresses": ["127.0.0.1"]}) as response:
        assert response.status == 201, await response.text()
        serial: str = (await response.json())["serial_number"]
        return serial


async def download_token(http: aiohttp.ClientSession, serial: str) -> str:
    async with http.get(f"/certs/{serial}/download/token") as response:
        assert response.status == 200, await response.text()
        token: str = (await response.json())["token"]
        return token


async def download(http: aiohttp.ClientSession, anonymous: aiohttp.ClientSession, serial: str) -> dict[str, bytes]:
    """Download the certificate's zip without a bearer token and return its files by name."""
    token = await download_token(http, serial)
    async with anonymous.get(f"/certs/{serial}/download", params={"token": token}) as response:
        assert response.status == 200, await response.text()
        archive = zipfile.ZipFile(io.BytesIO(await response.read()))
        return {name: archive.read(name) for name in archive.namelist()}


async def enroll(http: aiohttp.ClientSession, anonymous: aiohttp.ClientSession, *, name: str = "edge") -> ManagerIdentity:
    """Create a backend, issue it a certificate and download it, all over HTTP."""
    backend_id = await create_backend(http, name=name)
    serial = await issue(http, backend_id)
    files = await download(http, anonymous, serial)
    return ManagerIdentity(
        backend_id=backend_id,
        serial_number=serial,
        ca_pem=files["ca.pem"],
        cert_pem=files["cert.pem"],
        key_pem=files["key.pem"],
    )


async def get_backend(http: aiohttp.ClientSession, backend_id: str) -> dict[str, Any]:
    async with http.get(f"/backends/{backend_id}") as response:
        assert response.status == 200, await response.text()
        backend: dict[str, Any] = await response.json()
        return backend


async def wait_for_status(http: aiohttp.ClientSession, backend_id: str, status: str) -> dict[str, Any]:
    """Poll GET /backends/<id> until the backend has ``status``; return it."""
    return await eventually(lambda: get_backend(http, backend_id), lambda backend: backend["status"] == status)
