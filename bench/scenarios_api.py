"""B1 (unary throughput) and B4 (terminate latency): the management API against a bare grpc.aio server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import grpc

from bench.context import Context, parse_log_time, report_lines
from bench.processes import Daemon, python_command, run_json, wait_until
from bench.procs import CpuMeter
from bench.stats import Spread, percentile
from backendsd.proto.backendsd.v1 import backends_pb2, backends_pb2_grpc, certs_pb2, certs_pb2_grpc

B1_METHODS = {"get": ("GetBackend", 0.80), "list": ("ListBackends", 0.60), "create": ("CreateBackend", 0.50)}
LOAD_TIMEOUT_SECONDS = 120.0
CALL_TIMEOUT_SECONDS = 10.0


def _channel(daemon: Daemon) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(root_certificates=daemon.ca_path.read_bytes())
    return grpc.secure_channel(daemon.api_address, credentials)


def _metadata(daemon: Daemon) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {daemon.admin_token}"),)


def _capture_responses(daemon: Daemon, backend_id: str, directory: Path) -> None:
    """Store the daemon's serialized answer of each B1 method, for the bare server to send back."""
    directory.mkdir()
    with _channel(daemon) as channel:
        stub = backends_pb2_grpc.BackendsStub(channel)  # type: ignore[no-untyped-call]
        metadata = _metadata(daemon)
        answers = {
            "GetBackend": stub.GetBackend(backends_pb2.GetBackendRequest(id=backend_id), metadata=metadata),
            "ListBackends": stub.ListBackends(backends_pb2.ListBackendsRequest(limit=10), metadata=metadata),
            "CreateBackend": stub.CreateBackend(
                backends_pb2.CreateBackendRequest(name="canned", description="benchmark backend", address="canned.invalid"),
                metadata=metadata,
            ),
        }
    for method, answer in answers.items():
        (directory / method).write_bytes(answer.SerializeToString())


def _load(ctx: Context, target: str, ca: Path, token: str, method: str, ids_file: Path, *, concurrency: int,
          seconds: float, warmup: float) -> dict[str, Any]:
    command = python_command(
        "-m", "bench.load", "--target", target, "--ca", str(ca), "--token", token, "--method", method,
        "--ids-file", str(ids_file), "--concurrency", str(concurrency), "--duration", str(seconds),
        "--warmup", str(warmup),
    )
    result: dict[str, Any] = run_json(command, LOAD_TIMEOUT_SECONDS)
    return result


def run_b1(ctx: Context) -> dict[str, Any]:
    sizes = ctx.sizes
    directory = ctx.fresh_dir("b1")
    provisioned = ctx.provision(directory, backends=sizes.b1_stored_backends, identities=0)
    ids_file = directory / "ids.txt"
    ids_file.write_text("\n".join(provisioned.backend_ids))
    daemon = ctx.daemon(directory)
    _capture_responses(daemon, provisioned.backend_ids[0], directory / "responses")
    bare, bare_port = ctx.bare_server(
        directory, "unary", "--pki-dir", str(daemon.data_dir / "pki"), "--responses-dir", str(directory / "responses")
    )
    load = dict(concurrency=sizes.b1_concurrency, seconds=sizes.b1_seconds, warmup=sizes.b1_warmup)

    figures: dict[str, Any] = {}
    for method, (rpc, target_ratio) in B1_METHODS.items():
        runs: dict[str, list[float]] = {"daemon": [], "bare": [], "ratio": [], "server_cpu": [], "client_cpu": []}
        errors: dict[str, int] = {}
        for _ in range(sizes.repeats):
            meter = CpuMeter([daemon.pid]).start()
            ours = _load(ctx, daemon.api_address, daemon.ca_path, daemon.admin_token, method, ids_file, **load)
            runs["server_cpu"].append(meter.cores())
            runs["client_cpu"].append(ours["client_cpu_seconds"] / (sizes.b1_seconds + sizes.b1_warmup))
            base = _load(ctx, f"127.0.0.1:{bare_port}", daemon.ca_path, "none", method, ids_file, **load)
            for code, count in ours["errors"].items():
                errors[code] = errors.get(code, 0) + count
            runs["daemon"].append(ours["rate"])
            runs["bare"].append(base["rate"])
            runs["ratio"].append(ours["rate"] / base["rate"] if base["rate"] else 0.0)
        figures[rpc] = {
            "calls_per_second": Spread.of(runs["daemon"]).as_dict(),
            "baseline_calls_per_second": Spread.of(runs["bare"]).as_dict(),
            "ratio": Spread.of(runs["ratio"]).as_dict(),
            "server_cpu_cores": Spread.of(runs["server_cpu"]).as_dict(),
            "client_cpu_cores": Spread.of(runs["client_cpu"]).as_dict(),
            "target_ratio": target_ratio,
            "met": Spread.of(runs["ratio"]).median >= target_ratio,
            "errors": errors,
        }
    ctx.forget(bare)
    ctx.forget(daemon.managed)
    return {"sizes": {"stored_backends": sizes.b1_stored_backends, **load}, "methods": figures}


