"""Token attacks and secrets at rest: failure rate limiting, nothing secret in the log, private file modes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2, certs_pb2_grpc
from tests.faults.conftest import file_mode
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, run_cli, start_daemon
from tests.helpers.manager import ManagerClient, enroll
from tests.managers.test_sessions import wait_for_status

MAX_AUTH_FAILURES = 5


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    process = start_daemon(tmp_path / "data", "--max-auth-failures", str(MAX_AUTH_FAILURES))
    yield process
    process.kill()


async def list_code(daemon: DaemonProcess, token: str | None, metadata: tuple[tuple[str, str], ...] = ()) -> grpc.StatusCode:
    async with secure_channel(daemon.api_address, daemon.ca_pem, token) as channel:
        try:
            await backends_pb2_grpc.BackendsStub(channel).ListBackends(pb.ListBackendsRequest(), metadata=metadata)
        except grpc.aio.AioRpcError as error:
            return error.code()
    return grpc.StatusCode.OK


async def test_auth_failures_rate_limited(daemon: DaemonProcess) -> None:
    """After the limit of failed token checks, the peer is rejected at once, even with a valid token, and warned once."""
    failures = [
        await list_code(daemon, "bsd_" + "x" * 43),
        await list_code(daemon, None),
        await list_code(daemon, None, metadata=(("authorization", "Basic abc"),)),
        *[await list_code(daemon, f"bsd_guess-{n}") for n in range(MAX_AUTH_FAILURES - 3)],
    ]

    limited = [await list_code(daemon, "bsd_another-guess") for _ in range(5)]
    valid_token = await list_code(daemon, daemon.admin_token)

    assert set(failures) == {grpc.StatusCode.UNAUTHENTICATED}
    assert set(limited) == {grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert valid_token == grpc.StatusCode.RESOURCE_EXHAUSTED
    warnings = daemon.events("auth_failures_rate_limited")
    assert len(warnings) == 1
    assert warnings[0]["failures"] == MAX_AUTH_FAILURES


async def test_viewer_denial_not_rate_limited(daemon: DaemonProcess) -> None:
    """A viewer rejected a mutation is authenticated, so its rejections do not count as failed authentication."""
    viewer = run_cli("token", "create", "--data-dir", str(daemon.data_dir), "--role", "viewer", "--name", "v").stdout.strip()
    async with secure_channel(daemon.api_address, daemon.ca_pem, viewer) as channel:
        certs = certs_pb2_grpc.CertsStub(channel)
        codes = []
        for _ in range(MAX_AUTH_FAILURES + 2):
            try:
                await certs.RevokeCertificate(certs_pb2.RevokeCertificateRequest(serial_number="1"))
            except grpc.aio.AioRpcError as error:
                codes.append(error.code())

    assert set(codes) == {grpc.StatusCode.PERMISSION_DENIED}
    assert await list_code(daemon, viewer) == grpc.StatusCode.OK


def secret_fragments(pem: str) -> list[str]:
    """Return the base64 lines of a PEM body that are long enough to be unique."""
    return [line for line in pem.splitlines() if len(line) >= 40 and not line.startswith("-----")]


async def test_full_workflow_logs_no_secret(daemon: DaemonProcess, tmp_path: Path) -> None:
    """After tokens, certificates, a bundle fetch and a manager session, the log has no token, key or certificate body."""
    viewer = run_cli("token", "create", "--data-dir", str(daemon.data_dir), "--role", "viewer", "--name", "v").stdout.strip()
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        certs = certs_pb2_grpc.CertsStub(channel)
        identity = await enroll(backends, certs)
        bundle = await certs.GetCertificateBundle(certs_pb2.GetCertificateBundleRequest(serial_number=identity.serial_number))
        renewed = await certs.RenewCertificate(certs_pb2.RenewCertificateRequest(serial_number=identity.serial_number))
        manager = ManagerClient(daemon.manager_address, identity)
        await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
        await manager.close()
        await certs.RevokeCertificate(certs_pb2.RevokeCertificateRequest(serial_number=identity.serial_number))
    await list_code(daemon, viewer)
    await list_code(daemon, "bsd_wrong-token-value")

    log = daemon.log_path.read_text()
    pki = daemon.data_dir / "pki"
    secrets = [
        daemon.admin_token,
        viewer,
        "bsd_wrong-token-value",
        *secret_fragments(identity.key_pem.decode()),
        *secret_fragments(identity.cert_pem.decode()),
        *secret_fragments(bundle.key_pem),
        *secret_fragments(renewed.cert_pem),
        *secret_fragments((pki / "ca.key").read_text()),
        *secret_fragments((pki / "server.key").read_text()),
    ]
    assert "BEGIN" not in log
    assert (pki / "client-keys.kek").read_bytes().hex() not in log
    leaked = [secret[:12] for secret in secrets if secret in log]
    assert leaked == []
    assert re.search(r"bsd_[A-Za-z0-9_-]{20,}", log) is None


PRIVATE_FILES = ["backendsd.db", "admin.token", "pki/ca.key", "pki/server.key", "pki/client-keys.kek"]


async def test_secrets_not_readable_by_others(daemon: DaemonProcess) -> None:
    """Keys, the token file and the database (with its WAL files) are mode 0600 in 0700 directories."""
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        await enroll(backends_pb2_grpc.BackendsStub(channel), certs_pb2_grpc.CertsStub(channel))
    data = daemon.data_dir
    wal_files = [path.name for path in data.glob("backendsd.db-*")]

    modes = {name: file_mode(data / name) for name in [*PRIVATE_FILES, *wal_files]}

    assert wal_files != []
    assert modes == {name: 0o600 for name in modes}
    assert file_mode(data) == 0o700
    assert file_mode(data / "pki") == 0o700
