"""The backend routes, through a real HTTP client against the running daemon."""

from __future__ import annotations

import uuid

import aiohttp

from tests.helpers.daemon import DaemonProcess
from tests.helpers.http import create_backend, enroll, get_backend, wait_for_status
from tests.helpers.wait import eventually
from tests.helpers.manager import ConnectManager

BODY = {"name": "edge-1", "description": "rack 4", "address": "10.0.0.1"}


async def test_create_returns_location(http: aiohttp.ClientSession) -> None:
    """POST /backends returns 201 with the new backend's path and an empty body."""
    async with http.post("/backends", json=BODY) as response:
        location = response.headers["Location"]
        body = await response.read()

    assert response.status == 201
    assert location.startswith("/backends/")
    assert body == b""


async def test_create_logs_service_events(http: aiohttp.ClientSession, daemon: DaemonProcess) -> None:
    """An HTTP create logs the service's backend_created line and one http_request_finished line."""
    backend_id = await create_backend(http)

    created = await eventually(lambda: _events(daemon, "backend_created"), lambda records: len(records) == 1)
    finished = await eventually(
        lambda: _events(daemon, "http_request_finished"), lambda records: any(r["status"] == 201 for r in records)
    )
    assert created[0]["backend_id"] == backend_id
    assert finished[-1]["http_route"] == "/backends"
    assert finished[-1]["http_method"] == "POST"


async def test_get_returns_backend(http: aiohttp.ClientSession) -> None:
    """GET /backends/<id> returns the stored fields with the connection status."""
    backend_id = await create_backend(http, name="edge-1")

    backend = await get_backend(http, backend_id)

    assert backend["id"] == backend_id
    assert backend["name"] == "edge-1"
    assert backend["description"] == "rack 4"
    assert backend["address"] == "127.0.0.1"
    assert backend["status"] == "disconnected"
    assert backend["created_at"].endswith("Z")
    assert backend["connected_since"] is None


async def test_put_replaces_fields(http: aiohttp.ClientSession) -> None:
    """PUT /backends/<id> returns 200 with an empty body and replaces every field."""
    backend_id = await create_backend(http)

    async with http.put(f"/backends/{backend_id}", json={"name": "edge-2", "address": "10.0.0.2"}) as response:
        body = await response.read()
    backend = await get_backend(http, backend_id)

    assert response.status == 200
    assert body == b""
    assert backend["name"] == "edge-2"
    assert backend["address"] == "10.0.0.2"
    assert backend["description"] == ""


async def test_list_pages(http: aiohttp.ClientSession) -> None:
    """GET /backends returns total, offset, limit and one page of backends."""
    for index in range(3):
        await create_backend(http, name=f"edge-{index}", address=f"10.0.0.{index + 1}")

    async with http.get("/backends", params={"offset": "1", "limit": "1"}) as response:
        page = await response.json()

    assert response.status == 200
    assert page["total"] == 3
    assert page["offset"] == 1
    assert page["limit"] == 1
    assert [backend["name"] for backend in page["backends"]] == ["edge-1"]


async def test_list_filters_name(http: aiohttp.ClientSession) -> None:
    await create_backend(http, name="edge-a", address="10.0.0.1")
    await create_backend(http, name="core-b", address="10.0.0.2")

    async with http.get("/backends", params={"name": "core"}) as response:
        page = await response.json()

    assert [backend["name"] for backend in page["backends"]] == ["core-b"]


async def test_list_filters_status(
    http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession, connect: ConnectManager
) -> None:
    """status=connected lists only backends with a live manager, status=disconnected the rest."""
    identity = await enroll(http, anonymous_http, name="live")
    await create_backend(http, name="idle", address="10.0.0.9")
    await connect(identity)
    await wait_for_status(http, identity.backend_id, "connected")

    async with http.get("/backends", params={"status": "connected"}) as response:
        connected = await response.json()
    async with http.get("/backends", params={"status": "disconnected"}) as response:
        disconnected = await response.json()

    assert [backend["name"] for backend in connected["backends"]] == ["live"]
    assert [backend["name"] for backend in disconnected["backends"]] == ["idle"]


async def test_delete_answers_no_content(http: aiohttp.ClientSession) -> None:
    """DELETE /backends/<id> returns 204, and the backend is gone."""
    backend_id = await create_backend(http)

    async with http.delete(f"/backends/{backend_id}") as response:
        status = response.status
    async with http.get(f"/backends/{backend_id}") as response:
        after_delete = response.status

    assert status == 204
    assert after_delete == 404


async def test_terminate_user_initiated(
    http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession, connect: ConnectManager
) -> None:
    """Type 1 sends Terminate with the operator reason, returns 204 and disconnects the backend."""
    identity = await enroll(http, anonymous_http)
    client = await connect(identity)
    await wait_for_status(http, identity.backend_id, "connected")

    async with http.get(f"/backends/terminate/{identity.backend_id}/1") as response:
        status = response.status
    received = await client.read()

    assert status == 204
    assert received.terminateReq.message == "terminated by operator"
    await wait_for_status(http, identity.backend_id, "disconnected")


async def test_terminate_certificate_revocation(
    http: aiohttp.ClientSession, anonymous_http: aiohttp.ClientSession, connect: ConnectManager
) -> None:
    """Type 0 sends Terminate with the certificate revocation reason."""
    identity = await enroll(http, anonymous_http)
    client = await connect(identity)
    await wait_for_status(http, identity.backend_id, "connected")

    async with http.get(f"/backends/terminate/{identity.backend_id}/0") as response:
        status = response.status
    received = await client.read()

    assert status == 204
    assert received.terminateReq.message == "certificate revoked"


async def test_terminate_disconnected_conflicts(http: aiohttp.ClientSession) -> None:
    """Terminating a backend without a live manager returns 409, as gRPC returns FAILED_PRECONDITION."""
    backend_id = await create_backend(http)

    async with http.get(f"/backends/terminate/{backend_id}/1") as response:
        body = await response.json()

    assert response.status == 409
    assert "not connected" in body["error"]


async def test_terminate_unknown_type(http: aiohttp.ClientSession) -> None:
    backend_id = await create_backend(http)

    async with http.get(f"/backends/terminate/{backend_id}/2") as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"].startswith("type:")


async def test_terminate_unknown_backend(http: aiohttp.ClientSession) -> None:
    async with http.get(f"/backends/terminate/{uuid.uuid4()}/1") as response:
        status = response.status

    assert status == 404


async def _events(daemon: DaemonProcess, name: str) -> list[dict[str, object]]:
    return daemon.events(name)
