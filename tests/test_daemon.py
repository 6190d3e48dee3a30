"""Daemon lifecycle: first start, restart, shutdown, files on disk."""

from __future__ import annotations

import asyncio
import ipaddress
import signal
import stat
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from grpc_health.v1 import health_pb2, health_pb2_grpc

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, run_cli, start_daemon


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_first_start_writes_private_files(daemon: DaemonProcess) -> None:
    """The admin token, the keys and the database are readable by their owner only."""
    for name in ("admin.token", "backendsd.db", "pki/ca.key", "pki/server.key"):
        assert mode_of(daemon.data_dir / name) == 0o600, name
    assert mode_of(daemon.data_dir) == 0o700


async def test_first_start_logs_token_path_not_token(daemon: DaemonProcess) -> None:
    written = daemon.events("admin_token_written")

    assert [record["path"] for record in written] == [str(daemon.data_dir / "admin.token")]
    assert daemon.admin_token not in daemon.log_path.read_text()


async def test_server_certificate_has_sans(tmp_path: Path) -> None:
    daemon = start_daemon(tmp_path / "data", "--server-san", "api.example.com", "--server-san", "192.0.2.7")
    daemon.kill()

    certificate = x509.load_pem_x509_certificate((daemon.data_dir / "pki" / "server.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert {"localhost", "api.example.com"} <= set(names.get_values_for_type(x509.DNSName))
    assert {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
        ipaddress.ip_address("192.0.2.7"),
    } <= set(names.get_values_for_type(x509.IPAddress))
    certificate.verify_directly_issued_by(x509.load_pem_x509_certificate(daemon.ca_pem))


async def test_data_survives_restart(tmp_path: Path) -> None:
    """Backends, the CA and the admin token are the same after a restart."""
    first = start_daemon(tmp_path / "data")
    channel = secure_channel(first.api_address, first.ca_pem, first.admin_token)
    created = (
        await backends_pb2_grpc.BackendsStub(channel).CreateBackend(
            pb.CreateBackendRequest(name="kept", address="10.0.0.1", description="survives")
        )
    ).backend
    await channel.close()
    ca_before, token_before = first.ca_pem, first.admin_token
    assert first.stop() == 0

    second = start_daemon(tmp_path / "data")
    try:
        channel = secure_channel(second.api_address, second.ca_pem, second.admin_token)
        fetched = (await backends_pb2_grpc.BackendsStub(channel).GetBackend(pb.GetBackendRequest(id=created.id))).backend
        await channel.close()
    finally:
        second.kill()

    assert fetched == created
    assert second.ca_pem == ca_before
    assert second.admin_token == token_before
    assert second.events("admin_token_written") == []


async def test_acknowledged_write_survives_sigkill(tmp_path: Path) -> None:
    """A create that returned is in the database after the process is killed."""
    first = start_daemon(tmp_path / "data")
    channel = secure_channel(first.api_address, first.ca_pem, first.admin_token)
    created = (
        await backends_pb2_grpc.BackendsStub(channel).CreateBackend(pb.CreateBackendRequest(name="n", address="10.0.0.1"))
    ).backend
    await channel.close()
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()

    second = start_daemon(tmp_path / "data")
    try:
        channel = secure_channel(second.api_address, second.ca_pem, second.admin_token)
        fetched = (await backends_pb2_grpc.BackendsStub(channel).GetBackend(pb.GetBackendRequest(id=created.id))).backend
        await channel.close()
    finally:
        second.kill()

    assert fetched.name == "n"


async def test_sigterm_exits_zero(daemon: DaemonProcess) -> None:
    assert daemon.stop(signal.SIGTERM) == 0
    assert daemon.events("daemon_stopped")


async def test_sigint_exits_zero(daemon: DaemonProcess) -> None:
    assert daemon.stop(signal.SIGINT) == 0


async def test_shutdown_reports_not_serving(daemon: DaemonProcess) -> None:
    """Health watchers see NOT_SERVING once shutdown starts."""
    channel = secure_channel(daemon.api_address, daemon.ca_pem)
    statuses = []
    try:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        statuses.append((await watch.read()).status)
        daemon.process.send_signal(signal.SIGTERM)
        message = await asyncio.wait_for(watch.read(), timeout=10)
        if message is not grpc.aio.EOF:
            statuses.append(message.status)
    finally:
        await channel.close()

    assert statuses == [health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING]
    assert daemon.process.wait(timeout=30) == 0


async def test_rpc_log_line_has_method_code_duration_peer(daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub) -> None:
    await backends.ListBackends(pb.ListBackendsRequest())

    records = [r for r in daemon.events("rpc_finished") if r["rpc_method"] == "/backendsd.v1.Backends/ListBackends"]

    assert len(records) == 1
    assert "method" not in records[0]
    assert records[0]["code"] == "OK"
    assert records[0]["duration_ms"] >= 0
    assert "127.0.0.1" in records[0]["peer"]


async def test_insecure_api_serves_plaintext(tmp_path: Path) -> None:
    daemon = start_daemon(tmp_path / "data", "--api-insecure")
    try:
        channel = grpc.aio.insecure_channel(daemon.api_address)
        response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        await channel.close()
    finally:
        daemon.kill()

    assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_second_daemon_same_data_dir_exits_1(daemon: DaemonProcess) -> None:
    """A second daemon on a data directory in use exits with one line instead of sharing the database."""
    result = run_cli(
        "serve", "--data-dir", str(daemon.data_dir), "--api-addr", "127.0.0.1:0", "--manager-addr", "127.0.0.1:0",
        check=False,
    )

    lines = result.stderr.splitlines()
    assert result.returncode == 1
    assert len(lines) == 1
    assert str(daemon.data_dir.resolve()) in lines[0]
    assert "another backendsd daemon is running" in lines[0]


@pytest.mark.parametrize(("listener", "flag"), [("api_listening", "--api-addr"), ("manager_listening", "--manager-addr")])
async def test_second_daemon_same_port_fails(tmp_path: Path, listener: str, flag: str) -> None:
    """A port that another daemon listens on is an error naming the address, not a shared port."""
    first = start_daemon(tmp_path / "first", wait_for=("api_listening", "manager_listening"))
    try:
        taken = first.listening[listener]
        result = run_cli(
            "serve", "--data-dir", str(tmp_path / "second"), "--api-addr", "127.0.0.1:0",
            "--manager-addr", "127.0.0.1:0", flag, taken, check=False,
        )
    finally:
        first.kill()

    last_line = result.stderr.splitlines()[-1]
    assert result.returncode == 1
    assert last_line.startswith(f"backendsd: cannot listen on {taken}")
    assert "Address already in use" in last_line
    assert "Traceback" not in result.stderr


async def test_missing_admin_token_file_logged(tmp_path: Path) -> None:
    """A restart without admin.token but with an active admin token logs how to recover, and no token."""
    first = start_daemon(tmp_path / "data")
    token = first.admin_token
    assert first.stop() == 0
    token_path = tmp_path / "data" / "admin.token"
    token_path.unlink()

    second = start_daemon(tmp_path / "data")
    second.kill()

    missing = second.events("admin_token_file_missing")
    assert [record["path"] for record in missing] == [str(token_path)]
    assert "backendsd token create" in missing[0]["recovery"]
    assert "--role admin --name NAME" in missing[0]["recovery"]
    assert second.events("admin_token_written") == []
    assert not token_path.exists()
    assert token not in second.log_path.read_text()
