"""--max-sessions and --max-concurrent-admissions: sessions beyond the limits are rejected with RESOURCE_EXHAUSTED."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc
from tests.helpers.client import secure_channel
from tests.helpers.daemon import start_daemon
from tests.helpers.manager import ManagerClient, enroll
from tests.managers.test_sessions import connection_of, wait_for_status

STORM_MANAGERS = 30


async def test_max_sessions_rejects_new_backend(tmp_path: Path) -> None:
    """At --max-sessions a new backend is rejected, while a connected backend may still replace its session."""
    daemon = start_daemon(tmp_path / "data", "--max-sessions", "2")
    managers: list[ManagerClient] = []
    try:
        async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
            backends = backends_pb2_grpc.BackendsStub(channel)
            certs = certs_pb2_grpc.CertsStub(channel)
            identities = [await enroll(backends, certs, name=f"b{n}", address=f"b{n}.test") for n in range(3)]
            for identity in identities[:2]:
                managers.append(ManagerClient(daemon.manager_address, identity))
                await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)

            third = ManagerClient(daemon.manager_address, identities[2])
            managers.append(third)
            rejected = await third.status()
            details = await third.call.details()
            replacement = ManagerClient(daemon.manager_address, identities[0])
            managers.append(replacement)
            superseded = await managers[0].status()
            connection = await wait_for_status(backends, identities[0].backend_id, pb.CONNECTION_STATUS_CONNECTED)
            third_connection = await connection_of(backends, identities[2].backend_id)
    finally:
        for manager in managers:
            await manager.close()
        daemon.kill()

    assert rejected == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "2 sessions are live" in details
    assert superseded == grpc.StatusCode.ABORTED
    assert connection.status == pb.CONNECTION_STATUS_CONNECTED
    assert third_connection.status == pb.CONNECTION_STATUS_DISCONNECTED
    assert len(daemon.events("manager_sessions_limited")) == 1


async def test_admission_storm_degrades_gracefully(tmp_path: Path) -> None:
    """Many managers dialing at once with one admission slot: each is connected or rejected with RESOURCE_EXHAUSTED."""
    daemon = start_daemon(tmp_path / "data", "--max-concurrent-admissions", "1")
    managers: list[ManagerClient] = []
    try:
        async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
            backends = backends_pb2_grpc.BackendsStub(channel)
            certs = certs_pb2_grpc.CertsStub(channel)
            identities = [
                await enroll(backends, certs, name=f"s{n}", address=f"s{n}.test") for n in range(STORM_MANAGERS)
            ]
            managers = [ManagerClient(daemon.manager_address, identity) for identity in identities]
            await asyncio.sleep(3)
            ended = [manager for manager in managers if manager.call.done()]
            codes = {await manager.status() for manager in ended}
            connected = await backends.ListBackends(
                pb.ListBackendsRequest(status=pb.CONNECTION_STATUS_CONNECTED, limit=100)
            )
            assert daemon.process.poll() is None
    finally:
        for manager in managers:
            await manager.close()
        daemon.kill()

    assert codes <= {grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert connected.total + len(ended) == STORM_MANAGERS
    assert connected.total >= 1