def run_b4(ctx: Context) -> dict[str, Any]:
    sizes = ctx.sizes
    directory = ctx.fresh_dir("b4")
    provisioned = ctx.provision(directory, backends=sizes.b4_sessions, identities=sizes.b4_sessions)
    daemon = ctx.daemon(directory)
    identities = provisioned.identities
    sims = ctx.simulators(directory, identities, daemon.manager_address, daemon.ca_path)
    if not wait_until(lambda: len(daemon.events("manager_connected")) >= len(identities), 120, 0.5):
        raise RuntimeError(f"only {len(daemon.events('manager_connected'))} of {len(identities)} sessions connected")

    terminate_targets = identities[: sizes.b4_trials]
    revoke_targets = identities[sizes.b4_trials : 2 * sizes.b4_trials]
    started: dict[str, tuple[str, float]] = {}
    with _channel(daemon) as channel:
        backends = backends_pb2_grpc.BackendsStub(channel)  # type: ignore[no-untyped-call]
        certs = certs_pb2_grpc.CertsStub(channel)  # type: ignore[no-untyped-call]
        metadata = _metadata(daemon)
        for identity in terminate_targets:
            started[identity.directory.name] = ("terminate", time.time())
            backends.TerminateBackend(
                backends_pb2.TerminateBackendRequest(
                    id=identity.backend_id, type=backends_pb2.TERMINATION_TYPE_USER_INITIATED
                ),
                metadata=metadata,
                timeout=CALL_TIMEOUT_SECONDS,
            )
        for identity in revoke_targets:
            started[identity.directory.name] = ("revoke", time.time())
            certs.RevokeCertificate(
                certs_pb2.RevokeCertificateRequest(
                    serial_number=identity.serial, reason=certs_pb2.REVOCATION_REASON_KEY_COMPROMISE
                ),
                metadata=metadata,
                timeout=CALL_TIMEOUT_SECONDS,
            )

    def received() -> dict[str, float]:
        times = {}
        for index in range(len(sims)):
            for line in report_lines(directory / f"sim-{index}.report"):
                if line["event"] == "terminated":
                    times[line["session"]] = parse_log_time(line["time"])
        return times

    wait_until(lambda: len(received()) >= len(started), 30, 0.2)
    arrivals = received()
    latencies: dict[str, list[float]] = {"terminate": [], "revoke": []}
    for session, (kind, at) in started.items():
        if session in arrivals:
            latencies[kind].append((arrivals[session] - at) * 1000)

    # Baseline: a no-op unary round trip on the same machine, one call at a time.
    _capture_responses(daemon, identities[-1].backend_id, directory / "responses")
    bare, bare_port = ctx.bare_server(
        directory, "unary", "--pki-dir", str(daemon.data_dir / "pki"), "--responses-dir", str(directory / "responses")
    )
    ids_file = directory / "ids.txt"
    ids_file.write_text(identities[-1].backend_id)
    round_trip = _load(ctx, f"127.0.0.1:{bare_port}", daemon.ca_path, "none", "get", ids_file,
                       concurrency=1, seconds=max(1.0, sizes.b1_seconds / 2), warmup=0.2)
    ctx.forget(bare, *sims, daemon.managed)

    result: dict[str, Any] = {
        "sizes": {"sessions": sizes.b4_sessions, "trials_each": sizes.b4_trials},
        "baseline_round_trip_ms": {"p50": round_trip["p50_ms"], "p99": round_trip["p99_ms"]},
        "target_p99_ms": 50.0,
    }
    for kind, values in latencies.items():
        result[kind] = {
            "received": len(values),
            "sent": sum(1 for k, _ in started.values() if k == kind),
            "p50_ms": percentile(values, 0.5) if values else None,
            "p99_ms": percentile(values, 0.99) if values else None,
            "max_ms": max(values) if values else None,
            "ratio_p99_to_round_trip": (percentile(values, 0.99) / round_trip["p99_ms"]) if values else None,
            "met": bool(values) and len(values) == sizes.b4_trials and percentile(values, 0.99) <= 50.0,
        }
    return result
