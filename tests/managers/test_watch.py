"""WatchBackends: events in order, filters, and slow watchers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc
from tests.helpers.client import SMALL_WINDOW, secure_channel
from tests.helpers.daemon import DaemonProcess, start_daemon
from tests.helpers.manager import ConnectManager, ManagerIdentity, enroll
from tests.helpers.wait import wait_until
from tests.managers.test_sessions import wait_for_status

Stub = backends_pb2_grpc.BackendsStub


async def next_event(watch: grpc.aio.UnaryStreamCall, timeout: float = 10.0) -> pb.BackendEvent:
    event = await asyncio.wait_for(watch.read(), timeout)
    assert event is not grpc.aio.EOF
    return event


async def test_watch_reports_lifecycle_in_order(backends: Stub, certs: certs_pb2_grpc.CertsStub, connect: ConnectManager) -> None:
    """Create, connect, terminate and delete arrive as events in the order they happened."""


    watch = backends.WatchBackends(pb.WatchBackendsRequest())
    await watch.initial_metadata()

    identity = await enroll(backends, certs)
    await connect(identity)
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
    await backends.TerminateBackend(
        pb.TerminateBackendRequest(id=identity.backend_id, type=pb.TERMINATION_TYPE_USER_INITIATED)
    )
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED)
    await backends.DeleteBackend(pb.DeleteBackendRequest(id=identity.backend_id))

    events = [await next_event(watch) for _ in range(4)]
    watch.cancel()

    assert [e.type for e in events] == [
        pb.BACKEND_EVENT_TYPE_CREATED,
        pb.BACKEND_EVENT_TYPE_CONNECTED,
        pb.BACKEND_EVENT_TYPE_TERMINATED,
        pb.BACKEND_EVENT_TYPE_DELETED,
    ]
    assert {e.backend.id for e in events} == {identity.backend_id}
    assert events[1].backend.connection.status == pb.CONNECTION_STATUS_CONNECTED
    assert events[2].backend.connection.status == pb.CONNECTION_STATUS_DISCONNECTED


async def test_watch_filters_by_backend_and_status(
    backends: Stub, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    watch = backends.WatchBackends(
        pb.WatchBackendsRequest(statuses=[pb.CONNECTION_STATUS_CONNECTED], backend_ids=[identity.backend_id])
    )
    await watch.initial_metadata()

    await backends.CreateBackend(pb.CreateBackendRequest(name="other", address="10.9.9.9"))
    await connect(identity)

    event = await next_event(watch)
    watch.cancel()

    assert event.type == pb.BACKEND_EVENT_TYPE_CONNECTED
    assert event.backend.id == identity.backend_id


async def test_watch_rejects_malformed_backend_id(backends: Stub) -> None:
    watch = backends.WatchBackends(pb.WatchBackendsRequest(backend_ids=["nope"]))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await watch.read()

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_stalled_watcher_dropped_others_continue(tmp_path: Path) -> None:
    """A watcher that stops reading is ended with RESOURCE_EXHAUSTED; a reading watcher gets every event.

    The ending status sits behind the events already queued on the stalled
    stream (HTTP/2 sends trailers after data), so the daemon's log shows the
    end at once, and the stalled client sees it once it reads again.
    """
    daemon = start_daemon(tmp_path / "data", "--watch-buffer", "8")
    try:
        async with (
            secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel,
            secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token, SMALL_WINDOW) as stalled_channel,
        ):
            backends = backends_pb2_grpc.BackendsStub(channel)
            created = (await backends.CreateBackend(pb.CreateBackendRequest(name="n", address="10.0.0.1"))).backend
            stalled = backends_pb2_grpc.BackendsStub(stalled_channel).WatchBackends(pb.WatchBackendsRequest())
            reading = backends.WatchBackends(pb.WatchBackendsRequest())
            await stalled.initial_metadata()
            await reading.initial_metadata()

            # About 1 KiB per event: 64 KiB of window plus 8 buffered events
            # are exceeded well before the last update.
            updates = 200
            received = 0
            for index in range(updates):
                await backends.UpdateBackend(
                    pb.UpdateBackendRequest(id=created.id, name=f"n{index}", address="10.0.0.1", description="x" * 1000)
                )
                await next_event(reading)
                received += 1

            await wait_until(lambda: bool(watch_ends(daemon)), timeout=20)
            # Read before the reading watch is cancelled, which adds its own CANCELLED line.
            ends = [record["code"] for record in watch_ends(daemon)]
            drained = await drain(stalled)
            reading.cancel()
    finally:
        daemon.kill()

    assert received == updates
    assert ends == ["RESOURCE_EXHAUSTED"]
    assert drained == grpc.StatusCode.RESOURCE_EXHAUSTED


def watch_ends(daemon: DaemonProcess) -> list[dict[str, object]]:
    return [r for r in daemon.events("rpc_finished") if r["rpc_method"] == "/backendsd.v1.Backends/WatchBackends"]


async def drain(watch: grpc.aio.UnaryStreamCall) -> grpc.StatusCode:
    """Read a watch to its end and return its status."""
    try:
        while await asyncio.wait_for(watch.read(), 10) is not grpc.aio.EOF:
            pass
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK
