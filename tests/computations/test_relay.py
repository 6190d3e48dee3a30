"""Requests relayed to managers: attestation policy, VM facts, run and stop."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, computations_pb2, computations_pb2_grpc
from backendsd.proto.manager import manager_pb2
from tests.helpers.daemon import DaemonProcess
from tests.helpers.manager import ConnectManager, ManagerIdentity
from tests.helpers.simulator import SimulatorProcess, identity_arguments, start_simulator
from tests.managers.test_sessions import wait_for_status

Stub = backends_pb2_grpc.BackendsStub
POLICY = {"policy": {"measurement": "00" * 48, "minimum_tcb": 4}}


@pytest.fixture
async def computations(admin_channel: grpc.aio.Channel) -> computations_pb2_grpc.ComputationsStub:
    return computations_pb2_grpc.ComputationsStub(admin_channel)


@pytest.fixture
async def simulated(
    tmp_path: Path, daemon: DaemonProcess, backends: Stub, identity: ManagerIdentity
) -> AsyncIterator[SimulatorProcess]:
    """A simulated manager for ``identity``, connected, responding like a real one."""
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(POLICY))
    manager = start_simulator(
        tmp_path / "simulator",
        *simulator_arguments(tmp_path, daemon, identity),
        "--attestation-policy",
        str(policy_file),
        "--stop-error",
        "computation unknown-c is not running",
    )
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
    yield manager
    manager.kill()


def simulator_arguments(tmp_path: Path, daemon: DaemonProcess, identity: ManagerIdentity) -> list[str]:
    return identity_arguments(identity.write(tmp_path / "manager"), daemon.manager_address)


async def test_attestation_policy_fetched_and_kept(
    backends: Stub, identity: ManagerIdentity, simulated: SimulatorProcess
) -> None:
    """The manager's bytes come back unchanged and stay visible in GetBackend after it disconnects."""
    fetched = await backends.FetchAttestationPolicy(pb.FetchAttestationPolicyRequest(backend_id=identity.backend_id))
    simulated.kill()
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED)

    stored = (await backends.GetBackend(pb.GetBackendRequest(id=identity.backend_id))).backend.information

    assert json.loads(fetched.info) == POLICY
    assert stored.attestation_policy == fetched.info
    assert stored.attestation_policy_fetched_at == fetched.fetched_at


async def test_svm_info_fetched_and_kept(backends: Stub, identity: ManagerIdentity, simulated: SimulatorProcess) -> None:
    fetched = await backends.FetchSvmInfo(pb.FetchSvmInfoRequest(backend_id=identity.backend_id))
    simulated.kill()
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_DISCONNECTED)

    stored = (await backends.GetBackend(pb.GetBackendRequest(id=identity.backend_id))).backend.information

    assert fetched.svm_info.cpu_num > 0
    assert fetched.svm_info.cpu_type
    assert stored.svm_info == fetched.svm_info
    assert stored.svm_info_fetched_at.seconds > 0


async def test_large_run_request_arrives_in_chunks(
    computations: computations_pb2_grpc.ComputationsStub, identity: ManagerIdentity, simulated: SimulatorProcess
) -> None:
    """A 5 MiB run request reaches the manager intact as several chunks and returns its port."""
    run_request = manager_pb2.ComputationRunReq(
        id="c-large", name="large", description="d" * (5 * 1024 * 1024), agent_config=manager_pb2.AgentConfig(port="7002")
    )

    response = await computations.RunComputation(
        computations_pb2.RunComputationRequest(backend_id=identity.backend_id, run_request=run_request)
    )

    reassembled = (await simulated.wait_for_report("run_request"))[0]
    assert response.agent_port.isdigit()
    assert reassembled["computation_id"] == "c-large"
    assert reassembled["size"] == run_request.ByteSize()
    assert reassembled["chunks"] == 6
    assert reassembled["request_id"] == "c-large"


async def test_stop_succeeds(
    computations: computations_pb2_grpc.ComputationsStub, identity: ManagerIdentity, tmp_path: Path, daemon: DaemonProcess, backends: Stub
) -> None:
    manager = start_simulator(tmp_path / "plain", *simulator_arguments(tmp_path, daemon, identity))
    try:
        await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)

        await computations.StopComputation(
            computations_pb2.StopComputationRequest(backend_id=identity.backend_id, computation_id="c1")
        )

        stops = await manager.wait_for_report("stop_received")
    finally:
        manager.kill()
    assert [s["computation_id"] for s in stops] == ["c1"]


