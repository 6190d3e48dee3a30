"""Bare grpc.aio servers that serve as baselines: ``python -m bench.bare unary|bidi``.

``unary`` answers the management methods that B1 calls with canned responses
(the bytes the daemon answered the same request with), without decoding the
request: the least work grpc.aio can do for the same message sizes, over the
same TLS. ``bidi`` accepts ``manager.ManagerService/Process`` with mutual TLS
and the daemon's keepalive options and only reads each stream until it ends,
so it holds streams the way the daemon does minus everything backendsd adds.
With ``--count-file`` it also counts the messages it reads, as the ceiling
of log ingestion (B5).
Each prints ``{"port": N}`` once listening and serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

import grpc

from backendsd.log import configure_logging
from backendsd.looplag import LoopLagMonitor
from backendsd.managers.server import KeepaliveSettings

BACKENDS_SERVICE = "backendsd.v1.Backends"


def _unary_handler(responses: dict[str, bytes]) -> grpc.GenericRpcHandler:
    def make(canned: bytes) -> grpc.RpcMethodHandler:
        async def answer(request: bytes, context: Any) -> bytes:
            return canned

        return grpc.unary_unary_rpc_method_handler(answer)

    return grpc.method_handlers_generic_handler(
        BACKENDS_SERVICE, {method: make(body) for method, body in responses.items()}
    )


class MessageCount:
    """Open streams and the messages received on them; the count is written to a file every 50 ms for the harness."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.received = 0
        self.open_streams = 0

    async def write_forever(self) -> None:
        if self.path is None:
            return
        written = -1
        while True:
            if self.received != written:
                written = self.received
                # Write, then rename, so the harness never reads half a number.
                partial = self.path.with_suffix(".partial")
                partial.write_text(str(written))
                partial.replace(self.path)
            await asyncio.sleep(0.05)


def _bidi_handler(count: MessageCount) -> grpc.GenericRpcHandler:
    async def process(requests: Any, context: Any) -> Any:
        count.open_streams += 1
        try:
            async for _ in requests:
                count.received += 1
        finally:
            count.open_streams -= 1
        return
        yield b""  # an async generator that never yields: the stream ends when the client ends it

    return grpc.method_handlers_generic_handler(
        "manager.ManagerService", {"Process": grpc.stream_stream_rpc_method_handler(process)}
    )


async def _serve(args: argparse.Namespace) -> None:
    pki = Path(args.pki_dir)
    count = MessageCount(Path(args.count_file) if args.count_file else None)
    lag = LoopLagMonitor(report_interval=args.loop_lag_report, sessions=lambda: count.open_streams)
    key, certificate, ca = (pki / "server.key").read_bytes(), (pki / "server.pem").read_bytes(), (pki / "ca.pem").read_bytes()
    if args.mode == "unary":
        responses = {path.name: path.read_bytes() for path in Path(args.responses_dir).iterdir()}
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        server.add_generic_rpc_handlers((_unary_handler(responses),))
        credentials = grpc.ssl_server_credentials([(key, certificate)], root_certificates=ca, require_client_auth=args.mutual)
    else:
        keepalive = KeepaliveSettings(interval=args.keepalive_interval, timeout=args.keepalive_timeout)
        server = grpc.aio.server(options=[*keepalive.channel_options(), ("grpc.so_reuseport", 0)])
        server.add_generic_rpc_handlers((_bidi_handler(count),))
        credentials = grpc.ssl_server_credentials([(key, certificate)], root_certificates=ca, require_client_auth=True)
    port = server.add_secure_port(f"127.0.0.1:{args.port}", credentials)
    await server.start()
    print(json.dumps({"port": port}), flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    writer = asyncio.create_task(count.write_forever())
    if args.loop_lag_report > 0:
        lag.start()
    await stop.wait()
    await lag.stop()
    writer.cancel()
    await asyncio.gather(writer, return_exceptions=True)
    await server.stop(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare", description=__doc__)
    parser.add_argument("mode", choices=["unary", "bidi"])
    parser.add_argument("--pki-dir", required=True, help="directory with server.pem, server.key and ca.pem")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--responses-dir", help="unary: one file per method name with the canned response bytes")
    parser.add_argument("--mutual", action="store_true", help="unary: require a client certificate")
    parser.add_argument("--keepalive-interval", type=float, default=10.0)
    parser.add_argument("--keepalive-timeout", type=float, default=5.0)
    parser.add_argument(
        "--loop-lag-report", type=float, default=0.0, metavar="SECONDS",
        help="bidi: log the event loop's lag as JSON lines every SECONDS, like the daemon's flag (default: off)",
    )
    parser.add_argument("--count-file", help="bidi: file that contains the number of messages received so far")
    args = parser.parse_args()
    # Lag reports go to standard output, the log the harness reads.
    configure_logging("info", "json", sys.stdout)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
