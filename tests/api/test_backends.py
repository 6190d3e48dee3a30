"""The Backends service over real TLS against a daemon subprocess."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc
from tests.helpers.client import field_violations

Stub = backends_pb2_grpc.BackendsStub


async def create(stub: Stub, name: str = "edge-1", address: str = "10.0.0.1", description: str = "") -> pb.Backend:
    response = await stub.CreateBackend(pb.CreateBackendRequest(name=name, address=address, description=description))
    return response.backend


async def test_create_returns_full_backend(backends: Stub) -> None:
    """CreateBackend returns the stored backend with a server-made UUID and equal timestamps."""
    backend = await create(backends, name="  edge-1  ", address="10.0.0.1", description="rack 4")

    assert uuid.UUID(backend.id)
    assert backend.name == "edge-1"
    assert backend.description == "rack 4"
    assert backend.address == "10.0.0.1"
    assert backend.created_at.ToMicroseconds() > 0
    assert backend.updated_at == backend.created_at
    assert backend.connection.status == pb.CONNECTION_STATUS_DISCONNECTED


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2001:DB8:0:0:0:0:0:0001", "2001:db8::1"),
        ("Edge-1.Example.COM", "edge-1.example.com"),
        ("edge-1.example.com.", "edge-1.example.com"),
        (" 192.168.10.20 ", "192.168.10.20"),
        ("localhost", "localhost"),
    ],
)
async def test_create_normalizes_address(backends: Stub, given: str, stored: str) -> None:
    """Addresses are stored lower-case, compressed and without a trailing dot."""
    backend = await create(backends, address=given)

    assert backend.address == stored


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"name": "", "address": "10.0.0.1"}, "name"),
        ({"name": "   ", "address": "10.0.0.1"}, "name"),
        ({"name": "x" * 256, "address": "10.0.0.1"}, "name"),
        ({"name": "bad\x00name", "address": "10.0.0.1"}, "name"),
        ({"name": "ok", "address": "10.0.0.1", "description": "d" * 1025}, "description"),
        ({"name": "ok", "address": ""}, "address"),
        ({"name": "ok", "address": "10.0.0.1:7001"}, "address"),
        ({"name": "ok", "address": "[::1]"}, "address"),
        ({"name": "ok", "address": "10.0.0.0/24"}, "address"),
        ({"name": "ok", "address": "bücher.example"}, "address"),
        ({"name": "ok", "address": "-edge.example"}, "address"),
        ({"name": "ok", "address": "a..b"}, "address"),
        ({"name": "ok", "address": "256.1.1.1"}, "address"),
        ({"name": "ok", "address": "fe80::1%eth0"}, "address"),
        ({"name": "ok", "address": "a" * 64 + ".example"}, "address"),
        ({"name": "ok", "address": "0.0.0.0"}, "address"),
        ({"name": "ok", "address": "ff02::1"}, "address"),
        ({"name": "edge\u200b1", "address": "10.0.0.1"}, "name"),
        ({"name": "admin\u202etxt.exe", "address": "10.0.0.1"}, "name"),
        ({"name": "\u3164", "address": "10.0.0.1"}, "name"),
    ],
)
async def test_create_rejects_invalid_field(backends: Stub, request_fields: dict[str, str], field: str) -> None:
    """Each invalid field is INVALID_ARGUMENT with a BadRequest violation naming it."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.CreateBackend(pb.CreateBackendRequest(**request_fields))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(caught.value)
    assert field in caught.value.details()


