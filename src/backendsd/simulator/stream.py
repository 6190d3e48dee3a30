"""One open manager stream: reads the daemon's requests and responds to them like a real manager."""

from __future__ import annotations

import asyncio
import enum
import itertools
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from google.protobuf.message import DecodeError

from backendsd.proto.manager import manager_pb2
from backendsd.simulator import behavior as answers
from backendsd.simulator.behavior import Behavior
from backendsd.simulator.chunks import AssembledRunRequest, PartialRunRequest, RunRequestAssembler
from backendsd.simulator.report import Reporter

logger = structlog.get_logger(__name__)

# The line a real manager logs when the daemon sends Terminate; tools that
# watch manager logs match it exactly.
TERMINATED_EVENT = "manager service terminated: server requested client termination"

# Chunks larger than this break the protocol, although they may still fit
# gRPC's 4 MiB default message limit.
MAX_CHUNK_SIZE = 1024 * 1024


class StreamOutcome(enum.Enum):
    TERMINATED = "terminated"
    """The daemon sent Terminate: the manager shuts down for good."""

    FAILED = "failed"
    """The stream ended another way: closed by the server, an error, or an unknown message."""

    STOPPED = "stopped"
    """The simulator itself closed the stream, after SIGTERM or SIGINT."""


@dataclass(frozen=True)
class StreamEnd:
    """Outcome and cause of a stream's end, as logged and reported on disconnect."""

    outcome: StreamOutcome
    reason: str
    code: str = ""
    details: str = ""


