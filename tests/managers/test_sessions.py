"""Manager sessions over real mutual TLS: admission, status, history, superseding."""

from __future__ import annotations

import datetime
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2, certs_pb2_grpc
from backendsd.proto.manager import manager_pb2
from tests.helpers.daemon import DaemonProcess, start_daemon
from tests.helpers.manager import ConnectManager, ManagerClient, ManagerIdentity, enroll
from tests.helpers.wait import eventually, wait_until

Stub = backends_pb2_grpc.BackendsStub


async def connection_of(backends: Stub, backend_id: str) -> pb.Connection:
    return (await backends.GetBackend(pb.GetBackendRequest(id=backend_id))).backend.connection


async def wait_for_status(backends: Stub, backend_id: str, status: int, timeout: float = 10.0) -> pb.Connection:
    return await eventually(lambda: connection_of(backends, backend_id), lambda c: c.status == status, timeout=timeout)


async def history_types(backends: Stub, backend_id: str) -> list[int]:
    """Return the backend's transition types, oldest first."""
    page = await backends.ListBackendHistory(pb.ListBackendHistoryRequest(backend_id=backend_id, limit=100))
    return [transition.type for transition in reversed(page.transitions)]


def foreign_identity(tmp_path: Path, identity: ManagerIdentity) -> ManagerIdentity:
    """Return a client certificate signed by a CA the daemon does not trust."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "foreign CA")])
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity.backend_id)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ManagerIdentity(
        backend_id=identity.backend_id,
        serial_number=str(certificate.serial_number),
        ca_pem=identity.ca_pem,
        cert_pem=certificate.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


async def test_connect_marks_backend_connected(backends: Stub, identity: ManagerIdentity, connect: ConnectManager) -> None:
    """A manager with a valid certificate is connected, with its peer and serial shown."""
    await connect(identity)

    connection = await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)

    assert connection.certificate_serial == identity.serial_number
    assert connection.peer.startswith("ipv4:127.0.0.1:")
    assert connection.connected_since.seconds > 0
    assert connection.last_seen.seconds > 0


async def test_manager_close_marks_disconnected(backends: Stub, identity: ManagerIdentity, connect: ConnectManager) -> None:
    client = await connect(identity)
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)

    await client.call.done_writing()
    await client.close()

    connection = await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED)
    assert connection.peer == ""
    types = await eventually(
        lambda: history_types(backends, identity.backend_id), lambda t: pb.TRANSITION_TYPE_DISCONNECTED in t
    )
    assert types == [pb.TRANSITION_TYPE_CONNECTED, pb.TRANSITION_TYPE_DISCONNECTED]


async def test_no_client_certificate_fails_handshake(daemon: DaemonProcess, identity: ManagerIdentity) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=identity.ca_pem)
    async with grpc.aio.secure_channel(daemon.manager_address, credentials) as channel:
        from backendsd.proto.manager import manager_pb2_grpc

        call = manager_pb2_grpc.ManagerServiceStub(channel).Process()
        code = await call.code()

    assert code == grpc.StatusCode.UNAVAILABLE


async def test_foreign_ca_fails_handshake(
    tmp_path: Path, backends: Stub, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    client = await connect(foreign_identity(tmp_path, identity))

    assert await client.status() == grpc.StatusCode.UNAVAILABLE
    assert (await connection_of(backends, identity.backend_id)).status == pb.CONNECTION_STATUS_DISCONNECTED


async def test_revoked_certificate_is_unauthenticated(
    daemon: DaemonProcess,
    backends: Stub,
    certs: certs_pb2_grpc.CertsStub,
    identity: ManagerIdentity,
    connect: ConnectManager,
) -> None:
    """A revoked certificate passes TLS but is refused by the serial lookup, logged and recorded."""
    await certs.RevokeCertificate(certs_pb2.RevokeCertificateRequest(serial_number=identity.serial_number))

    client = await connect(identity)

    assert await client.status() == grpc.StatusCode.UNAUTHENTICATED
    assert "revoked" in await client.call.details()
    rejections = daemon.events("manager_rejected")
    assert [r["certificate_serial"] for r in rejections] == [identity.serial_number]
    types = await eventually(
        lambda: history_types(backends, identity.backend_id), lambda t: pb.TRANSITION_TYPE_REJECTED in t
    )
    assert types == [pb.TRANSITION_TYPE_REJECTED]


async def test_deleted_backend_certificate_is_refused(
    backends: Stub, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    await backends.DeleteBackend(pb.DeleteBackendRequest(id=identity.backend_id))

    client = await connect(identity)

    assert await client.status() == grpc.StatusCode.UNAUTHENTICATED


async def test_server_certificate_as_client_is_refused(
    daemon: DaemonProcess, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    """The daemon's own server certificate lacks clientAuth and is not a backend's certificate."""
    pki = daemon.data_dir / "pki"
    server_identity = ManagerIdentity(
        backend_id=identity.backend_id,
        serial_number="",
        ca_pem=identity.ca_pem,
        cert_pem=(pki / "server.pem").read_bytes(),
        key_pem=(pki / "server.key").read_bytes(),
    )

    client = await connect(server_identity)

    assert await client.status() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.UNAVAILABLE)


async def test_new_session_supersedes_old(backends: Stub, identity: ManagerIdentity, connect: ConnectManager) -> None:
    """A second session of the same backend ends the first with ABORTED and no Terminate."""
    first = await connect(identity)
    first_peer = (await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)).peer

    await connect(identity)

    assert await first.status() == grpc.StatusCode.ABORTED
    assert "superseded by a new connection from" in await first.call.details()
    connection = await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
    assert connection.peer != first_peer
    types = await eventually(
        lambda: history_types(backends, identity.backend_id), lambda t: pb.TRANSITION_TYPE_SUPERSEDED in t
    )
    assert types == [pb.TRANSITION_TYPE_CONNECTED, pb.TRANSITION_TYPE_CONNECTED, pb.TRANSITION_TYPE_SUPERSEDED]


async def test_list_filters_by_status(
    backends: Stub, certs: certs_pb2_grpc.CertsStub, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    offline = await enroll(backends, certs, name="offline", address="10.0.0.2")
    await connect(identity)
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)

    connected = await backends.ListBackends(pb.ListBackendsRequest(status=pb.CONNECTION_STATUS_CONNECTED))
    disconnected = await backends.ListBackends(pb.ListBackendsRequest(status=pb.CONNECTION_STATUS_DISCONNECTED))
    unresponsive = await backends.ListBackends(pb.ListBackendsRequest(status=pb.CONNECTION_STATUS_UNRESPONSIVE))

    assert [b.id for b in connected.backends] == [identity.backend_id]
    assert [b.id for b in disconnected.backends] == [offline.backend_id]
    assert unresponsive.total == 0


async def test_restart_shows_everyone_disconnected(tmp_path: Path) -> None:
    """After a daemon restart no backend is connected until its manager dials again."""
    from tests.helpers.client import secure_channel

    first = start_daemon(tmp_path / "data")
    channel = secure_channel(first.api_address, first.ca_pem, first.admin_token)
    stub, certs = backends_pb2_grpc.BackendsStub(channel), certs_pb2_grpc.CertsStub(channel)
    identity = await enroll(stub, certs)
    client = ManagerClient(first.manager_address, identity)
    await wait_for_status(stub, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
    await channel.close()

    assert first.stop() == 0
    assert await client.status() == grpc.StatusCode.UNAVAILABLE
    await client.close()

    second = start_daemon(tmp_path / "data")
    try:
        channel = secure_channel(second.api_address, second.ca_pem, second.admin_token)
        connection = await connection_of(backends_pb2_grpc.BackendsStub(channel), identity.backend_id)
        await channel.close()
    finally:
        second.kill()
    assert connection.status == pb.CONNECTION_STATUS_DISCONNECTED


async def test_unknown_message_is_counted_not_fatal(
    daemon: DaemonProcess, backends: Stub, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    client = await connect(identity)
    await client.send(manager_pb2.ClientStreamMessage())
    await client.send(
        manager_pb2.ClientStreamMessage(agent_log=manager_pb2.AgentLog(message="hello", computation_id="c1"))
    )

    await wait_until(lambda: bool(daemon.events("manager_message_unknown")))
    assert (await connection_of(backends, identity.backend_id)).status == pb.CONNECTION_STATUS_CONNECTED


async def test_list_unspecified_status_matches_all(backends: Stub, identity: ManagerIdentity) -> None:
    page = await backends.ListBackends(pb.ListBackendsRequest(status=pb.CONNECTION_STATUS_UNSPECIFIED))

    assert page.total == 1


async def test_list_rejects_unknown_status(backends: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.ListBackends(pb.ListBackendsRequest(status=7))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
