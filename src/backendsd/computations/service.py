"""Computation run and stop requests relayed to managers, and the records their agents send back."""

from __future__ import annotations

from collections.abc import Awaitable, Collection

import structlog

from backendsd.batching import BatchWriter
from backendsd.clock import now_us
from backendsd.computations.model import (
    AgentEventRecord,
    AgentLogRecord,
    AgentRecord,
    AgentRecordPage,
    AgentRecordQuery,
    RecordKind,
)
from backendsd.connections.registry import ConnectionRegistry
from backendsd.connections.requests import ResponseKind
from backendsd.connections.session import Session
from backendsd.errors import FailedPreconditionError, FieldViolation, InvalidArgumentError
from backendsd.events import Hub, Subscription
from backendsd.paging import DEFAULT_PAGE_SIZE, check_page
from backendsd.proto.manager import manager_pb2
from backendsd.store.protocols import AgentRecordStore, BackendStore
from backendsd.validation import check_uuid

logger = structlog.get_logger(__name__)

# Managers reassemble run requests from chunks of at most this many bytes.
MAX_CHUNK_BYTES = 1024 * 1024
DEFAULT_MAX_RUN_REQUEST_BYTES = 16 * 1024 * 1024


class ComputationService:
    def __init__(
        self,
        *,
        backends: BackendStore,
        registry: ConnectionRegistry,
        records: AgentRecordStore,
        writer: BatchWriter[AgentRecord],
        feed: Hub[AgentRecord],
        max_run_request_bytes: int = DEFAULT_MAX_RUN_REQUEST_BYTES,
    ) -> None:
        self._backends = backends
        self._registry = registry
        self._records = records
        self._writer = writer
        self._feed = feed
        self._max_run_request_bytes = max_run_request_bytes
        registry.router.register("agent_log", self._ingest_log)
        registry.router.register("agent_event", self._ingest_event)

    async def run(self, backend_id: str, run_request: manager_pb2.ComputationRunReq, timeout: float) -> str:
        """Send ``run_request`` to the backend's manager in chunks; return the agent port from its response."""
        violations: list[FieldViolation] = []
        backend_id = check_uuid("backend_id", backend_id, violations)
        if not run_request.id:
            violations.append(FieldViolation("run_request.id", "run_request.id is required: the computation id"))
        data = run_request.SerializeToString()
        if len(data) > self._max_run_request_bytes:
            violations.append(
                FieldViolation(
                    "run_request",
                    f"run_request: {len(data)} bytes is more than the maximum of {self._max_run_request_bytes}",
                )
            )
        _raise_if_any(violations)

        session = await self._session(backend_id)
        chunks = _chunk(data, run_request.id)
        response = await session.request(chunks, expect=ResponseKind.RUN, key=run_request.id, timeout=timeout)
        port = response.run_res.agent_port
        logger.info(
            "computation_started",
            backend_id=backend_id,
            computation_id=run_request.id,
            request_bytes=len(data),
            chunks=len(chunks),
            agent_port=port,
        )
        return port

    async def stop(self, backend_id: str, computation_id: str, timeout: float) -> None:
        """Ask the manager to stop a computation; FailedPreconditionError carries its error message."""
        violations: list[FieldViolation] = []
        backend_id = check_uuid("backend_id", backend_id, violations)
        if not computation_id:
            violations.append(FieldViolation("computation_id", "computation_id is required"))
        _raise_if_any(violations)

        session = await self._session(backend_id)
        request = manager_pb2.ServerStreamMessage(
            stopComputation=manager_pb2.StopComputation(computation_id=computation_id)
        )
        response = await session.request([request], expect=ResponseKind.STOP, key=computation_id, timeout=timeout)
        if response.stopComputationRes.message:
            raise FailedPreconditionError(
                f"the manager could not stop computation {computation_id!r}: {response.stopComputationRes.message}"
            )
        logger.info("computation_stopped", backend_id=backend_id, computation_id=computation_id)

    async def list_records(
        self,
        kind: RecordKind,
        *,
        backend_id: str = "",
        computation_id: str = "",
        category: str = "",
        since: int | None = None,
        until: int | None = None,
        offset: int = 0,
        limit: int = 0,
    ) -> AgentRecordPage:
        violations: list[FieldViolation] = []
        if backend_id:
            backend_id = check_uuid("backend_id", backend_id, violations)
        check_page(offset, limit, violations)
        if since is not None and until is not None and until <= since:
            violations.append(FieldViolation("until", "until must be later than since"))
        _raise_if_any(violations)

        query = AgentRecordQuery(
            kind=kind,
            offset=offset,
            limit=limit or DEFAULT_PAGE_SIZE,
            backend_id=backend_id,
            computation_id=computation_id,
            category=category,
            since=since,
            until=until,
        )
        return await self._records.list(query)

    def watch(self, *, backend_ids: Collection[str] = (), computation_id: str = "") -> Subscription[AgentRecord]:
        """Subscribe to agent records as they arrive; close the subscription when done."""
        violations: list[FieldViolation] = []
        wanted = frozenset(check_uuid("backend_ids", backend_id, violations) for backend_id in backend_ids)
        _raise_if_any(violations)

        def matches(record: AgentRecord) -> bool:
            if wanted and record.backend_id not in wanted:
                return False
            return not computation_id or record.computation_id == computation_id

        return self._feed.subscribe(matches)

    async def _session(self, backend_id: str) -> Session:
        await self._backends.get(backend_id)
        return self._registry.session_for(backend_id)

    def _ingest_log(self, session: Session, message: manager_pb2.ClientStreamMessage) -> Awaitable[None] | None:
        log = message.agent_log
        return self._ingest(
            AgentLogRecord(
                backend_id=session.backend_id,
                computation_id=log.computation_id,
                level=log.level,
                message=log.message,
                timestamp=log.timestamp.ToMicroseconds(),
                received_at=now_us(),
            )
        )

    def _ingest_event(self, session: Session, message: manager_pb2.ClientStreamMessage) -> Awaitable[None] | None:
        event = message.agent_event
        return self._ingest(
            AgentEventRecord(
                backend_id=session.backend_id,
                computation_id=event.computation_id,
                event_type=event.event_type,
                details=event.details,
                originator=event.originator,
                status=event.status,
                timestamp=event.timestamp.ToMicroseconds(),
                received_at=now_us(),
            )
        )

    def _ingest(self, record: AgentRecord) -> Awaitable[None] | None:
        self._writer.add(record)
        self._feed.publish(record)
        return self._writer.room()


def _chunk(data: bytes, computation_id: str) -> list[manager_pb2.ServerStreamMessage]:
    """Cut a serialized run request into RunReqChunks, is_last on the final one."""
    pieces = [data[start : start + MAX_CHUNK_BYTES] for start in range(0, len(data), MAX_CHUNK_BYTES)] or [b""]
    return [
        manager_pb2.ServerStreamMessage(
            runReqChunks=manager_pb2.RunReqChunks(data=piece, id=computation_id, is_last=index == len(pieces) - 1)
        )
        for index, piece in enumerate(pieces)
    ]


def _raise_if_any(violations: list[FieldViolation]) -> None:
    if violations:
        raise InvalidArgumentError(violations)
