"""Responses of a simulated manager to the daemon, and the agent output that it sends unasked."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp

from backendsd.proto.manager import manager_pb2

# A plausible SEV-SNP attestation policy with an all-zero launch measurement.
# Policy 0x30000 sets bit 17 (reserved, must be 1) and bit 16 (SMT allowed).
DEFAULT_ATTESTATION_POLICY = json.dumps(
    {
        "policy": {
            "policy": 0x30000,
            "measurement": "00" * 48,
            "minimum_guest_svn": 0,
            "require_author_key": False,
        },
        "root_of_trust": {"product_line": "Milan", "check_crl": False},
    },
    indent=2,
).encode()

AGENT_LOG_LEVELS = ("debug", "info", "warn", "error")


@dataclass(frozen=True)
class Behavior:
    """Responses and agent output of a simulated manager, the same for every session of a process."""

    silent: bool = False
    """Send no response at all, so that the manager looks wedged while its transport is fine."""

    answer_delay: float = 0.0
    """Seconds between receiving a request and sending its response."""

    stop_error: str = ""
    """Error message of every StopComputationResponse; empty means the stop succeeded."""

    attestation_policy: bytes = DEFAULT_ATTESTATION_POLICY
    """Body of AttestationPolicy.info: a JSON attestation policy document."""

    agent_port_base: int = 7020
    """RunResponse.agent_port of the first run on a stream; the n-th run (from 0) gets this plus n."""

    chunk_timeout: float = 30.0
    """Seconds without a new chunk after which a half-received run request is dropped."""

    send_logs: int = 0
    """Number of AgentLog messages sent right after connecting."""

    send_events: int = 0
    """Number of AgentEvent messages sent right after connecting, after the logs."""

    send_rate: float = 0.0
    """Agent logs and events per second; 0 sends them as fast as the stream accepts them."""

    computation_id: str = "sim-computation"
    """Computation id of the agent logs and events."""


def svm_info_answer(request_id: str) -> manager_pb2.ClientStreamMessage:
    """Build the SVMInfo response: fixed firmware and kernel facts, and this host's CPU count."""
    return manager_pb2.ClientStreamMessage(
        svm_info=manager_pb2.SVMInfo(
            id=request_id,
            ovmf_version="edk2-stable202408",
            cpu_num=os.cpu_count() or 1,
            cpu_type="EPYC-v4",
            kernel_cmd="quiet console=null",
            eos_version="v0.4.0",
        )
    )


def attestation_policy_answer(request_id: str, policy: bytes) -> manager_pb2.ClientStreamMessage:
    return manager_pb2.ClientStreamMessage(attestationPolicy=manager_pb2.AttestationPolicy(info=policy, id=request_id))


def stop_answer(computation_id: str, error: str) -> manager_pb2.ClientStreamMessage:
    return manager_pb2.ClientStreamMessage(
        stopComputationRes=manager_pb2.StopComputationResponse(computation_id=computation_id, message=error)
    )


def run_answer(computation_id: str, agent_port: int) -> manager_pb2.ClientStreamMessage:
    return manager_pb2.ClientStreamMessage(
        run_res=manager_pb2.RunResponse(agent_port=str(agent_port), computation_id=computation_id)
    )


def agent_log(sequence: int, computation_id: str) -> manager_pb2.ClientStreamMessage:
    """Build the ``sequence``-th agent log line; levels cycle through debug, info, warn and error."""
    level = AGENT_LOG_LEVELS[sequence % len(AGENT_LOG_LEVELS)]
    return manager_pb2.ClientStreamMessage(
        agent_log=manager_pb2.AgentLog(
            message=f"simulated agent log line {sequence}",
            computation_id=computation_id,
            level=level,
            timestamp=_now(),
        )
    )


def agent_event(sequence: int, computation_id: str) -> manager_pb2.ClientStreamMessage:
    """Build the ``sequence``-th agent event, with a small JSON document as its details."""
    details = json.dumps({"sequence": sequence, "simulated": True}).encode()
    return manager_pb2.ClientStreamMessage(
        agent_event=manager_pb2.AgentEvent(
            event_type="vm-provision",
            timestamp=_now(),
            computation_id=computation_id,
            details=details,
            originator="manager",
            status="in-progress",
        )
    )


def _now() -> Timestamp:
    timestamp = Timestamp()
    timestamp.GetCurrentTime()
    return timestamp
