"""``backendsd manager-sim`` as a subprocess against a test server that plays the daemon."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import grpc

from backendsd.proto.manager import manager_pb2
from tests.helpers.pki import make_ca, make_client_certificate
from tests.simulator.conftest import CLIENT_NAME, SimulatorStarter, SimulatorPki
from tests.simulator.stream_server import StreamServer

TERMINATED_LINE = "manager service terminated: server requested client termination"
MIB = 1024 * 1024
QUIET_SECONDS = 0.5


def svm_info_request(request_id: str) -> manager_pb2.ServerStreamMessage:
    return manager_pb2.ServerStreamMessage(svmInfoReq=manager_pb2.SVMInfoReq(id=request_id))


def policy_request(request_id: str) -> manager_pb2.ServerStreamMessage:
    return manager_pb2.ServerStreamMessage(attestationPolicyReq=manager_pb2.AttestationPolicyReq(id=request_id))


def stop_request(computation_id: str) -> manager_pb2.ServerStreamMessage:
    return manager_pb2.ServerStreamMessage(stopComputation=manager_pb2.StopComputation(computation_id=computation_id))


def terminate_request(message: str) -> manager_pb2.ServerStreamMessage:
    return manager_pb2.ServerStreamMessage(terminateReq=manager_pb2.Terminate(message=message))


def run_request_chunks(
    request: manager_pb2.ComputationRunReq, chunk_size: int = MIB
) -> list[manager_pb2.ServerStreamMessage]:
    """Cut a serialized run request into chunks the way the daemon does."""
    data = request.SerializeToString()
    pieces = [data[start : start + chunk_size] for start in range(0, len(data), chunk_size)]
    return [
        manager_pb2.ServerStreamMessage(
            runReqChunks=manager_pb2.RunReqChunks(data=piece, id=request.id, is_last=index == len(pieces) - 1)
        )
        for index, piece in enumerate(pieces)
    ]


async def test_connect_sends_nothing(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """A manager sends nothing on connect and presents its client certificate."""
    process = simulator()

    stream = await stream_server.next_stream()
    await process.wait_for_report("connected")

    assert await stream.receive_quietly(QUIET_SECONDS) == []
    assert stream.client_common_name == CLIENT_NAME


async def test_svm_info_echoes_id(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """SVMInfoReq gets SVMInfo with the same id and the fixed CPU type."""
    process = simulator()
    stream = await stream_server.next_stream()

    stream.send(svm_info_request("svm-1"))
    answer = await stream.receive()

    assert answer.WhichOneof("message") == "svm_info"
    assert answer.svm_info.id == "svm-1"
    assert answer.svm_info.cpu_type == "EPYC-v4"
    assert answer.svm_info.cpu_num > 0
    received = await process.wait_for_report("request_received")
    assert received[0]["type"] == "svmInfoReq"
    assert received[0]["id"] == "svm-1"


async def test_attestation_policy_default(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """AttestationPolicyReq gets the built-in JSON policy with the same id."""
    simulator()
    stream = await stream_server.next_stream()

    stream.send(policy_request("policy-7"))
    answer = await stream.receive()

    assert answer.attestationPolicy.id == "policy-7"
    assert "policy" in json.loads(answer.attestationPolicy.info)


async def test_attestation_policy_from_file(
    simulator: SimulatorStarter, stream_server: StreamServer, tmp_path: Path
) -> None:
    """--attestation-policy sends the file's bytes unchanged."""
    policy_file = tmp_path / "policy.json"
    policy_file.write_bytes(b'{"policy": {"measurement": "ab"}}')
    simulator("--attestation-policy", str(policy_file))
    stream = await stream_server.next_stream()

    stream.send(policy_request("p"))
    answer = await stream.receive()

    assert answer.attestationPolicy.info == policy_file.read_bytes()


