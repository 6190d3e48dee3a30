"""Manager certificates that must not open a session: each is rejected, and each rejection that reaches the daemon is logged once.

Rejections by the TLS layer (no certificate, foreign CA, expired, not yet
valid) end in grpc's C core before any Python code runs, so the daemon
cannot log them. The client sees UNAVAILABLE.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2, certs_pb2_grpc
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, start_daemon
from tests.helpers.manager import ManagerClient, ManagerIdentity, enroll
from tests.helpers.pki import make_ca, make_client_certificate
from tests.helpers.wait import wait_until
from tests.managers.test_sessions import connection_of, wait_for_status

Stub = backends_pb2_grpc.BackendsStub


@pytest.fixture(params=[False, True], ids=["plain", "verify-peer-address"])
def daemon(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DaemonProcess]:
    flags = ["--verify-peer-address"] if request.param else []
    process = start_daemon(tmp_path / "data", *flags)
    yield process
    process.kill()


@pytest.fixture
async def clients(daemon: DaemonProcess) -> AsyncIterator[tuple[Stub, certs_pb2_grpc.CertsStub]]:
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        yield backends_pb2_grpc.BackendsStub(channel), certs_pb2_grpc.CertsStub(channel)


def verifies_peer_address(daemon: DaemonProcess) -> bool:
    return "--verify-peer-address" in daemon.process.args  # type: ignore[operator]


async def session_status(daemon: DaemonProcess, identity: ManagerIdentity) -> tuple[grpc.StatusCode, str]:
    """Open a manager stream with ``identity`` and return how it ended."""
    manager = ManagerClient(daemon.manager_address, identity)
    try:
        code = await manager.status()
        details = await manager.call.details()
    finally:
        await manager.close()
    return code, details or ""


def signed_by_daemon_ca(daemon: DaemonProcess, identity: ManagerIdentity, *, start: datetime.datetime, end: datetime.datetime) -> ManagerIdentity:
    """Return a client certificate for ``identity``'s backend signed with the daemon's CA key, valid from start to end."""
    pki = daemon.data_dir / "pki"
    ca_key = serialization.load_pem_private_key((pki / "ca.key").read_bytes(), password=None)
    ca_certificate = x509.load_pem_x509_certificate((pki / "ca.pem").read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity.backend_id)]))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return with_certificate(identity, certificate, key)


def with_certificate(identity: ManagerIdentity, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> ManagerIdentity:
    return ManagerIdentity(
        backend_id=identity.backend_id,
        serial_number=str(certificate.serial_number),
        ca_pem=identity.ca_pem,
        cert_pem=certificate.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def rejections(daemon: DaemonProcess, serial: str) -> list[dict[str, object]]:
    return [record for record in daemon.events("manager_rejected") if record["certificate_serial"] == serial]


NOW = datetime.datetime.now(datetime.timezone.utc)


@pytest.mark.parametrize(
    "case",
    ["no certificate", "foreign CA", "expired", "not yet valid"],
)
async def test_tls_level_rejection(
    daemon: DaemonProcess, clients: tuple[Stub, certs_pb2_grpc.CertsStub], case: str
) -> None:
    """Certificates the TLS handshake rejects never open a session; the backend stays disconnected."""
    backends, certs = clients
    identity = await enroll(backends, certs)
    if case == "no certificate":
        credentials = grpc.ssl_channel_credentials(root_certificates=identity.ca_pem)
        async with grpc.aio.secure_channel(daemon.manager_address, credentials) as channel:
            code = await channel.stream_stream("/manager.ManagerService/Process")().code()
    else:
        if case == "foreign CA":
            foreign = make_client_certificate(make_ca("foreign CA"), identity.backend_id)
            attacker = with_certificate(identity, foreign.certificate, foreign.private_key)
        elif case == "expired":
            attacker = signed_by_daemon_ca(daemon, identity, start=NOW - datetime.timedelta(days=2), end=NOW - datetime.timedelta(days=1))
        else:
            attacker = signed_by_daemon_ca(daemon, identity, start=NOW + datetime.timedelta(days=1), end=NOW + datetime.timedelta(days=2))
        code, _ = await session_status(daemon, attacker)

    assert code == grpc.StatusCode.UNAVAILABLE
    assert (await connection_of(backends, identity.backend_id)).status == pb.CONNECTION_STATUS_DISCONNECTED
    assert daemon.events("manager_connected") == []


async def test_revoked_rejected_and_logged_once(daemon: DaemonProcess, clients: tuple[Stub, certs_pb2_grpc.CertsStub]) -> None:
    backends, certs = clients
    identity = await enroll(backends, certs)
    await certs.RevokeCertificate(certs_pb2.RevokeCertificateRequest(serial_number=identity.serial_number))

    code, details = await session_status(daemon, identity)

    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert "revoked" in details
    await wait_until(lambda: len(rejections(daemon, identity.serial_number)) >= 1)
    logged = rejections(daemon, identity.serial_number)
    assert len(logged) == 1
    assert "revoked" in str(logged[0]["reason"])


async def test_deleted_backend_rejected_and_logged_once(
    daemon: DaemonProcess, clients: tuple[Stub, certs_pb2_grpc.CertsStub]
) -> None:
    """Deleting a backend revokes its certificates, so its manager is rejected as revoked."""
    backends, certs = clients
    identity = await enroll(backends, certs)
    await backends.DeleteBackend(pb.DeleteBackendRequest(id=identity.backend_id))

    code, _ = await session_status(daemon, identity)

    assert code == grpc.StatusCode.UNAUTHENTICATED
    await wait_until(lambda: len(rejections(daemon, identity.serial_number)) >= 1)
    assert len(rejections(daemon, identity.serial_number)) == 1


async def test_unknown_serial_from_daemon_ca_rejected(
    daemon: DaemonProcess, clients: tuple[Stub, certs_pb2_grpc.CertsStub]
) -> None:
    """A valid certificate signed with the CA key but never recorded (a stolen CA key) is rejected by the lookup."""
    backends, certs = clients
    identity = await enroll(backends, certs)
    forged = signed_by_daemon_ca(daemon, identity, start=NOW - datetime.timedelta(hours=1), end=NOW + datetime.timedelta(days=1))

    code, details = await session_status(daemon, forged)

    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert "not issued by this daemon" in details
    await wait_until(lambda: len(rejections(daemon, forged.serial_number)) >= 1)
    assert len(rejections(daemon, forged.serial_number)) == 1


async def test_server_certificate_as_client_rejected(
    daemon: DaemonProcess, clients: tuple[Stub, certs_pb2_grpc.CertsStub]
) -> None:
    """The daemon's own server certificate has no clientAuth usage; the TLS layer rejects it."""
    backends, certs = clients
    identity = await enroll(backends, certs)
    pki = daemon.data_dir / "pki"
    server = ManagerIdentity(
        backend_id=identity.backend_id,
        serial_number="",
        ca_pem=identity.ca_pem,
        cert_pem=(pki / "server.pem").read_bytes(),
        key_pem=(pki / "server.key").read_bytes(),
    )

    code, _ = await session_status(daemon, server)

    assert code == grpc.StatusCode.UNAVAILABLE
    assert daemon.events("manager_connected") == []
    assert daemon.events("manager_rejected") == []


async def test_certificate_of_other_backend_address(
    daemon: DaemonProcess, clients: tuple[Stub, certs_pb2_grpc.CertsStub]
) -> None:
    """Backend A's certificate used from backend B's address: rejected with --verify-peer-address, else it is A's session."""
    backends, certs = clients
    backend_a = await enroll(backends, certs, name="a", address="10.0.0.1")
    backend_b = await enroll(backends, certs, name="b", address="127.0.0.1")

    if verifies_peer_address(daemon):
        code, details = await session_status(daemon, backend_a)
        assert code == grpc.StatusCode.PERMISSION_DENIED
        assert "does not match backend address 10.0.0.1" in details
        await wait_until(lambda: len(rejections(daemon, backend_a.serial_number)) >= 1)
        assert len(rejections(daemon, backend_a.serial_number)) == 1
    else:
        manager = ManagerClient(daemon.manager_address, backend_a)
        try:
            await wait_for_status(backends, backend_a.backend_id, pb.CONNECTION_STATUS_CONNECTED)
        finally:
            await manager.close()
    assert (await connection_of(backends, backend_b.backend_id)).status == pb.CONNECTION_STATUS_DISCONNECTED
