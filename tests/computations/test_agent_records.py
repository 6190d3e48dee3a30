"""Agent logs and events: stored, filtered, paged, tailed and expired."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc, computations_pb2, computations_pb2_grpc
from backendsd.proto.manager import manager_pb2
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, start_daemon
from tests.helpers.manager import ConnectManager, ManagerClient, ManagerIdentity, enroll
from tests.helpers.wait import eventually
from tests.managers.test_sessions import wait_for_status

Computations = computations_pb2_grpc.ComputationsStub


@pytest.fixture
async def computations(admin_channel: grpc.aio.Channel) -> Computations:
    return computations_pb2_grpc.ComputationsStub(admin_channel)


def log(computation_id: str, level: str, text: str, seconds: int) -> manager_pb2.ClientStreamMessage:
    return manager_pb2.ClientStreamMessage(
        agent_log=manager_pb2.AgentLog(
            message=text, computation_id=computation_id, level=level, timestamp=Timestamp(seconds=seconds)
        )
    )


def event(computation_id: str, event_type: str, seconds: int) -> manager_pb2.ClientStreamMessage:
    return manager_pb2.ClientStreamMessage(
        agent_event=manager_pb2.AgentEvent(
            event_type=event_type,
            computation_id=computation_id,
            details=b'{"step": 1}',
            originator="agent",
            status="ok",
            timestamp=Timestamp(seconds=seconds),
        )
    )


async def connected_client(
    backends: backends_pb2_grpc.BackendsStub, identity: ManagerIdentity, connect: ConnectManager
) -> ManagerClient:
    client = await connect(identity)
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
    return client


async def total_logs(computations: Computations, **filters: object) -> int:
    return (await computations.ListAgentLogs(computations_pb2.ListAgentLogsRequest(**filters))).total


async def test_logs_stored_with_backend_and_times(
    backends: backends_pb2_grpc.BackendsStub, computations: Computations, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    client = await connected_client(backends, identity, connect)

    await client.send(log("c1", "info", "hello", 1_700_000_000))
    await eventually(lambda: total_logs(computations), lambda total: total == 1)

    stored = (await computations.ListAgentLogs(computations_pb2.ListAgentLogsRequest())).logs[0]
    assert stored.backend_id == identity.backend_id
    assert stored.computation_id == "c1"
    assert stored.level == "info"
    assert stored.message == "hello"
    assert stored.timestamp.seconds == 1_700_000_000
    assert stored.received_at.seconds > 1_700_000_000


async def test_logs_filtered_and_paged_newest_first(
    backends: backends_pb2_grpc.BackendsStub, computations: Computations, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    client = await connected_client(backends, identity, connect)
    for index in range(6):
        await client.send(log("c1" if index % 2 else "c2", "error" if index == 5 else "info", f"m{index}", 1000 + index))
    await eventually(lambda: total_logs(computations), lambda total: total == 6)

    first_page = await computations.ListAgentLogs(computations_pb2.ListAgentLogsRequest(limit=4))
    second_page = await computations.ListAgentLogs(computations_pb2.ListAgentLogsRequest(limit=4, offset=4))
    by_computation = await computations.ListAgentLogs(computations_pb2.ListAgentLogsRequest(computation_id="c1"))
    by_level = await computations.ListAgentLogs(computations_pb2.ListAgentLogsRequest(level="error"))
    by_time = await computations.ListAgentLogs(
        computations_pb2.ListAgentLogsRequest(since=Timestamp(seconds=1002), until=Timestamp(seconds=1004))
    )

    assert [m.message for m in first_page.logs] == ["m5", "m4", "m3", "m2"]
    assert [m.message for m in second_page.logs] == ["m1", "m0"]
    assert first_page.total == 6
    assert [m.message for m in by_computation.logs] == ["m5", "m3", "m1"]
    assert [m.message for m in by_level.logs] == ["m5"]
    assert [m.message for m in by_time.logs] == ["m3", "m2"]


async def test_events_stored_and_filtered_by_type(
    backends: backends_pb2_grpc.BackendsStub, computations: Computations, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    client = await connected_client(backends, identity, connect)
    await client.send(event("c1", "vm-provision", 10))
    await client.send(event("c1", "algorithm-run", 11))

    async def stored_events() -> computations_pb2.ListAgentEventsResponse:
        return await computations.ListAgentEvents(computations_pb2.ListAgentEventsRequest(event_type="algorithm-run"))

    page = await eventually(stored_events, lambda response: response.total == 1)

    assert page.events[0].details == b'{"step": 1}'
    assert page.events[0].originator == "agent"
    assert page.events[0].status == "ok"


async def test_watch_tails_logs_and_events(
    backends: backends_pb2_grpc.BackendsStub, computations: Computations, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    """WatchAgentEvents delivers matching logs and events as they arrive, in order."""
    client = await connected_client(backends, identity, connect)
    watch = computations.WatchAgentEvents(computations_pb2.WatchAgentEventsRequest(computation_id="c1"))
    await watch.initial_metadata()

    await client.send(log("other", "info", "filtered out", 1))
    await client.send(log("c1", "info", "first", 2))
    await client.send(event("c1", "done", 3))
    records = [await asyncio.wait_for(watch.read(), 10) for _ in range(2)]
    watch.cancel()

    assert records[0].log.message == "first"
    assert records[1].event.event_type == "done"


async def test_records_of_deleted_backend_are_removed(
    backends: backends_pb2_grpc.BackendsStub, computations: Computations, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    client = await connected_client(backends, identity, connect)
    await client.send(log("c1", "info", "gone soon", 1))
    await eventually(lambda: total_logs(computations), lambda total: total == 1)

    await backends.DeleteBackend(pb.DeleteBackendRequest(id=identity.backend_id))

    assert await total_logs(computations) == 0


async def test_list_rejects_inverted_time_range(computations: Computations) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await computations.ListAgentLogs(
            computations_pb2.ListAgentLogsRequest(since=Timestamp(seconds=10), until=Timestamp(seconds=5))
        )

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def retaining_daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    daemon = start_daemon(tmp_path / "data", "--retain-logs", "5", "--retention-interval", "0.2")
    yield daemon
    daemon.kill()


async def test_retention_keeps_newest_rows(retaining_daemon: DaemonProcess) -> None:
    """With --retain-logs 5, the oldest logs of a backend are deleted in the background."""
    daemon = retaining_daemon
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)
        computations = computations_pb2_grpc.ComputationsStub(channel)
        identity = await enroll(backends, certs_pb2_grpc.CertsStub(channel))
        client = ManagerClient(daemon.manager_address, identity)
        try:
            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
            for index in range(12):
                await client.send(log("c1", "info", f"m{index}", index))

            async def remaining() -> list[str]:
                response = await computations.ListAgentLogs(computations_pb2.ListAgentLogsRequest(limit=100))
                return [m.message for m in response.logs]

            kept = await eventually(remaining, lambda messages: messages == ["m11", "m10", "m9", "m8", "m7"])
        finally:
            await client.close()

    assert len(kept) == 5