async def test_stop_error_is_failed_precondition(
    computations: computations_pb2_grpc.ComputationsStub, identity: ManagerIdentity, simulated: SimulatorProcess
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await computations.StopComputation(
            computations_pb2.StopComputationRequest(backend_id=identity.backend_id, computation_id="unknown-c")
        )

    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "computation unknown-c is not running" in caught.value.details()


async def test_request_to_disconnected_backend_fails(backends: Stub, identity: ManagerIdentity) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.FetchSvmInfo(pb.FetchSvmInfoRequest(backend_id=identity.backend_id))

    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_unanswered_request_times_out(
    backends: Stub, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    """A manager that never responds makes the call fail with DEADLINE_EXCEEDED after the request's timeout."""
    await connect(identity)
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.FetchAttestationPolicy(
            pb.FetchAttestationPolicyRequest(backend_id=identity.backend_id, timeout=Duration(nanos=300_000_000))
        )

    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_call_deadline_bounds_wait(backends: Stub, identity: ManagerIdentity, connect: ConnectManager) -> None:
    """Without a timeout in the request, the call's own deadline bounds the wait."""
    await connect(identity)
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.FetchSvmInfo(pb.FetchSvmInfoRequest(backend_id=identity.backend_id), timeout=0.5)

    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_disconnect_while_waiting_is_unavailable(
    backends: Stub, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    client = await connect(identity)
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
    call = backends.FetchAttestationPolicy(pb.FetchAttestationPolicyRequest(backend_id=identity.backend_id))

    request = await client.read()
    assert request.WhichOneof("message") == "attestationPolicyReq"
    await client.close()

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_second_run_same_id_already_exists(
    computations: computations_pb2_grpc.ComputationsStub,
    backends: Stub,
    identity: ManagerIdentity,
    connect: ConnectManager,
) -> None:
    """While a run waits for its response, another run of the same computation id is ALREADY_EXISTS."""
    client = await connect(identity)
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
    request = computations_pb2.RunComputationRequest(
        backend_id=identity.backend_id, run_request=manager_pb2.ComputationRunReq(id="same")
    )
    first = computations.RunComputation(request)
    chunk = await client.read()
    assert chunk.runReqChunks.is_last

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await computations.RunComputation(request)

    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    await client.send(
        manager_pb2.ClientStreamMessage(run_res=manager_pb2.RunResponse(agent_port="7100", computation_id="same"))
    )
    assert (await first).agent_port == "7100"


async def test_answers_out_of_order_reach_their_requests(
    backends: Stub, identity: ManagerIdentity, connect: ConnectManager
) -> None:
    """Two waiting requests get their own answers when the manager answers in reverse order."""
    client = await connect(identity)
    await wait_for_status(backends, identity.backend_id, pb.CONNECTION_STATUS_CONNECTED)
    first = backends.FetchAttestationPolicy(pb.FetchAttestationPolicyRequest(backend_id=identity.backend_id))
    first_request = await client.read()
    second = backends.FetchAttestationPolicy(pb.FetchAttestationPolicyRequest(backend_id=identity.backend_id))
    second_request = await client.read()

    for request, body in ((second_request, b"second"), (first_request, b"first")):
        await client.send(
            manager_pb2.ClientStreamMessage(
                attestationPolicy=manager_pb2.AttestationPolicy(id=request.attestationPolicyReq.id, info=body)
            )
        )

    assert (await first).info == b"first"
    assert (await second).info == b"second"


async def test_run_without_computation_id_is_invalid(
    computations: computations_pb2_grpc.ComputationsStub, identity: ManagerIdentity
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await computations.RunComputation(
            computations_pb2.RunComputationRequest(backend_id=identity.backend_id, run_request=manager_pb2.ComputationRunReq())
        )

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_viewer_cannot_run(daemon: DaemonProcess, viewer_token: str, identity: ManagerIdentity) -> None:
    from tests.helpers.client import secure_channel

    async with secure_channel(daemon.api_address, daemon.ca_pem, viewer_token) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await computations_pb2_grpc.ComputationsStub(channel).RunComputation(
                computations_pb2.RunComputationRequest(
                    backend_id=identity.backend_id, run_request=manager_pb2.ComputationRunReq(id="c")
                )
            )

    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
