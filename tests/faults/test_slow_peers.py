"""Peers that stop reading: their calls end, daemon memory stays bounded and other calls are not slowed."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc, computations_pb2, computations_pb2_grpc
from backendsd.proto.manager import manager_pb2
from tests.helpers.client import SMALL_WINDOW, secure_channel
from tests.helpers.daemon import DaemonProcess, start_daemon
from tests.helpers.manager import ManagerIdentity, enroll
from tests.helpers.wait import wait_until
from tests.managers.test_sessions import wait_for_status

WRITE_TIMEOUT_SECONDS = 1
# Memory the daemon may gain while a stalled manager is sent RUN_REQUESTS
# run requests of RUN_REQUEST_BYTES. The requests are kept small because
# grpcio keeps each request's bytes in a per-call reference cycle until
# Python's cyclic garbage collector runs, which would dominate the number.
RUN_REQUEST_BYTES = 256 * 1024
RUN_REQUESTS = 64
MAX_RSS_GROWTH_BYTES = 48 * 1024 * 1024


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    process = start_daemon(tmp_path / "data", "--manager-write-timeout", str(WRITE_TIMEOUT_SECONDS))
    yield process
    process.kill()


@pytest.fixture
async def channel(daemon: DaemonProcess) -> AsyncIterator[grpc.aio.Channel]:
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as opened:
        yield opened


def rss_bytes(daemon: DaemonProcess) -> int:
    for line in Path(f"/proc/{daemon.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


async def list_latency(backends: backends_pb2_grpc.BackendsStub, samples: int = 15) -> float:
    """Return the median seconds of a ListBackends call."""
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        await backends.ListBackends(pb.ListBackendsRequest(limit=100))
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def non_reading_manager(daemon: DaemonProcess, identity: ManagerIdentity) -> tuple[grpc.aio.Channel, grpc.aio.StreamStreamCall]:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=identity.ca_pem, private_key=identity.key_pem, certificate_chain=identity.cert_pem
    )
    manager_channel = grpc.aio.secure_channel(daemon.manager_address, credentials, options=list(SMALL_WINDOW))
    call = manager_channel.stream_stream("/manager.ManagerService/Process")()
    return manager_channel, call


async def run_large(computations: computations_pb2_grpc.ComputationsStub, backend_id: str, number: int) -> grpc.StatusCode:
    run_request = manager_pb2.ComputationRunReq(id=f"big-{number}", name="x" * RUN_REQUEST_BYTES)
    request = computations_pb2.RunComputationRequest(backend_id=backend_id, run_request=run_request)
    try:
        await computations.RunComputation(request, timeout=30)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def run_large_in_turn(computations: computations_pb2_grpc.ComputationsStub, backend_id: str) -> list[grpc.StatusCode]:
    return [await run_large(computations, backend_id, number) for number in range(RUN_REQUESTS)]


async def test_manager_that_never_reads(daemon: DaemonProcess, channel: grpc.aio.Channel) -> None:
    """A manager that reads nothing loses its session after --manager-write-timeout; memory and others are unaffected."""
    backends = backends_pb2_grpc.BackendsStub(channel)
    computations = computations_pb2_grpc.ComputationsStub(channel)
    identity = await enroll(backends, certs_pb2_grpc.CertsStub(channel))
    quiet = await list_latency(backends)
    rss_before = rss_bytes(daemon)

    manager_channel, _call = non_reading_manager(daemon, identity)
    try:
        await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
        runs = asyncio.create_task(run_large_in_turn(computations, identity.backend_id))
        loaded = await list_latency(backends)
        codes = await runs
        await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED)
        rss_after = rss_bytes(daemon)
    finally:
        await manager_channel.close()

    assert grpc.StatusCode.OK not in codes
    stalled = [record for record in daemon.events("manager_disconnected") if record["end"] == "stalled"]
    assert len(stalled) == 1
    assert rss_after - rss_before < MAX_RSS_GROWTH_BYTES
    # Generous: the machine is shared, but a blocked event loop would add seconds.
    assert loaded < quiet * 5 + 0.1


def watch_finished(daemon: DaemonProcess) -> list[str]:
    return [
        record["code"] for record in daemon.events("rpc_finished") if record["rpc_method"].endswith("/WatchBackends")
    ]


async def test_watcher_that_never_reads(daemon: DaemonProcess, channel: grpc.aio.Channel) -> None:
    """A WatchBackends caller that reads nothing is dropped; memory and other calls are unaffected."""
    backends = backends_pb2_grpc.BackendsStub(channel)
    quiet = await list_latency(backends)
    rss_before = rss_bytes(daemon)
    metadata = (("authorization", f"Bearer {daemon.admin_token}"),)

    async with secure_channel(daemon.api_address, daemon.ca_pem, options=SMALL_WINDOW) as watch_channel:
        watch = backends_pb2_grpc.BackendsStub(watch_channel).WatchBackends(pb.WatchBackendsRequest(), metadata=metadata)
        await watch.initial_metadata()
        created = [
            await backends.CreateBackend(
                pb.CreateBackendRequest(name=f"b{n}", description="d" * 1000, address=f"b{n}.test")
            )
            for n in range(300)
        ]
        for round_number in range(6):
            for response in created:
                await backends.UpdateBackend(
                    pb.UpdateBackendRequest(
                        id=response.backend.id, name=f"b-{round_number}", description="e" * 1000, address=response.backend.address
                    )
                )
        loaded = await list_latency(backends)
        # The watcher reads nothing, so it cannot see its status; the daemon's log shows how the watch ended.
        await wait_until(lambda: watch_finished(daemon) != [], timeout=30)
        rss_after = rss_bytes(daemon)
        watch.cancel()

    assert watch_finished(daemon) == ["RESOURCE_EXHAUSTED"]
    assert rss_after - rss_before < MAX_RSS_GROWTH_BYTES
    assert loaded < quiet * 5 + 0.1
