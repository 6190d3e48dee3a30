"""Hostile managers: garbage, oversized and unexpected messages, floods. The daemon stays up and others are served."""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc
from backendsd.proto.manager import manager_pb2
from tests.helpers.client import secure_channel
from tests.helpers.daemon import DaemonProcess, start_daemon
from tests.helpers.manager import ManagerClient, ManagerIdentity, enroll
from tests.helpers.wait import wait_until
from tests.managers.test_sessions import wait_for_status

PROCESS = "/manager.ManagerService/Process"
MAX_MESSAGE_SIZE = 64 * 1024
ADDRESS_SUFFIXES = itertools.count(1)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    process = start_daemon(tmp_path / "data", "--max-message-size", str(MAX_MESSAGE_SIZE), "--request-timeout", "1")
    yield process
    process.kill()


@pytest.fixture
async def backends(daemon: DaemonProcess) -> AsyncIterator[backends_pb2_grpc.BackendsStub]:
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        yield backends_pb2_grpc.BackendsStub(channel)


@pytest.fixture
async def certs(daemon: DaemonProcess) -> AsyncIterator[certs_pb2_grpc.CertsStub]:
    async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
        yield certs_pb2_grpc.CertsStub(channel)


def raw_channel(daemon: DaemonProcess, identity: ManagerIdentity) -> grpc.aio.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=identity.ca_pem, private_key=identity.key_pem, certificate_chain=identity.cert_pem
    )
    return grpc.aio.secure_channel(daemon.manager_address, credentials)


async def assert_daemon_serves(daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub) -> None:
    assert daemon.process.poll() is None
    assert (await backends.ListBackends(pb.ListBackendsRequest(), timeout=10)).total >= 0


@pytest.mark.parametrize("payload", [random.Random(8).randbytes(64), b"\xff" * 16, b"\x0a\xff\xff\xff\xff\x0f"], ids=["random", "ff", "bad-length"])
async def test_random_bytes_end_session(
    daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub, certs: certs_pb2_grpc.CertsStub, payload: bytes
) -> None:
    """Bytes that are no ClientStreamMessage end that session only; the backend shows disconnected."""
    identity = await enroll(backends, certs)
    async with raw_channel(daemon, identity) as channel:
        call = channel.stream_stream(PROCESS, request_serializer=None, response_deserializer=None)()
        await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
        await call.write(payload)
        code = await asyncio.wait_for(call.code(), 10)

    assert code == grpc.StatusCode.INVALID_ARGUMENT
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED)
    await assert_daemon_serves(daemon, backends)


async def test_empty_and_unknown_fields_keep_session(
    daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub, certs: certs_pb2_grpc.CertsStub
) -> None:
    """An empty oneof and unknown field numbers are counted and skipped, as a newer manager may send them."""
    identity = await enroll(backends, certs)
    async with raw_channel(daemon, identity) as channel:
        call = channel.stream_stream(PROCESS, request_serializer=None, response_deserializer=None)()
        await call.write(b"")  # no field of the oneof set
        await call.write(b"\xf8\x06\x01")  # field 111, varint 1: unknown to this daemon
        await call.write(b"\x0a\x00")  # agent_log with no fields
        await wait_until(lambda: len(daemon.events("manager_message_unknown")) >= 1)

        connection = await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
        await call.done_writing()

    assert connection.certificate_serial == identity.serial_number


async def test_oversized_message_is_resource_exhausted(
    daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub, certs: certs_pb2_grpc.CertsStub
) -> None:
    """A message over --max-message-size ends the session with RESOURCE_EXHAUSTED."""
    identity = await enroll(backends, certs)
    manager = ManagerClient(daemon.manager_address, identity)
    try:
        await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
        big = manager_pb2.ClientStreamMessage(
            agent_log=manager_pb2.AgentLog(message="x" * (MAX_MESSAGE_SIZE + 1), computation_id="c")
        )
        await manager.send(big)
        code = await manager.status()
    finally:
        await manager.close()

    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED)
    await assert_daemon_serves(daemon, backends)


