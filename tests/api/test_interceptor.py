"""The management interceptor: request decoding, cancellation, error size and database busy errors."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess

Stub = backends_pb2_grpc.BackendsStub

GET_BACKEND = "/backendsd.v1.Backends/GetBackend"
WATCH_BACKENDS = "/backendsd.v1.Backends/WatchBackends"
# Field 1 (id) as a length-delimited string of two bytes that are not UTF-8.
INVALID_UTF8_ID = b"\x0a\x02\xff\xfe"
CORRUPT_WIRE_FORMAT = b"\xff\xff\xff\xff"


Metadata = tuple[tuple[str, str], ...]


@pytest.fixture
def admin_metadata(daemon: DaemonProcess) -> Metadata:
    """The admin token as call metadata, for streaming calls that the BearerToken helper does not reach."""
    return (("authorization", f"Bearer {daemon.admin_token}"),)


def finished(daemon: DaemonProcess, method: str) -> list[dict[str, Any]]:
    return [record for record in daemon.events("rpc_finished") if record["rpc_method"] == method]


async def wait_for_finished(daemon: DaemonProcess, method: str) -> list[dict[str, Any]]:
    """Return the rpc_finished records of ``method`` once there is one; the server logs after the client returns."""
    deadline = time.monotonic() + 10
    while not finished(daemon, method) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return finished(daemon, method)


@pytest.mark.parametrize("raw", [INVALID_UTF8_ID, CORRUPT_WIRE_FORMAT])
async def test_undecodable_unary_request_is_invalid_argument(
    daemon: DaemonProcess, admin_channel: grpc.aio.Channel, raw: bytes
) -> None:
    """Bytes that are no GetBackendRequest are INVALID_ARGUMENT naming the message, with one log line."""
    call = admin_channel.unary_unary(GET_BACKEND)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(raw)

    records = await wait_for_finished(daemon, GET_BACKEND)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request is not a valid backendsd.v1.GetBackendRequest" in caught.value.details()
    assert [record["code"] for record in records] == ["INVALID_ARGUMENT"]
    assert daemon.events("rpc_failed") == []


async def test_undecodable_stream_request_is_invalid_argument(daemon: DaemonProcess, admin_metadata: Metadata) -> None:
    channel = secure_channel(daemon.api_address, daemon.ca_pem)
    call = channel.unary_stream(WATCH_BACKENDS)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in call(CORRUPT_WIRE_FORMAT, metadata=admin_metadata):
                pass
    finally:
        await channel.close()

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "backendsd.v1.WatchBackendsRequest" in caught.value.details()


async def test_undecodable_request_needs_token_first(daemon: DaemonProcess) -> None:
    """Authorization comes before decoding, so a caller without a token learns nothing about the request."""
    channel = secure_channel(daemon.api_address, daemon.ca_pem)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await channel.unary_unary(GET_BACKEND)(CORRUPT_WIRE_FORMAT)
    finally:
        await channel.close()

    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_deadline_logged_as_deadline_exceeded(daemon: DaemonProcess, admin_metadata: Metadata) -> None:
    """A call that the server cancels at its deadline is logged with DEADLINE_EXCEEDED, not OK."""
    channel = secure_channel(daemon.api_address, daemon.ca_pem)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            watch = Stub(channel).WatchBackends(pb.WatchBackendsRequest(), metadata=admin_metadata, timeout=2)
            async for _ in watch:
                pass
    finally:
        await channel.close()

    records = await wait_for_finished(daemon, WATCH_BACKENDS)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert [record["code"] for record in records] == ["DEADLINE_EXCEEDED"]


async def test_client_cancel_logged_as_cancelled(daemon: DaemonProcess, admin_metadata: Metadata) -> None:
    channel = secure_channel(daemon.api_address, daemon.ca_pem)
    try:
        watch = Stub(channel).WatchBackends(pb.WatchBackendsRequest(), metadata=admin_metadata)
        await watch.initial_metadata()
        watch.cancel()
        records = await wait_for_finished(daemon, WATCH_BACKENDS)
    finally:
        await channel.close()

    assert [record["code"] for record in records] == ["CANCELLED"]


async def test_many_violations_fit_in_trailers(backends: Stub) -> None:
    """A hundred bad update_mask paths are INVALID_ARGUMENT with ten reported, not RESOURCE_EXHAUSTED."""
    created = (await backends.CreateBackend(pb.CreateBackendRequest(name="n", address="10.0.0.1"))).backend
    paths = [f"no_such_field_{index:03d}_" + "x" * 30 for index in range(100)]

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.UpdateBackend(
            pb.UpdateBackendRequest(id=created.id, name="n", update_mask=field_mask_pb2.FieldMask(paths=paths))
        )

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().endswith("; and 90 more")
    assert len(caught.value.details().encode()) <= 2048
    assert len(bad_request(caught.value).field_violations) == 10


async def test_repeated_mask_path_reported_once(backends: Stub) -> None:
    created = (await backends.CreateBackend(pb.CreateBackendRequest(name="n", address="10.0.0.1"))).backend

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.UpdateBackend(
            pb.UpdateBackendRequest(id=created.id, name="n", update_mask=field_mask_pb2.FieldMask(paths=["bogus"] * 50))
        )

    assert len(bad_request(caught.value).field_violations) == 1


async def test_busy_database_is_unavailable(daemon: DaemonProcess, backends: Stub) -> None:
    """A write that waits out the busy timeout behind another process's lock is UNAVAILABLE, to be retried."""
    blocker = sqlite3.connect(daemon.data_dir / "backendsd.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await backends.CreateBackend(pb.CreateBackendRequest(name="n", address="10.0.0.1"), timeout=30)
    finally:
        blocker.rollback()
        blocker.close()

    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "database is busy" in caught.value.details()


def bad_request(error: grpc.aio.AioRpcError) -> error_details_pb2.BadRequest:
    status = rpc_status.from_call(error)
    assert status is not None
    found = error_details_pb2.BadRequest()
    assert any(detail.Unpack(found) for detail in status.details)
    return found
