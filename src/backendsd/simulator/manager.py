"""A simulated manager: dials the daemon, serves one stream, and dials again if asked to."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
import structlog

from backendsd.proto.manager import manager_pb2_grpc
from backendsd.simulator.backoff import Backoff
from backendsd.simulator.config import SimulatorConfig
from backendsd.simulator.identity import Identity
from backendsd.simulator.report import Reporter
from backendsd.simulator.stream import ManagerStream, StreamEnd, StreamOutcome

logger = structlog.get_logger(__name__)

# A stream that stayed open this long counts as healthy, so the next redial
# starts again from the shortest delay. Shorter streams (a daemon that
# accepts and then rejects the manager) keep the delays growing.
HEALTHY_STREAM_SECONDS = 5.0

KEEPALIVE_TIMEOUT_MS = 20_000


class SimulatedManager:
    """One simulated backend: a TLS identity, its own channel per dial, and one stream at a time."""

    def __init__(self, *, identity: Identity, config: SimulatorConfig, reporter: Reporter) -> None:
        self._identity = identity
        self._config = config
        self._reporter = reporter

    @property
    def name(self) -> str:
        return self._identity.name

    async def run(self) -> StreamOutcome:
        """Serve streams until Terminate, or until the first stream ends when reconnecting is off."""
        structlog.contextvars.bind_contextvars(session=self.name)
        backoff = Backoff()
        while True:
            started = time.monotonic()
            end = await self._run_once()
            if end.outcome is StreamOutcome.TERMINATED or not self._config.reconnect:
                return end.outcome

            if time.monotonic() - started >= HEALTHY_STREAM_SECONDS:
                backoff.reset()
            delay = backoff.next_delay()
            logger.info("reconnect_scheduled", delay_seconds=round(delay, 3))
            await asyncio.sleep(delay)

    async def _run_once(self) -> StreamEnd:
        """Dial on a new channel, serve the stream until it ends, and close the channel."""
        channel = self._open_channel()
        try:
            stub = manager_pb2_grpc.ManagerServiceStub(channel)  # type: ignore[no-untyped-call]
            call = stub.Process(wait_for_ready=False)
            connect_failure = await self._wait_for_connection(call)
            if connect_failure is not None:
                self._report_connect_failure(connect_failure)
                return connect_failure

            logger.info("manager_connected", server=str(self._config.server))
            self._reporter.write(self.name, "connected", server=str(self._config.server))
            stream = ManagerStream(
                call=call, session=self.name, behavior=self._config.behavior, reporter=self._reporter
            )
            try:
                end = await stream.run()
            except asyncio.CancelledError:
                self._report_disconnected(StreamEnd(StreamOutcome.STOPPED, "stopped"), stream.sent_counts)
                raise
            self._report_disconnected(end, stream.sent_counts)
            return end
        finally:
            await channel.close(grace=None)

    async def _wait_for_connection(self, call: Any) -> StreamEnd | None:
        """Wait until the call is on a connected transport; return why it is not, or None."""
        try:
            await asyncio.wait_for(call.wait_for_connection(), timeout=self._config.connect_timeout)
        except grpc.aio.AioRpcError as error:
            return StreamEnd(StreamOutcome.FAILED, "connect_failed", error.code().name, error.details() or "")
        except TimeoutError:
            call.cancel()
            details = f"connection timed out after {self._config.connect_timeout} s"
            return StreamEnd(StreamOutcome.FAILED, "connect_timeout", grpc.StatusCode.DEADLINE_EXCEEDED.name, details)
        return None

    def _report_connect_failure(self, end: StreamEnd) -> None:
        fields = {"reason": end.reason, "code": end.code, "details": end.details}
        logger.warning("manager_connect_failed", server=str(self._config.server), **fields)
        self._reporter.write(self.name, "connect_failed", server=str(self._config.server), **fields)

    def _report_disconnected(self, end: StreamEnd, sent: dict[str, int]) -> None:
        fields = {"reason": end.reason, "code": end.code, "details": end.details, "sent": sent}
        if end.outcome is not StreamOutcome.FAILED:
            logger.info("manager_disconnected", **fields)
        else:
            logger.warning("manager_disconnected", **fields)
        self._reporter.write(self.name, "disconnected", **fields)

    def _open_channel(self) -> Any:
        target = str(self._config.server)
        options = self._channel_options()
        if not self._identity.uses_tls:
            return grpc.aio.insecure_channel(target, options=options)
        credentials = grpc.ssl_channel_credentials(
            root_certificates=self._identity.ca_pem,
            private_key=self._identity.private_key_pem,
            certificate_chain=self._identity.certificate_pem,
        )
        return grpc.aio.secure_channel(target, credentials, options=options)

    def _channel_options(self) -> list[tuple[str, Any]]:
        # A private subchannel pool gives every session its own connection,
        # as separate backends have, even when two identities look alike.
        options: list[tuple[str, Any]] = [("grpc.use_local_subchannel_pool", 1)]
        if self._config.server_name:
            options.append(("grpc.ssl_target_name_override", self._config.server_name))
        if self._config.keepalive is not None:
            options += [
                ("grpc.keepalive_time_ms", int(self._config.keepalive * 1000)),
                ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
                # Keep pinging while the stream carries no data, which is most of its life.
                ("grpc.http2.max_pings_without_data", 0),
            ]
        return options
