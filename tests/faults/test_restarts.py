"""Graceful shutdown under load, and restarts with managers that redial."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import grpc
import pytest

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, start_daemon
from tests.helpers.manager import ManagerIdentity, enroll
from tests.helpers.simulator import SimulatorProcess
from tests.managers.test_liveness import simulate
from tests.managers.test_sessions import connection_of, wait_for_status

SHUTDOWN_GRACE_SECONDS = 5
WRITERS = 4
MAX_CALLS_PER_WRITER = 300


async def write_until_rejected(backends: backends_pb2_grpc.BackendsStub, writer: int, acknowledged: list[str]) -> None:
    """Create backends until the daemon rejects calls, at most MAX_CALLS_PER_WRITER."""
    for call in range(MAX_CALLS_PER_WRITER):
        request = pb.CreateBackendRequest(name=f"w{writer}-{call}", address=f"w{writer}-{call}.test")
        try:
            created = await backends.CreateBackend(request, timeout=10)
        except grpc.aio.AioRpcError:
            return
        acknowledged.append(created.backend.id)


async def test_sigterm_under_load_exits_zero_in_grace(tmp_path: Path) -> None:
    """SIGTERM during concurrent writes exits 0 within --shutdown-grace, and every acknowledged create is kept."""
    data_dir = tmp_path / "data"
    daemon = start_daemon(data_dir, "--shutdown-grace", str(SHUTDOWN_GRACE_SECONDS))
    acknowledged: list[str] = []
    try:
        async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
            backends = backends_pb2_grpc.BackendsStub(channel)
            writers = [asyncio.create_task(write_until_rejected(backends, n, acknowledged)) for n in range(WRITERS)]
            await asyncio.sleep(1.0)
            started = time.monotonic()
            daemon.process.send_signal(signal.SIGTERM)
            status = await asyncio.to_thread(daemon.process.wait, 60)
            elapsed = time.monotonic() - started
            await asyncio.gather(*writers)
    finally:
        daemon.kill()

    assert status == 0
    assert elapsed < SHUTDOWN_GRACE_SECONDS
    assert len(acknowledged) > 0
    restarted = start_daemon(data_dir)
    try:
        async with secure_channel(restarted.api_address, restarted.ca_pem, restarted.admin_token) as channel:
            backends = backends_pb2_grpc.BackendsStub(channel)
            missing = []
            for backend_id in acknowledged:
                try:
                    await backends.GetBackend(pb.GetBackendRequest(id=backend_id))
                except grpc.aio.AioRpcError:
                    missing.append(backend_id)
    finally:
        restarted.kill()
    assert missing == []


async def enroll_many(daemon: DaemonProcess, count: int) -> list[ManagerIdentity]:
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        certs = certs_pb2_grpc.CertsStub(channel)
        return [await enroll(backends, certs, name=f"m{n}", address=f"m{n}.test") for n in range(count)]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
async def test_restart_reconnects_redialing_managers(tmp_path: Path, stop_signal: int) -> None:
    """After a restart, every redialing manager is connected again, and a manager that died meanwhile shows disconnected."""
    first = start_daemon(tmp_path / "data")
    identities = await enroll_many(first, 4)
    port = first.manager_address.rpartition(":")[2]
    managers: list[SimulatorProcess] = [
        simulate(tmp_path / f"m{n}", first, identity, "--reconnect") for n, identity in enumerate(identities)
    ]
    try:
        for manager in managers:
            await manager.wait_for_report("connected")
        first.process.send_signal(stop_signal)
        first.process.wait(timeout=30)
        managers[-1].kill()  # this host went away while the daemon was down

        second = start_daemon(tmp_path / "data", "--manager-addr", f"127.0.0.1:{port}")
        try:
            async with secure_channel(second.api_address, second.ca_pem, second.admin_token) as channel:
                backends = backends_pb2_grpc.BackendsStub(channel)
                for identity in identities[:-1]:
                    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED, timeout=20)
                stopped_manager = await connection_of(backends, identities[-1].backend_id)
                listed = await backends.ListBackends(pb.ListBackendsRequest(status=pb.CONNECTION_STATUS_CONNECTED))
        finally:
            second.kill()
    finally:
        for manager in managers:
            manager.kill()

    assert stopped_manager.status == pb.CONNECTION_STATUS_DISCONNECTED
    assert {backend.id for backend in listed.backends} == {identity.backend_id for identity in identities[:-1]}
