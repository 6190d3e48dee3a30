"""Terminating managers: on command, on certificate revocation, on backend deletion."""

from __future__ import annotations

import uuid

import grpc
import pytest

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2, certs_pb2_grpc
from tests.helpers.daemon import DaemonProcess
from tests.helpers.manager import ConnectManager, ManagerClient, ManagerIdentity
from tests.helpers.wait import eventually
from tests.managers.test_sessions import history_types, wait_for_status

Stub = backends_pb2_grpc.BackendsStub


async def connected(backends: Stub, identity: ManagerIdentity, connect: ConnectManager) -> ManagerClient:
    client = await connect(identity)
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
    return client


@pytest.mark.parametrize(
    ("termination", "message"),
    [
        (pb.TERMINATION_TYPE_USER_INITIATED, "terminated by operator"),
        (pb.TERMINATION_TYPE_CERTIFICATE_REVOCATION, "certificate revoked"),
    ],
)
async def test_terminate_sends_reason(
    backends: Stub, identity: ManagerIdentity, connect: ConnectManager, termination: int, message: str
) -> None:
    """The manager receives Terminate with the reason, then the stream ends and the backend is disconnected."""
    client = await connected(backends, identity, connect)

    await backends.TerminateBackend(pb.TerminateBackendRequest(id=identity.backend_id, type=termination))

    received = await client.read()
    assert received.WhichOneof("message") == "terminateReq"
    assert received.terminateReq.message == message
    assert await client.status() == grpc.StatusCode.OK
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED)
    types = await eventually(
        lambda: history_types(backends, identity.backend_id), lambda t: pb.TRANSITION_TYPE_TERMINATED in t
    )
    assert types[-1] == pb.TRANSITION_TYPE_TERMINATED


async def test_terminate_disconnected_is_failed_precondition(backends: Stub, identity: ManagerIdentity) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.TerminateBackend(
            pb.TerminateBackendRequest(id=identity.backend_id, type=pb.TERMINATION_TYPE_USER_INITIATED)
        )

    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_terminate_unknown_backend_is_not_found(backends: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.TerminateBackend(
            pb.TerminateBackendRequest(id=str(uuid.uuid4()), type=pb.TERMINATION_TYPE_USER_INITIATED)
        )

    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_terminate_unspecified_type_is_invalid(backends: Stub, identity: ManagerIdentity) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.TerminateBackend(pb.TerminateBackendRequest(id=identity.backend_id))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "type" in caught.value.details()


async def test_terminate_needs_admin(viewer_backends: Stub, identity: ManagerIdentity) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await viewer_backends.TerminateBackend(
            pb.TerminateBackendRequest(id=identity.backend_id, type=pb.TERMINATION_TYPE_USER_INITIATED)
        )

    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_revocation_terminates_live_session(
    backends: Stub, certs: certs_pb2_grpc.CertsStub, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    client = await connected(backends, identity, connect)

    await certs.RevokeCertificate(certs_pb2.RevokeCertificateRequest(serial_number=identity.serial_number))

    received = await client.read(timeout=1.0)
    assert received.terminateReq.message == "certificate revoked"
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED)


async def test_delete_terminates_then_removes(backends: Stub, identity: ManagerIdentity, connect: ConnectManager) -> None:
    client = await connected(backends, identity, connect)

    await backends.DeleteBackend(pb.DeleteBackendRequest(id=identity.backend_id))

    received = await client.read()
    assert received.terminateReq.message == "terminated by operator"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.GetBackend(pb.GetBackendRequest(id=identity.backend_id))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_shutdown_closes_without_terminate(
    daemon: DaemonProcess, backends: Stub, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    """Stopping the daemon ends streams with UNAVAILABLE and sends no Terminate."""
    client = await connected(backends, identity, connect)

    assert daemon.stop() == 0

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.read()
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