async def test_create_reports_every_bad_field(backends: Stub) -> None:
    """One request with two bad fields reports both violations."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.CreateBackend(pb.CreateBackendRequest(name="", address="not an address"))

    violations = field_violations(caught.value)
    assert set(violations) == {"name", "address"}
    assert "'not an address'" in violations["address"]


async def test_create_rejected_input_changes_nothing(backends: Stub) -> None:
    """A rejected create leaves no backend behind."""
    with pytest.raises(grpc.aio.AioRpcError):
        await backends.CreateBackend(pb.CreateBackendRequest(name="ok", address="bad address"))

    listed = await backends.ListBackends(pb.ListBackendsRequest())
    assert listed.total == 0


async def test_create_duplicate_address_names_owner(backends: Stub) -> None:
    """A second backend with the same (normalized) address is ALREADY_EXISTS naming the first one."""
    first = await create(backends, address="2001:db8::1")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(backends, name="other", address="2001:DB8::0:1")

    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert first.id in caught.value.details()


async def test_create_mapped_ipv6_is_same_host(backends: Stub) -> None:
    """An IPv4-mapped IPv6 address is stored as IPv4 and conflicts with the same IPv4 address."""
    first = await create(backends, address="::ffff:10.0.0.9")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(backends, name="other", address="10.0.0.9")

    assert first.address == "10.0.0.9"
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_create_stores_name_in_nfc(backends: Stub) -> None:
    """A decomposed name is stored composed, and a filter in either form finds it."""
    created = await create(backends, name="cafe\u0301", description="cre\u0300me")

    by_composed = await backends.ListBackends(pb.ListBackendsRequest(name="caf\u00e9"))
    by_decomposed = await backends.ListBackends(pb.ListBackendsRequest(name="cafe\u0301"))

    assert created.name == "caf\u00e9"
    assert created.description == "cr\u00e8me"
    assert by_composed.total == 1
    assert by_decomposed.total == 1


async def test_get_returns_created_backend(backends: Stub) -> None:
    created = await create(backends)

    fetched = (await backends.GetBackend(pb.GetBackendRequest(id=created.id))).backend

    assert fetched == created


async def test_get_accepts_upper_case_id(backends: Stub) -> None:
    created = await create(backends)

    fetched = (await backends.GetBackend(pb.GetBackendRequest(id=created.id.upper()))).backend

    assert fetched.id == created.id


@pytest.mark.parametrize("method", ["GetBackend", "DeleteBackend", "UpdateBackend"])
async def test_malformed_id_is_invalid_argument(backends: Stub, method: str) -> None:
    request_type = {"GetBackend": pb.GetBackendRequest, "DeleteBackend": pb.DeleteBackendRequest}.get(
        method, pb.UpdateBackendRequest
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(backends, method)(request_type(id="not-a-uuid"))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "id" in field_violations(caught.value)


@pytest.mark.parametrize("method", ["GetBackend", "DeleteBackend"])
async def test_unknown_id_is_not_found(backends: Stub, method: str) -> None:
    missing = str(uuid.uuid4())
    request_type = pb.GetBackendRequest if method == "GetBackend" else pb.DeleteBackendRequest

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(backends, method)(request_type(id=missing))

    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert missing in caught.value.details()


async def test_update_unknown_id_is_not_found(backends: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.UpdateBackend(pb.UpdateBackendRequest(id=str(uuid.uuid4()), name="n", address="10.0.0.9"))

    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_update_missing_before_conflict(backends: Stub) -> None:
    """A missing backend is reported before an address conflict with another backend."""
    await create(backends, address="10.0.0.9")
    missing = str(uuid.uuid4())

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.UpdateBackend(pb.UpdateBackendRequest(id=missing, name="n", address="10.0.0.9"))

    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert missing in caught.value.details()


@pytest.mark.parametrize(
    "given",
    ["urn:uuid:{id}", "{{{id}}}", "{hex}"],
)
async def test_get_rejects_non_canonical_id(backends: Stub, given: str) -> None:
    """Only the hyphenated 8-4-4-4-12 form names a backend, even when uuid.UUID would parse the text."""
    created = await create(backends)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.GetBackend(pb.GetBackendRequest(id=given.format(id=created.id, hex=created.id.replace("-", ""))))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_update_replaces_all_fields(backends: Stub) -> None:
    """Without a mask, UpdateBackend replaces name, description and address; created_at stays."""
    created = await create(backends, name="old", address="10.0.0.1", description="old description")

    updated = (
        await backends.UpdateBackend(pb.UpdateBackendRequest(id=created.id, name="new", address="edge.example"))
    ).backend

    assert updated.name == "new"
    assert updated.description == ""
    assert updated.address == "edge.example"
    assert updated.created_at == created.created_at
    assert updated.updated_at.ToMicroseconds() > created.updated_at.ToMicroseconds()


async def test_update_with_mask_changes_named_fields_only(backends: Stub) -> None:
    created = await create(backends, name="old", address="10.0.0.1", description="keep me")

    updated = (
        await backends.UpdateBackend(
            pb.UpdateBackendRequest(
                id=created.id, name="renamed", address="", update_mask=field_mask_pb2.FieldMask(paths=["name"])
            )
        )
    ).backend

    assert updated.name == "renamed"
    assert updated.address == "10.0.0.1"
    assert updated.description == "keep me"


async def test_update_rejects_unknown_mask_path(backends: Stub) -> None:
    created = await create(backends)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.UpdateBackend(
            pb.UpdateBackendRequest(id=created.id, name="x", update_mask=field_mask_pb2.FieldMask(paths=["id"]))
        )

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "update_mask" in field_violations(caught.value)


async def test_update_rejects_taken_address(backends: Stub) -> None:
    """Moving a backend onto another backend's address is ALREADY_EXISTS and changes nothing."""
    first = await create(backends, name="first", address="10.0.0.1")
    second = await create(backends, name="second", address="10.0.0.2")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.UpdateBackend(pb.UpdateBackendRequest(id=second.id, name="second", address="10.0.0.1"))

    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert first.id in caught.value.details()
    unchanged = (await backends.GetBackend(pb.GetBackendRequest(id=second.id))).backend
    assert unchanged == second


async def test_update_keeps_own_address(backends: Stub) -> None:
    """Re-sending a backend's own address is not a conflict."""
    created = await create(backends, address="10.0.0.1")

    updated = (
        await backends.UpdateBackend(pb.UpdateBackendRequest(id=created.id, name="renamed", address="10.0.0.1"))
    ).backend

    assert updated.name == "renamed"


async def test_delete_removes_backend(backends: Stub) -> None:
    created = await create(backends)

    await backends.DeleteBackend(pb.DeleteBackendRequest(id=created.id))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.GetBackend(pb.GetBackendRequest(id=created.id))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_delete_frees_address(backends: Stub) -> None:
    created = await create(backends, address="10.0.0.1")
    await backends.DeleteBackend(pb.DeleteBackendRequest(id=created.id))

    again = await create(backends, address="10.0.0.1")

    assert again.id != created.id
