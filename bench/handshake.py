"""TLS handshake rate: ``python -m bench.handshake``; prints one JSON line.

Opens ``--count`` channels with mutual TLS (the client key type of the given
certificate), ``--concurrency`` at a time, and waits until each is READY,
which takes the TCP connect, the TLS handshake and the HTTP/2 settings
exchange; then closes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import grpc

READY_TIMEOUT_SECONDS = 10.0


async def _run(args: argparse.Namespace) -> dict[str, float]:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=Path(args.ca).read_bytes(),
        private_key=Path(args.key).read_bytes(),
        certificate_chain=Path(args.cert).read_bytes(),
    )
    remaining = list(range(args.count))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        while remaining:
            remaining.pop()
            # A new subchannel pool per channel forces a new connection each time.
            options = [("grpc.use_local_subchannel_pool", 1)]
            async with grpc.aio.secure_channel(args.target, credentials, options=options) as channel:
                try:
                    await asyncio.wait_for(channel.channel_ready(), READY_TIMEOUT_SECONDS)
                except TimeoutError:
                    failures += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    elapsed = time.monotonic() - started
    return {"handshakes": args.count - failures, "failures": failures, "seconds": elapsed,
            "rate": (args.count - failures) / elapsed, "client_cpu_seconds": time.process_time()}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.handshake", description=__doc__)
    parser.add_argument("--target", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    print(json.dumps(asyncio.run(_run(parser.parse_args()))))


if __name__ == "__main__":
    main()
