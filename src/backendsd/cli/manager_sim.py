"""The ``manager-sim`` command: simulated managers that dial a daemon's manager stream."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
from typing import Any

from backendsd.cli.flags import (
    Switch,
    add_logging_flags,
    env,
    integer_at_least,
    messages_per_second,
    port_number,
    positive_seconds,
    strictly_positive_seconds,
    switch_value,
)
from backendsd.log import configure_logging


def _server_address(text: str) -> Any:
    from backendsd.simulator.config import ServerAddress

    try:
        return ServerAddress.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _optional_path(flag: str, manager_variable: str) -> Path | None:
    """Return the default of a file flag: ``BACKENDSD_<FLAG>``, else the real manager's variable, else None."""
    value = env(flag, os.environ.get(manager_variable, ""))
    return Path(value) if value else None


def add_manager_sim_command(commands: Any) -> None:
    sim = commands.add_parser(
        "manager-sim",
        help="run simulated managers against a daemon",
        description="Dial the daemon's manager stream like a real manager and respond to its requests. "
        "Every flag falls back to BACKENDSD_<FLAG>. --url, --ca, --cert and --key then fall back to the "
        "real manager's variable named in their help.",
    )
    _add_manager_sim_connection_flags(sim)
    _add_manager_sim_behavior_flags(sim)
    sim.add_argument(
        "--report",
        type=Path,
        default=env("report", None),
        metavar="FILE",
        help="append one JSON line per notable event to FILE, flushed at once (default: no report)",
    )
    add_logging_flags(sim)
    sim.set_defaults(handler=_run_manager_sim)


def _add_manager_sim_connection_flags(sim: argparse.ArgumentParser) -> None:
    sim.add_argument(
        "--url",
        type=_server_address,
        default=env("url", os.environ.get("MANAGER_GRPC_URL", "localhost:7001")),
        metavar="HOST:PORT",
        help="address of the daemon's manager stream; falls back to MANAGER_GRPC_URL (default: %(default)s)",
    )
    sim.add_argument(
        "--ca",
        type=Path,
        default=_optional_path("ca", "MANAGER_GRPC_SERVER_CA_CERTS"),
        metavar="FILE",
        help="CA certificates that the daemon's certificate must chain to; "
        "falls back to MANAGER_GRPC_SERVER_CA_CERTS",
    )
    sim.add_argument(
        "--cert",
        type=Path,
        default=_optional_path("cert", "MANAGER_GRPC_CLIENT_CERT"),
        metavar="FILE",
        help="client certificate for mutual TLS; falls back to MANAGER_GRPC_CLIENT_CERT. "
        "Without --ca, --cert and --key the simulator dials in plaintext",
    )
    sim.add_argument(
        "--key",
        type=Path,
        default=_optional_path("key", "MANAGER_GRPC_CLIENT_KEY"),
        metavar="FILE",
        help="private key of --cert; falls back to MANAGER_GRPC_CLIENT_KEY",
    )
    sim.add_argument(
        "--server-name",
        default=env("server-name", None),
        metavar="NAME",
        help="name to check in the daemon's certificate (default: the host of --url)",
    )
    sim.add_argument(
        "--identities-dir",
        type=Path,
        default=env("identities-dir", None),
        metavar="DIR",
        help="open one session per subdirectory of DIR, each with cert.pem, key.pem and optionally "
        "ca.pem (else --ca); --cert and --key are then ignored",
    )
    sim.add_argument(
        "--count",
        type=integer_at_least(1),
        default=env("count", None),
        metavar="N",
        help="take at most N identities from --identities-dir, in name order (default: all)",
    )
    sim.add_argument(
        "--reconnect",
        action=Switch,
        type=switch_value,
        default=env("reconnect", False),
        help="dial again after a stream ends for any reason except Terminate, with backoff "
        "from 0.1 s doubling to 5 s, ±50%% jitter (default: exit when the sessions end)",
    )
    sim.add_argument(
        "--connect-timeout",
        type=strictly_positive_seconds,
        default=env("connect-timeout", "10"),
        metavar="SECONDS",
        help="seconds that one dial may take before it fails (default: %(default)s)",
    )
    sim.add_argument(
        "--keepalive",
        type=strictly_positive_seconds,
        default=env("keepalive", None),
        metavar="SECONDS",
        help="send an HTTP/2 keepalive ping every SECONDS " "(default: no pings, as real managers send none)",
    )


