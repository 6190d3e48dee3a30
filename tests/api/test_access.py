"""Bearer-token access control on the management API."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, run_cli

Stub = backends_pb2_grpc.BackendsStub


async def call_with_token(daemon: DaemonProcess, token: str | None) -> grpc.StatusCode:
    channel = secure_channel(daemon.api_address, daemon.ca_pem, token)
    try:
        await backends_pb2_grpc.BackendsStub(channel).ListBackends(pb.ListBackendsRequest())
    except grpc.aio.AioRpcError as error:
        return error.code()
    finally:
        await channel.close()
    return grpc.StatusCode.OK


async def test_missing_token_is_unauthenticated(daemon: DaemonProcess) -> None:
    assert await call_with_token(daemon, None) == grpc.StatusCode.UNAUTHENTICATED


async def test_unknown_token_is_unauthenticated(daemon: DaemonProcess) -> None:
    assert await call_with_token(daemon, "bsd_" + "x" * 43) == grpc.StatusCode.UNAUTHENTICATED


async def test_malformed_authorization_is_unauthenticated(daemon: DaemonProcess) -> None:
    channel = secure_channel(daemon.api_address, daemon.ca_pem)
    stub = backends_pb2_grpc.BackendsStub(channel)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ListBackends(pb.ListBackendsRequest(), metadata=(("authorization", daemon.admin_token),))
    finally:
        await channel.close()

    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "Bearer" in caught.value.details()


async def test_two_authorization_values_are_unauthenticated(daemon: DaemonProcess) -> None:
    """Two authorization values, even two valid ones, are rejected: which one counts would be ambiguous."""
    channel = secure_channel(daemon.api_address, daemon.ca_pem)
    bearer = f"Bearer {daemon.admin_token}"
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await backends_pb2_grpc.BackendsStub(channel).ListBackends(
                pb.ListBackendsRequest(), metadata=(("authorization", bearer), ("authorization", bearer))
            )
    finally:
        await channel.close()

    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "send exactly one authorization header" in caught.value.details()


async def test_viewer_may_read(backends: Stub, viewer_backends: Stub) -> None:
    created = (await backends.CreateBackend(pb.CreateBackendRequest(name="n", address="10.0.0.1"))).backend

    fetched = await viewer_backends.GetBackend(pb.GetBackendRequest(id=created.id))
    listed = await viewer_backends.ListBackends(pb.ListBackendsRequest())

    assert fetched.backend.id == created.id
    assert listed.total == 1


@pytest.mark.parametrize(
    ("method", "request_message"),
    [
        ("CreateBackend", pb.CreateBackendRequest(name="n", address="10.0.0.2")),
        ("UpdateBackend", pb.UpdateBackendRequest(id=str(uuid.uuid4()), name="n", address="10.0.0.2")),
        ("DeleteBackend", pb.DeleteBackendRequest(id=str(uuid.uuid4()))),
    ],
)
async def test_viewer_mutation_is_permission_denied(viewer_backends: Stub, method: str, request_message: object) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(viewer_backends, method)(request_message)

    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "viewer" in caught.value.details()


async def test_viewer_denied_create_changes_nothing(backends: Stub, viewer_backends: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError):
        await viewer_backends.CreateBackend(pb.CreateBackendRequest(name="n", address="10.0.0.2"))

    assert (await backends.ListBackends(pb.ListBackendsRequest())).total == 0


async def test_revoked_token_stops_working(daemon: DaemonProcess, viewer_token: str) -> None:
    """A token revoked from the CLI while the daemon runs is refused within a few seconds."""
    assert await call_with_token(daemon, viewer_token) == grpc.StatusCode.OK

    run_cli("token", "revoke", "--data-dir", str(daemon.data_dir), "viewer")

    code = grpc.StatusCode.OK
    for _ in range(50):
        code = await call_with_token(daemon, viewer_token)
        if code != grpc.StatusCode.OK:
            break
        await asyncio.sleep(0.2)
    assert code == grpc.StatusCode.UNAUTHENTICATED


async def test_health_needs_no_token(daemon: DaemonProcess) -> None:
    channel = secure_channel(daemon.api_address, daemon.ca_pem)
    try:
        response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    finally:
        await channel.close()

    assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_token_never_logged(daemon: DaemonProcess, backends: Stub, viewer_token: str) -> None:
    await backends.ListBackends(pb.ListBackendsRequest())
    await call_with_token(daemon, viewer_token)
    await call_with_token(daemon, "bsd_wrong-token-value")

    log = daemon.log_path.read_text()
    assert daemon.admin_token not in log
    assert viewer_token not in log
    assert "bsd_wrong-token-value" not in log