async def test_run_request_reassembled(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """A 3 MiB run request in 1 MiB chunks gets the first agent port, the next request the second."""
    process = simulator()
    stream = await stream_server.next_stream()
    big = manager_pb2.ComputationRunReq(id="comp-big", name="big", description="x" * (3 * MIB))
    chunks = run_request_chunks(big)

    for chunk in chunks:
        stream.send(chunk)
    first = await stream.receive()
    for chunk in run_request_chunks(manager_pb2.ComputationRunReq(id="comp-small", name="small")):
        stream.send(chunk)
    second = await stream.receive()

    assert len(chunks) == 4  # 3 MiB of description plus the other fields' few bytes
    assert first.run_res.computation_id == "comp-big"
    assert first.run_res.agent_port == "7020"
    assert second.run_res.computation_id == "comp-small"
    assert second.run_res.agent_port == "7021"
    reassembled = (await process.wait_for_report("run_request", count=2))[0]
    assert reassembled["computation_id"] == "comp-big"
    assert reassembled["size"] == big.ByteSize()
    assert reassembled["chunks"] == 4


async def test_run_request_partial_dropped(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """A run request whose chunks stop coming is dropped after --chunk-timeout without a response."""
    process = simulator("--chunk-timeout", "0.3")
    stream = await stream_server.next_stream()
    chunks = run_request_chunks(manager_pb2.ComputationRunReq(id="comp-stalled", description="y" * 3000), 1000)

    stream.send(chunks[0])
    dropped = await process.wait_for_report("run_request_dropped")

    assert dropped[0]["computation_id"] == "comp-stalled"
    assert dropped[0]["chunks"] == 1
    assert await stream.receive_quietly(QUIET_SECONDS) == []


async def test_stop_succeeds(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """StopComputation gets a response with the computation id and an empty message."""
    process = simulator()
    stream = await stream_server.next_stream()

    stream.send(stop_request("comp-1"))
    answer = await stream.receive()

    assert answer.stopComputationRes.computation_id == "comp-1"
    assert answer.stopComputationRes.message == ""
    stops = await process.wait_for_report("stop_received")
    assert stops[0]["computation_id"] == "comp-1"


async def test_stop_error(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """--stop-error puts its message into every StopComputationResponse."""
    simulator("--stop-error", "computation not found")
    stream = await stream_server.next_stream()

    stream.send(stop_request("comp-2"))
    answer = await stream.receive()

    assert answer.stopComputationRes.computation_id == "comp-2"
    assert answer.stopComputationRes.message == "computation not found"


async def test_answer_delay(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """--answer-delay delays every response by that many seconds."""
    simulator("--answer-delay", "1")
    stream = await stream_server.next_stream()

    stream.send(svm_info_request("slow"))

    assert await stream.receive_quietly(0.7) == []
    assert (await stream.receive()).svm_info.id == "slow"


async def test_terminate_exits_zero(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """Terminate makes the manager log the real manager's line and exit 0, without redialing."""
    process = simulator("--reconnect")
    stream = await stream_server.next_stream()

    stream.send(terminate_request("backend deleted"))
    status = await process.wait_for_exit()

    assert status == 0
    logged = process.log_records(TERMINATED_LINE)
    assert len(logged) == 1
    assert logged[0]["message"] == "backend deleted"
    assert process.report("terminated")[0]["message"] == "backend deleted"
    assert await stream_server.no_new_stream(QUIET_SECONDS)


async def test_silent_sends_no_answers(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """--silent receives and reports requests but responds to none of them."""
    process = simulator("--silent")
    stream = await stream_server.next_stream()

    stream.send(svm_info_request("s1"))
    stream.send(policy_request("p1"))
    stream.send(stop_request("c1"))
    for chunk in run_request_chunks(manager_pb2.ComputationRunReq(id="c2")):
        stream.send(chunk)
    await process.wait_for_report("request_received", count=4)

    assert await stream.receive_quietly(QUIET_SECONDS) == []


async def test_send_logs_and_events(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """--send-logs and --send-events deliver that many messages, logs first, levels cycling."""
    simulator("--send-logs", "5", "--send-events", "2", "--computation-id", "comp-logs")
    stream = await stream_server.next_stream()

    messages = [await stream.receive() for _ in range(7)]

    kinds = [message.WhichOneof("message") for message in messages]
    assert kinds == ["agent_log"] * 5 + ["agent_event"] * 2
    assert [message.agent_log.level for message in messages[:5]] == ["debug", "info", "warn", "error", "debug"]
    assert {message.agent_log.computation_id for message in messages[:5]} == {"comp-logs"}
    assert json.loads(messages[5].agent_event.details)["sequence"] == 0
    assert messages[6].agent_event.computation_id == "comp-logs"
    assert await stream.receive_quietly(QUIET_SECONDS) == []


async def test_identities_dir_stream_each(
    simulator: SimulatorStarter, stream_server: StreamServer, pki: SimulatorPki, tmp_path: Path
) -> None:
    """--identities-dir opens one stream per identity, with that identity's certificate; --count limits them."""
    identities = tmp_path / "identities"
    for name in ("backend-a", "backend-b", "backend-c", "backend-d"):
        make_client_certificate(pki.ca, name).write(identities / name)
    process = simulator("--identities-dir", str(identities), "--ca", str(pki.ca_path), "--count", "3", identity=False)

    streams = [await stream_server.next_stream() for _ in range(3)]

    assert {stream.client_common_name for stream in streams} == {"backend-a", "backend-b", "backend-c"}
    assert await stream_server.no_new_stream(QUIET_SECONDS)
    connected = await process.wait_for_report("connected", count=3)
    assert {line["session"] for line in connected} == {"backend-a", "backend-b", "backend-c"}


async def test_reconnect_after_error(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """--reconnect dials again after the server ends the stream with an error."""
    process = simulator("--reconnect")
    first = await stream_server.next_stream()

    first.end(grpc.StatusCode.UNAVAILABLE, "daemon restarting")
    second = await stream_server.next_stream()
    second.send(terminate_request("done"))

    assert await process.wait_for_exit() == 0
    # On a loaded machine the report may hold other ends too (a slow first
    # dial, the final Terminate), so look for the error end among them.
    ends = [(line["code"], line["details"]) for line in process.report("disconnected")]
    assert ("UNAVAILABLE", "daemon restarting") in ends
    assert len(process.report("connected")) >= 2


async def test_server_close_exits_one(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """Without --reconnect, a stream that the server closes with OK ends the process with status 1."""
    process = simulator()
    stream = await stream_server.next_stream()

    stream.end()

    assert await process.wait_for_exit() == 1
    assert process.report("disconnected")[0]["reason"] == "server_closed"


async def test_empty_message_exits_one(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """A server message with no oneof field set is fatal, as for a real manager."""
    process = simulator()
    stream = await stream_server.next_stream()

    stream.send(manager_pb2.ServerStreamMessage())

    assert await process.wait_for_exit() == 1
    assert len(process.log_records("server_message_unknown")) == 1


async def test_sigterm_exits_zero(simulator: SimulatorStarter, stream_server: StreamServer) -> None:
    """SIGTERM closes the stream and exits 0."""
    process = simulator()
    stream = await stream_server.next_stream()
    await process.wait_for_report("connected")

    process.send_signal(signal.SIGTERM)

    assert await process.wait_for_exit() == 0
    assert process.report("disconnected")[0]["reason"] == "stopped"
    await asyncio.wait_for(stream.ended.wait(), timeout=5)


async def test_foreign_certificate_exits_one(
    simulator: SimulatorStarter, stream_server: StreamServer, pki: SimulatorPki, tmp_path: Path
) -> None:
    """A client certificate from another CA is rejected in the handshake: no stream, exit status 1."""
    make_client_certificate(make_ca("other CA"), "stranger").write(tmp_path / "stranger")
    process = simulator(
        "--ca",
        str(pki.ca_path),
        "--cert",
        str(tmp_path / "stranger" / "cert.pem"),
        "--key",
        str(tmp_path / "stranger" / "key.pem"),
        identity=False,
    )

    assert await process.wait_for_exit() == 1
    assert process.report("connect_failed")[0]["code"] == "UNAVAILABLE"
    assert process.report("connected") == []
    assert await stream_server.no_new_stream(0)
