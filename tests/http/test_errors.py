"""Error responses: JSON {"error": ...} with the natural status, never a stack trace."""

from __future__ import annotations

import io
import json
import uuid

import aiohttp

from tests.helpers.http import create_backend
from tests.http.conftest import OpenSession

BODY = {"name": "edge-1", "description": "rack 4", "address": "10.0.0.1"}


async def test_health_needs_no_token(anonymous_http: aiohttp.ClientSession) -> None:
    async with anonymous_http.get("/health") as response:
        body = await response.json()

    assert response.status == 200
    assert body == {"status": "serving"}


async def test_missing_token_unauthorized(anonymous_http: aiohttp.ClientSession) -> None:
    """A request without a token gets 401 with a Bearer challenge."""
    async with anonymous_http.get("/backends") as response:
        body = await response.json()

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "authorization" in body["error"]


async def test_unknown_token_unauthorized(open_session: OpenSession) -> None:
    session = open_session("bsd_not-a-token")

    async with session.get("/backends") as response:
        body = await response.json()

    assert response.status == 401
    assert body["error"] == "invalid or revoked token"


async def test_viewer_reads(viewer_http: aiohttp.ClientSession) -> None:
    async with viewer_http.get("/backends") as response:
        status = response.status

    assert status == 200


async def test_viewer_mutation_forbidden(viewer_http: aiohttp.ClientSession) -> None:
    """A viewer token may not create, and the error names the role it needs."""
    async with viewer_http.post("/backends", json=BODY) as response:
        body = await response.json()

    assert response.status == 403
    assert "admin" in body["error"]


async def test_viewer_terminate_forbidden(viewer_http: aiohttp.ClientSession, http: aiohttp.ClientSession) -> None:
    """The terminate route is a GET, and still needs admin."""
    backend_id = await create_backend(http)

    async with viewer_http.get(f"/backends/terminate/{backend_id}/1") as response:
        status = response.status

    assert status == 403


async def test_viewer_download_token_forbidden(viewer_http: aiohttp.ClientSession) -> None:
    """A download token gives access to a private key, so it needs admin."""
    async with viewer_http.get("/certs/1/download/token") as response:
        status = response.status

    assert status == 403


async def test_invalid_field_names_it(http: aiohttp.ClientSession) -> None:
    async with http.post("/backends", json={**BODY, "address": "not an address!"}) as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"].startswith("address")


async def test_wrong_field_type(http: aiohttp.ClientSession) -> None:
    async with http.post("/backends", json={**BODY, "name": 5}) as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"] == "name: expected a string, got a number"


async def test_unknown_field(http: aiohttp.ClientSession) -> None:
    async with http.post("/backends", json={**BODY, "adress": "10.0.0.2"}) as response:
        body = await response.json()

    assert response.status == 400
    assert "'adress' is not a known field" in body["error"]


async def test_body_not_object(http: aiohttp.ClientSession) -> None:
    async with http.post("/backends", json=[BODY]) as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"] == "body: expected a JSON object, got an array"


async def test_invalid_query_number(http: aiohttp.ClientSession) -> None:
    async with http.get("/backends", params={"limit": "ten"}) as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"].startswith("limit:")


async def test_limit_out_of_range(http: aiohttp.ClientSession) -> None:
    async with http.get("/backends", params={"limit": "101"}) as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"].startswith("limit:")


async def test_invalid_status_filter(http: aiohttp.ClientSession) -> None:
    async with http.get("/backends", params={"status": "asleep"}) as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"].startswith("status:")


async def test_invalid_id(http: aiohttp.ClientSession) -> None:
    async with http.get("/backends/nope") as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"].startswith("id: 'nope' is not a valid UUID")


async def test_unknown_backend_not_found(http: aiohttp.ClientSession) -> None:
    async with http.get(f"/backends/{uuid.uuid4()}") as response:
        body = await response.json()

    assert response.status == 404
    assert "not found" in body["error"]


async def test_unknown_path_not_found(anonymous_http: aiohttp.ClientSession) -> None:
    async with anonymous_http.get("/nope") as response:
        body = await response.json()

    assert response.status == 404
    assert body["error"] == "no such path: '/nope'"


async def test_address_taken_conflicts(http: aiohttp.ClientSession) -> None:
    await create_backend(http, address="10.0.0.1")

    async with http.post("/backends", json={**BODY, "name": "other"}) as response:
        body = await response.json()

    assert response.status == 409
    assert "10.0.0.1" in body["error"]


async def test_form_body_unsupported(http: aiohttp.ClientSession) -> None:
    """A real form body (not JSON) gets 415 naming the expected type."""
    async with http.post("/backends", data={"name": "edge-1"}) as response:
        body = await response.json()

    assert response.status == 415
    assert "JSON" in body["error"]


async def test_json_sent_as_curl_default_accepted(http: aiohttp.ClientSession) -> None:
    """A JSON body sent the way `curl -d` does without a Content-Type header is accepted."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    async with http.post("/backends", data=json.dumps(BODY).encode(), headers=headers) as response:
        status = response.status

    assert status == 201


async def test_other_media_type_unsupported(http: aiohttp.ClientSession) -> None:
    async with http.post("/backends", data=b"<backend/>", headers={"Content-Type": "application/xml"}) as response:
        status = response.status

    assert status == 415


async def test_broken_json_unsupported(http: aiohttp.ClientSession) -> None:
    headers = {"Content-Type": "application/json"}

    async with http.post("/backends", data=b'{"name": ', headers=headers) as response:
        body = await response.json()

    assert response.status == 415
    assert body["error"].startswith("the request body is not valid JSON")


async def test_missing_body_unsupported(http: aiohttp.ClientSession) -> None:
    async with http.post("/backends") as response:
        status = response.status

    assert status == 415


async def test_large_body_too_large(http: aiohttp.ClientSession) -> None:
    """A body over 1 MiB gets 413 before it is parsed."""
    large = json.dumps({**BODY, "description": "x" * (2 * 1024 * 1024)}).encode()
    headers = {"Content-Type": "application/json"}

    # A stream, because aiohttp warns about large bytes bodies.
    async with http.post("/backends", data=io.BytesIO(large), headers=headers) as response:
        body = await response.json()

    assert response.status == 413
    assert body["error"] == "the request body is larger than the maximum of 1048576 bytes"


async def test_wrong_method_lists_allowed(anonymous_http: aiohttp.ClientSession) -> None:
    """A method that the path does not serve gets 405 with an Allow header."""
    async with anonymous_http.patch("/backends") as response:
        body = await response.json()

    assert response.status == 405
    assert response.headers["Allow"] == "GET,POST"
    assert body["error"] == "method PATCH is not allowed on '/backends'; use GET, POST"


async def test_error_is_json(http: aiohttp.ClientSession) -> None:
    async with http.get("/backends/nope") as response:
        content_type = response.content_type

    assert content_type == "application/json"
