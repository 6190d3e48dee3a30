"""Unary load client: ``python -m bench.load``; prints one JSON line with the call count, rate and latencies.

The same client drives the daemon and the bare baseline server, over TLS to
127.0.0.1, with ``--concurrency`` coroutines on one channel calling back to
back until ``--duration`` seconds pass (after ``--warmup`` seconds that are
not counted). Both bounds are enforced, so the load always stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc

from backendsd.proto.backendsd.v1 import backends_pb2, backends_pb2_grpc

MAX_CALLS_PER_CALLER = 1_000_000


def _call_factory(stub: Any, method: str, ids: list[str], metadata: tuple[tuple[str, str], ...]) -> Callable[[], Awaitable[Any]]:
    counter = itertools.count()
    run_tag = uuid.uuid4().hex[:8]
    if method == "get":
        return lambda: stub.GetBackend(backends_pb2.GetBackendRequest(id=random.choice(ids)), metadata=metadata)
    if method == "list":
        return lambda: stub.ListBackends(backends_pb2.ListBackendsRequest(limit=10), metadata=metadata)
    if method == "create":

        def create() -> Awaitable[Any]:
            number = next(counter)
            request = backends_pb2.CreateBackendRequest(
                name=f"created-{run_tag}-{number}",
                description="created by the benchmark",
                address=f"{run_tag}-{number}.bench.invalid",
            )
            return stub.CreateBackend(request, metadata=metadata)

        return create
    raise ValueError(f"unknown method {method!r}; use get, list or create")


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    ids = Path(args.ids_file).read_text().split() if args.ids_file else ["00000000-0000-4000-8000-000000000000"]
    credentials = grpc.ssl_channel_credentials(root_certificates=Path(args.ca).read_bytes())
    metadata = (("authorization", f"Bearer {args.token}"),)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    async with grpc.aio.secure_channel(args.target, credentials) as channel:
        stub = backends_pb2_grpc.BackendsStub(channel)  # type: ignore[no-untyped-call]
        call = _call_factory(stub, args.method, ids, metadata)
        started = time.monotonic()
        measure_from = started + args.warmup
        stop_at = measure_from + args.duration

        async def caller() -> None:
            for _ in range(MAX_CALLS_PER_CALLER):
                before = time.monotonic()
                if before >= stop_at:
                    return
                try:
                    await call()
                except grpc.aio.AioRpcError as error:
                    errors[error.code().name] = errors.get(error.code().name, 0) + 1
                    continue
                after = time.monotonic()
                if before >= measure_from and after <= stop_at:
                    latencies.append(after - before)

        await asyncio.gather(*(caller() for _ in range(args.concurrency)))
    latencies.sort()
    count = len(latencies)
    cpu = time.process_time()
    return {
        "method": args.method,
        "calls": count,
        "seconds": args.duration,
        "rate": count / args.duration,
        "errors": errors,
        "client_cpu_seconds": cpu,
        "p50_ms": latencies[count // 2] * 1000 if count else None,
        "p99_ms": latencies[min(count - 1, int(count * 0.99))] * 1000 if count else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--target", required=True, help="host:port of the server")
    parser.add_argument("--ca", required=True, help="CA certificate file of the server's TLS certificate")
    parser.add_argument("--token", default="none", help="bearer token")
    parser.add_argument("--method", required=True, choices=["get", "list", "create"])
    parser.add_argument("--ids-file", help="backend ids for get, one per line")
    parser.add_argument("--concurrency", type=int, default=64, help="callers running at once")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds that are measured")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring starts")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_run(args))))


if __name__ == "__main__":
    main()