class ManagerStream:
    """Serves one ``Process`` call until it ends, then cancels the responses still in flight.

    Each request gets its own response task, so responses go out in the order
    that their delays end, as with a real manager. Writes are serialized
    with a lock because a gRPC call accepts one write at a time.
    """

    def __init__(self, *, call: Any, session: str, behavior: Behavior, reporter: Reporter) -> None:
        self._call = call
        self._session = session
        self._behavior = behavior
        self._reporter = reporter
        self._write_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runs_answered = 0
        self._sent: dict[str, int] = {}
        self._assembler = RunRequestAssembler(timeout=behavior.chunk_timeout, on_dropped=self._report_dropped_run)
        self._handlers: dict[str, Callable[[Any], None]] = {
            "runReqChunks": self._handle_run_chunk,
            "runReq": self._handle_unchunked_run,
            "stopComputation": self._handle_stop,
            "attestationPolicyReq": self._handle_attestation_policy_request,
            "svmInfoReq": self._handle_svm_info_request,
        }

    @property
    def sent_counts(self) -> dict[str, int]:
        """Messages written to the stream so far, by ClientStreamMessage field name."""
        return dict(self._sent)

    async def run(self) -> StreamEnd:
        if self._behavior.send_logs or self._behavior.send_events:
            self._start_task(self._send_agent_output(), "agent_output_failed")
        try:
            return await self._read_messages()
        finally:
            await self._close()

    async def _read_messages(self) -> StreamEnd:
        while True:
            try:
                message = await self._call.read()
            except grpc.aio.AioRpcError as error:
                return StreamEnd(StreamOutcome.FAILED, "error", error.code().name, error.details() or "")
            if message is grpc.aio.EOF:
                return StreamEnd(StreamOutcome.FAILED, "server_closed", grpc.StatusCode.OK.name)

            end = self._dispatch(message)
            if end is not None:
                return end

    def _dispatch(self, message: manager_pb2.ServerStreamMessage) -> StreamEnd | None:
        """Handle one server message; return how the stream ends if the message ends it."""
        kind = message.WhichOneof("message")
        if kind is None:
            # Real managers exit on a message whose oneof they cannot read.
            logger.error("server_message_unknown", size=message.ByteSize())
            self._reporter.write(self._session, "unknown_message", size=message.ByteSize())
            return StreamEnd(StreamOutcome.FAILED, "unknown_message")
        if kind == "terminateReq":
            return self._handle_terminate(message.terminateReq)

        self._handlers[kind](getattr(message, kind))
        return None

    def _handle_terminate(self, request: manager_pb2.Terminate) -> StreamEnd:
        logger.info(TERMINATED_EVENT, message=request.message)
        self._reporter.write(self._session, "terminated", message=request.message)
        return StreamEnd(StreamOutcome.TERMINATED, "terminated")

    def _handle_svm_info_request(self, request: manager_pb2.SVMInfoReq) -> None:
        self._report_request("svmInfoReq", request.id)
        self._answer(answers.svm_info_answer(request.id))

    def _handle_attestation_policy_request(self, request: manager_pb2.AttestationPolicyReq) -> None:
        self._report_request("attestationPolicyReq", request.id)
        self._answer(answers.attestation_policy_answer(request.id, self._behavior.attestation_policy))

    def _handle_stop(self, request: manager_pb2.StopComputation) -> None:
        self._report_request("stopComputation", request.computation_id)
        self._reporter.write(self._session, "stop_received", computation_id=request.computation_id)
        self._answer(answers.stop_answer(request.computation_id, self._behavior.stop_error))

    def _handle_unchunked_run(self, request: manager_pb2.ComputationRunReq) -> None:
        self._report_request("runReq", request.id)
        logger.warning(
            "run_request_ignored", computation_id=request.id, reason="real managers accept only runReqChunks"
        )

    def _handle_run_chunk(self, chunk: manager_pb2.RunReqChunks) -> None:
        self._report_request("runReqChunks", chunk.id, size=len(chunk.data), is_last=chunk.is_last)
        if len(chunk.data) > MAX_CHUNK_SIZE:
            logger.warning("run_chunk_too_large", computation_id=chunk.id, size=len(chunk.data), limit=MAX_CHUNK_SIZE)

        assembled = self._assembler.add(chunk)
        if assembled is not None:
            self._handle_run(assembled)

    def _handle_run(self, assembled: AssembledRunRequest) -> None:
        fields = {"computation_id": assembled.computation_id, "size": len(assembled.data)}
        try:
            request = manager_pb2.ComputationRunReq.FromString(assembled.data)
        except DecodeError as error:
            logger.warning("run_request_invalid", **fields, error=str(error))
            self._reporter.write(self._session, "run_request_invalid", **fields, chunks=assembled.chunk_count)
            return

        if request.id != assembled.computation_id:
            logger.warning("run_request_id_mismatch", **fields, request_id=request.id)
        agent_port = self._behavior.agent_port_base + self._runs_answered
        self._runs_answered += 1
        logger.info("run_request_received", **fields, chunks=assembled.chunk_count, agent_port=agent_port)
        self._reporter.write(
            self._session, "run_request", **fields, chunks=assembled.chunk_count, request_id=request.id
        )
        self._answer(answers.run_answer(request.id or assembled.computation_id, agent_port))

    def _report_dropped_run(self, partial: PartialRunRequest) -> None:
        fields = {"computation_id": partial.computation_id, "size": partial.size, "chunks": len(partial.parts)}
        logger.warning("run_request_dropped", **fields, timeout_seconds=self._behavior.chunk_timeout)
        self._reporter.write(self._session, "run_request_dropped", **fields)

    def _report_request(self, kind: str, request_id: str, **fields: Any) -> None:
        logger.debug("request_received", type=kind, id=request_id, **fields)
        self._reporter.write(self._session, "request_received", type=kind, id=request_id, **fields)

    def _answer(self, message: manager_pb2.ClientStreamMessage) -> None:
        if self._behavior.silent:
            return
        self._start_task(self._send_answer(message), "answer_failed")

    async def _send_answer(self, message: manager_pb2.ClientStreamMessage) -> None:
        if self._behavior.answer_delay > 0:
            await asyncio.sleep(self._behavior.answer_delay)
        await self._send(message)

    async def _send_agent_output(self) -> None:
        """Send the configured agent logs, then the agent events, at ``send_rate`` messages per second."""
        behavior = self._behavior
        messages = itertools.chain(
            (answers.agent_log(sequence, behavior.computation_id) for sequence in range(behavior.send_logs)),
            (answers.agent_event(sequence, behavior.computation_id) for sequence in range(behavior.send_events)),
        )
        started = time.monotonic()
        for index, message in enumerate(messages):
            if behavior.send_rate > 0:
                await asyncio.sleep(max(0.0, started + index / behavior.send_rate - time.monotonic()))
            if not await self._send(message):
                return
        logger.info("agent_output_sent", logs=behavior.send_logs, events=behavior.send_events)

    async def _send(self, message: manager_pb2.ClientStreamMessage) -> bool:
        """Write ``message``; return False if the call has ended, which the reader then reports."""
        async with self._write_lock:
            try:
                await self._call.write(message)
            except (grpc.aio.AioRpcError, asyncio.InvalidStateError) as error:
                logger.debug("send_failed", error=str(error))
                return False
        kind = message.WhichOneof("message") or ""
        self._sent[kind] = self._sent.get(kind, 0) + 1
        return True

    def _start_task(self, coroutine: Coroutine[Any, Any, None], failure_event: str) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._forget_task(done, failure_event))

    def _forget_task(self, task: asyncio.Task[None], failure_event: str) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(failure_event, exc_info=task.exception())

    async def _close(self) -> None:
        """Cancel the responses and agent output still in flight, then the call itself."""
        self._assembler.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._call.cancel()