async def test_unrequested_and_late_answers_are_ignored(
    daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub, certs: certs_pb2_grpc.CertsStub
) -> None:
    """Responses with ids no request carried, and responses after the request timed out, are logged and dropped."""
    identity = await enroll(backends, certs)
    manager = ManagerClient(daemon.manager_address, identity)
    try:
        await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
        for kind in ("nobody-asked", "other"):
            await manager.send(manager_pb2.ClientStreamMessage(svm_info=manager_pb2.SVMInfo(id=kind)))
            await manager.send(
                manager_pb2.ClientStreamMessage(attestationPolicy=manager_pb2.AttestationPolicy(id=kind, info=b"{}"))
            )
            await manager.send(manager_pb2.ClientStreamMessage(run_res=manager_pb2.RunResponse(computation_id=kind)))
            await manager.send(
                manager_pb2.ClientStreamMessage(
                    stopComputationRes=manager_pb2.StopComputationResponse(computation_id=kind)
                )
            )

        # --request-timeout is 1 s: the fetch times out, then the answer comes.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await backends.FetchSvmInfo(pb.FetchSvmInfoRequest(backend_id=identity.backend_id))
        request = await manager.read()
        await manager.send(manager_pb2.ClientStreamMessage(svm_info=manager_pb2.SVMInfo(id=request.svmInfoReq.id)))

        await wait_until(lambda: len(daemon.events("manager_response_unexpected")) >= 9)
        connection = await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
    finally:
        await manager.close()

    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert connection.certificate_serial == identity.serial_number
    await assert_daemon_serves(daemon, backends)


async def terminate_latency(
    daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub, certs: certs_pb2_grpc.CertsStub, trials: int
) -> float:
    """Return the median seconds of TerminateBackend over ``trials`` fresh sessions."""
    samples = []
    for _ in range(trials):
        identity = await enroll(backends, certs, address=f"10.1.0.{next(ADDRESS_SUFFIXES)}")
        manager = ManagerClient(daemon.manager_address, identity)
        try:
            await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
            started = time.perf_counter()
            await backends.TerminateBackend(
                pb.TerminateBackendRequest(id=identity.backend_id, type=pb.TERMINATION_TYPE_USER_INITIATED)
            )
            samples.append(time.perf_counter() - started)
        finally:
            await manager.close()
    return statistics.median(samples)


async def flood_logs(manager: ManagerClient, *, max_messages: int, max_seconds: float, stop: asyncio.Event) -> int:
    """Send agent logs as fast as the stream takes them, until ``stop``, the count or the time runs out."""
    deadline = time.monotonic() + max_seconds
    sent = 0
    message = manager_pb2.ClientStreamMessage(
        agent_log=manager_pb2.AgentLog(message="flood " * 20, computation_id="flood", level="info")
    )
    while sent < max_messages and time.monotonic() < deadline and not stop.is_set():
        await manager.send(message)
        sent += 1
    return sent


async def measure_under_flood(tmp_path: Path, trials: int) -> tuple[float, float, int]:
    """Return the median terminate latency without and with a flooding manager, and the logs it sent."""
    daemon = start_daemon(tmp_path / "data")
    try:
        async with secure_channel(daemon.api_address, daemon.ca_pem, daemon.admin_token) as channel:
            backends = backends_pb2_grpc.BackendsStub(channel)
            certs = certs_pb2_grpc.CertsStub(channel)
            await terminate_latency(daemon, backends, certs, 2)  # warm up
            quiet = await terminate_latency(daemon, backends, certs, trials)

            flooder_identity = await enroll(backends, certs, name="flooder", address="10.9.9.9")
            flooder = ManagerClient(daemon.manager_address, flooder_identity)
            stop = asyncio.Event()
            flood = asyncio.create_task(flood_logs(flooder, max_messages=500_000, max_seconds=120, stop=stop))
            try:
                await asyncio.sleep(0.5)
                loud = await terminate_latency(daemon, backends, certs, trials)
            finally:
                stop.set()
                sent = await flood
                await flooder.close()
            assert daemon.process.poll() is None
    finally:
        daemon.kill()
    return quiet, loud, sent


async def test_log_flood_keeps_daemon_serving(tmp_path: Path) -> None:
    """While one manager floods agent logs, others are still terminated, and the daemon stays up."""
    quiet, loud, sent = await measure_under_flood(tmp_path, trials=3)

    assert sent > 100
    # Functional check only: latency on a loaded 2-core machine varies too
    # much for a tight bound here; the slow variant below measures it.
    assert loud < max(10 * quiet, 2.0)


@pytest.mark.slow
async def test_log_flood_terminate_latency_within_20_percent(tmp_path: Path) -> None:
    """The median terminate latency of other sessions rises at most 20% (plus 20 ms of timer noise) in a flood."""
    quiet, loud, sent = await measure_under_flood(tmp_path, trials=15)

    assert sent > 1000
    assert loud <= quiet * 1.2 + 0.02, f"quiet median {quiet * 1000:.1f} ms, flooded median {loud * 1000:.1f} ms"