def _add_manager_sim_behavior_flags(sim: argparse.ArgumentParser) -> None:
    sim.add_argument(
        "--send-logs",
        type=integer_at_least(0),
        default=env("send-logs", "0"),
        metavar="N",
        help="send N AgentLog messages right after connecting (default: %(default)s)",
    )
    sim.add_argument(
        "--send-events",
        type=integer_at_least(0),
        default=env("send-events", "0"),
        metavar="N",
        help="send N AgentEvent messages right after connecting, after the logs (default: %(default)s)",
    )
    sim.add_argument(
        "--send-rate",
        type=messages_per_second,
        default=env("send-rate", "0"),
        metavar="R",
        help="agent logs and events per second; 0 sends them as fast as possible (default: %(default)s)",
    )
    sim.add_argument(
        "--computation-id",
        default=env("computation-id", "sim-computation"),
        metavar="ID",
        help="computation id of the agent logs and events (default: %(default)s)",
    )
    sim.add_argument(
        "--silent",
        action=Switch,
        type=switch_value,
        default=env("silent", False),
        help="send no response to any request, so that the manager looks wedged while its connection is fine",
    )
    sim.add_argument(
        "--answer-delay",
        type=positive_seconds,
        default=env("answer-delay", "0"),
        metavar="SECONDS",
        help="seconds to wait before responding to each request (default: %(default)s)",
    )
    sim.add_argument(
        "--stop-error",
        default=env("stop-error", ""),
        metavar="MESSAGE",
        help="respond to StopComputation with this error message (default: empty, the stop succeeds)",
    )
    sim.add_argument(
        "--attestation-policy",
        type=Path,
        default=env("attestation-policy", None),
        metavar="FILE",
        help="send the content of FILE as the attestation policy (default: a built-in JSON document)",
    )
    sim.add_argument(
        "--agent-port-base",
        type=port_number,
        default=env("agent-port-base", "7020"),
        metavar="PORT",
        help="agent port of the first run on a stream; the n-th run gets PORT+n (default: %(default)s)",
    )
    sim.add_argument(
        "--chunk-timeout",
        type=strictly_positive_seconds,
        default=env("chunk-timeout", "30"),
        metavar="SECONDS",
        help="drop a half-received run request after SECONDS without a chunk " "(default: %(default)s)",
    )


def _run_manager_sim(args: argparse.Namespace) -> int:
    # The simulator imports grpc, which the token commands do not need.
    from backendsd.simulator.behavior import DEFAULT_ATTESTATION_POLICY, Behavior
    from backendsd.simulator.config import SimulatorConfig
    from backendsd.simulator.errors import SimulatorSetupError, read_input_file
    from backendsd.simulator.runner import load_identities, run_simulator

    if args.count is not None and args.identities_dir is None:
        raise SimulatorSetupError("--count limits --identities-dir: set --identities-dir too")
    policy = DEFAULT_ATTESTATION_POLICY
    if args.attestation_policy is not None:
        policy = read_input_file(args.attestation_policy, "attestation policy file")

    behavior = Behavior(
        silent=args.silent,
        answer_delay=args.answer_delay,
        stop_error=args.stop_error,
        attestation_policy=policy,
        agent_port_base=args.agent_port_base,
        chunk_timeout=args.chunk_timeout,
        send_logs=args.send_logs,
        send_events=args.send_events,
        send_rate=args.send_rate,
        computation_id=args.computation_id,
    )
    config = SimulatorConfig(
        server=args.url,
        server_name=args.server_name,
        ca=args.ca,
        certificate=args.cert,
        private_key=args.key,
        identities_dir=args.identities_dir,
        count=args.count,
        reconnect=args.reconnect,
        connect_timeout=args.connect_timeout,
        keepalive=args.keepalive,
        report=args.report,
        behavior=behavior,
    )
    identities = load_identities(config)
    configure_logging(args.log_level, args.log_format)
    return asyncio.run(run_simulator(config, identities))
