"""Health monitoring: application probes, keepalive, and killed or frozen managers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc
from backendsd.proto.manager import manager_pb2
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, start_daemon
from tests.helpers.manager import ManagerClient, enroll
from tests.helpers.wait import eventually
from tests.managers.test_sessions import history_types, wait_for_status

Stub = backends_pb2_grpc.BackendsStub

# Short timers so that each check takes about a second.
FAST_PROBES = ("--probe-interval", "0.3", "--probe-timeout", "0.5")


@pytest.fixture
def probing_daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    daemon = start_daemon(tmp_path / "data", *FAST_PROBES)
    yield daemon
    daemon.kill()


async def test_unanswered_probe_marks_unresponsive(probing_daemon: DaemonProcess) -> None:
    """A manager that ignores SVMInfoReq turns unresponsive, and any message brings it back."""
    async with secure_channel(probing_daemon.api_address, probing_daemon.ca_pem, probing_daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        identity = await enroll(backends, certs_pb2_grpc.CertsStub(channel))
        client = ManagerClient(probing_daemon.manager_address, identity)
        try:
            probe = await client.read()
            assert probe.WhichOneof("message") == "svmInfoReq"
            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_UNRESPONSIVE)

            await client.send(manager_pb2.ClientStreamMessage(agent_log=manager_pb2.AgentLog(message="alive")))

            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
            # History is written in the background, shortly after the status changes.
            types = await eventually(lambda: history_types(backends, identity.backend_id), lambda t: len(t) >= 3)
        finally:
            await client.close()

    assert types[:3] == [pb.TRANSITION_TYPE_CONNECTED, pb.TRANSITION_TYPE_UNRESPONSIVE, pb.TRANSITION_TYPE_CONNECTED]


async def test_answered_probes_keep_connected(probing_daemon: DaemonProcess) -> None:
    """A manager that responds to each probe with the echoed id stays connected across several probes."""
    async with secure_channel(probing_daemon.api_address, probing_daemon.ca_pem, probing_daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        identity = await enroll(backends, certs_pb2_grpc.CertsStub(channel))
        client = ManagerClient(probing_daemon.manager_address, identity)
        try:
            for _ in range(5):
                probe = await client.read()
                await client.send(
                    manager_pb2.ClientStreamMessage(svm_info=manager_pb2.SVMInfo(id=probe.svmInfoReq.id, cpu_num=2))
                )
            connection = (await backends.GetBackend(pb.GetBackendRequest(id=identity.backend_id))).backend.connection
            types = await eventually(lambda: history_types(backends, identity.backend_id), lambda t: len(t) >= 1)
        finally:
            await client.close()

    assert connection.status == pb.CONNECTION_STATUS_CONNECTED
    assert types == [pb.TRANSITION_TYPE_CONNECTED]


async def test_late_probe_answer_is_stored_quietly(probing_daemon: DaemonProcess) -> None:
    """A response after the probe timed out restores the status and stores the facts, with no unexpected-response line."""
    async with secure_channel(probing_daemon.api_address, probing_daemon.ca_pem, probing_daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        identity = await enroll(backends, certs_pb2_grpc.CertsStub(channel))
        client = ManagerClient(probing_daemon.manager_address, identity)
        try:
            probe = await client.read()
            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_UNRESPONSIVE)

            late = manager_pb2.SVMInfo(id=probe.svmInfoReq.id, cpu_num=7)
            await client.send(manager_pb2.ClientStreamMessage(svm_info=late))

            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
            backend = await eventually(
                lambda: backends.GetBackend(pb.GetBackendRequest(id=identity.backend_id)),
                lambda found: found.backend.information.svm_info.cpu_num == 7,
            )
        finally:
            await client.close()

    assert backend.backend.information.svm_info.cpu_num == 7
    assert probing_daemon.events("manager_response_unexpected") == []


@pytest.fixture
def patient_daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    """A daemon whose probe timeout is much longer than its probe interval."""
    daemon = start_daemon(tmp_path / "data", "--probe-interval", "0.2", "--probe-timeout", "5")
    yield daemon
    daemon.kill()


async def test_answered_probe_keeps_interval(patient_daemon: DaemonProcess) -> None:
    """After a response, the next probe follows the interval, not the longer timeout of the probe that got it."""
    daemon = patient_daemon
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        identity = await enroll(backends_pb2_grpc.BackendsStub(channel), certs_pb2_grpc.CertsStub(channel))
        client = ManagerClient(daemon.manager_address, identity)
        try:
            first = await client.read()
            await client.send(manager_pb2.ClientStreamMessage(svm_info=manager_pb2.SVMInfo(id=first.svmInfoReq.id)))
            answered = time.monotonic()
            second = await asyncio.wait_for(client.read(), timeout=10)
            gap = time.monotonic() - answered
        finally:
            await client.close()

    assert second.WhichOneof("message") == "svmInfoReq"
    assert second.svmInfoReq.id != first.svmInfoReq.id
    # With the bug this test guards against, the gap was the 5 s timeout.
    assert gap < 3
