"""Real manager processes (the simulator) killed, frozen and terminated."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, start_daemon
from tests.helpers.manager import ManagerIdentity, enroll
from tests.helpers.simulator import SimulatorProcess, identity_arguments, start_simulator
from tests.managers.test_sessions import wait_for_status

TERMINATION_LINE = "manager service terminated: server requested client termination"


@pytest.fixture
def fast_daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    """A daemon with the tightest keepalive, so a frozen manager is noticed within seconds."""
    daemon = start_daemon(tmp_path / "data", "--keepalive-interval", "1", "--keepalive-timeout", "1")
    yield daemon
    daemon.kill()


def simulate(tmp_path: Path, daemon: DaemonProcess, identity: ManagerIdentity, *args: str) -> SimulatorProcess:
    files = identity.write(tmp_path / "manager")
    return start_simulator(tmp_path / "simulator", *identity_arguments(files, daemon.manager_address), *args)


async def test_killed_manager_disconnects(tmp_path: Path, fast_daemon: DaemonProcess) -> None:
    async with secure_channel(fast_daemon.api_address, fast_daemon.ca_pem, fast_daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        identity = await enroll(backends, certs_pb2_grpc.CertsStub(channel))
        manager = simulate(tmp_path, fast_daemon, identity)
        try:
            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)

            manager.send_signal(signal.SIGKILL)

            # The kernel closes the socket, so no keepalive is needed to notice.
            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED, timeout=3)
        finally:
            manager.kill()


async def test_frozen_manager_disconnects(tmp_path: Path, fast_daemon: DaemonProcess) -> None:
    """A SIGSTOPped manager acknowledges no keepalive ping and is dropped after interval plus timeout."""
    async with secure_channel(fast_daemon.api_address, fast_daemon.ca_pem, fast_daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        identity = await enroll(backends, certs_pb2_grpc.CertsStub(channel))
        manager = simulate(tmp_path, fast_daemon, identity)
        try:
            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)

            manager.send_signal(signal.SIGSTOP)

            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED, timeout=10)
        finally:
            manager.send_signal(signal.SIGCONT)
            manager.kill()


async def test_terminate_stops_real_manager(tmp_path: Path, daemon: DaemonProcess) -> None:
    """The simulator, like a real manager, logs the termination line with the reason and exits 0."""
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        identity = await enroll(backends, certs_pb2_grpc.CertsStub(channel))
        manager = simulate(tmp_path, daemon, identity)
        try:
            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)

            await backends.TerminateBackend(
                pb.TerminateBackendRequest(id=identity.backend_id, type=pb.TERMINATION_TYPE_USER_INITIATED)
            )

            assert await manager.wait_for_exit() == 0
        finally:
            manager.kill()

    terminated = manager.log_records(TERMINATION_LINE)
    assert len(terminated) == 1
    assert terminated[0]["message"] == "terminated by operator"


async def test_redialing_manager_reconnects_after_restart(tmp_path: Path) -> None:
    """A manager that redials (as systemd restarts real ones) is connected again after a daemon restart."""
    first = start_daemon(tmp_path / "data")
    async with secure_channel(first.api_address, first.ca_pem, first.admin_token) as channel:
        identity = await enroll(backends_pb2_grpc.BackendsStub(channel), certs_pb2_grpc.CertsStub(channel))
    port = first.manager_address.rpartition(":")[2]
    manager = simulate(tmp_path, first, identity, "--reconnect")
    try:
        await manager.wait_for_report("connected")
        assert first.stop() == 0

        second = start_daemon(tmp_path / "data", "--manager-addr", f"127.0.0.1:{port}")
        try:
            async with secure_channel(second.api_address, second.ca_pem, second.admin_token) as channel:
                backends = backends_pb2_grpc.BackendsStub(channel)
                await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED, timeout=15)
        finally:
            second.kill()
    finally:
        manager.kill()
