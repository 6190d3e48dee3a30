"""The ``backendsd.v1.Computations`` servicer: translates messages, calls ComputationService."""

from __future__ import annotations

import asyncio

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from backendsd.api.convert import agent_event_to_proto, agent_log_to_proto, agent_record_to_proto
from backendsd.api.timeouts import response_timeout
from backendsd.api.well_known import timestamp_to_us
from backendsd.auth.tokens import Role
from backendsd.computations.model import AgentEventRecord, AgentLogRecord, RecordKind
from backendsd.computations.service import ComputationService
from backendsd.events import SubscriptionOverflowError
from backendsd.proto.backendsd.v1 import computations_pb2, computations_pb2_grpc

SERVICE_NAME = computations_pb2.DESCRIPTOR.services_by_name["Computations"].full_name

# Methods that change what runs on a backend need an admin token.
ADMIN_METHODS = frozenset(f"/{SERVICE_NAME}/{name}" for name in ("RunComputation", "StopComputation"))

# A watcher whose transport does not take one record within this many seconds
# has stopped reading, and its watch ends.
WATCH_WRITE_TIMEOUT_SECONDS = 10.0


class ComputationsServicer(computations_pb2_grpc.ComputationsServicer):
    def __init__(self, *, computations: ComputationService, request_timeout: float) -> None:
        self._computations = computations
        self._request_timeout = request_timeout

    async def RunComputation(
        self, request: computations_pb2.RunComputationRequest, context: grpc.aio.ServicerContext
    ) -> computations_pb2.RunComputationResponse:
        timeout = response_timeout("timeout", request.timeout, request.HasField("timeout"), context, self._request_timeout)
        port = await self._computations.run(request.backend_id, request.run_request, timeout)
        return computations_pb2.RunComputationResponse(agent_port=port)

    async def StopComputation(
        self, request: computations_pb2.StopComputationRequest, context: grpc.aio.ServicerContext
    ) -> computations_pb2.StopComputationResponse:
        timeout = response_timeout("timeout", request.timeout, request.HasField("timeout"), context, self._request_timeout)
        await self._computations.stop(request.backend_id, request.computation_id, timeout)
        return computations_pb2.StopComputationResponse()

    async def ListAgentLogs(
        self, request: computations_pb2.ListAgentLogsRequest, context: grpc.aio.ServicerContext
    ) -> computations_pb2.ListAgentLogsResponse:
        page = await self._computations.list_records(
            RecordKind.LOG,
            backend_id=request.backend_id,
            computation_id=request.computation_id,
            category=request.level,
            since=_optional_us("since", request.since, request.HasField("since")),
            until=_optional_us("until", request.until, request.HasField("until")),
            offset=request.offset,
            limit=request.limit,
        )
        return computations_pb2.ListAgentLogsResponse(
            logs=[agent_log_to_proto(r) for r in page.records if isinstance(r, AgentLogRecord)],
            total=page.total,
            offset=page.query.offset,
            limit=page.query.limit,
        )

    async def ListAgentEvents(
        self, request: computations_pb2.ListAgentEventsRequest, context: grpc.aio.ServicerContext
    ) -> computations_pb2.ListAgentEventsResponse:
        page = await self._computations.list_records(
            RecordKind.EVENT,
            backend_id=request.backend_id,
            computation_id=request.computation_id,
            category=request.event_type,
            since=_optional_us("since", request.since, request.HasField("since")),
            until=_optional_us("until", request.until, request.HasField("until")),
            offset=request.offset,
            limit=request.limit,
        )
        return computations_pb2.ListAgentEventsResponse(
            events=[agent_event_to_proto(r) for r in page.records if isinstance(r, AgentEventRecord)],
            total=page.total,
            offset=page.query.offset,
            limit=page.query.limit,
        )

    async def WatchAgentEvents(
        self, request: computations_pb2.WatchAgentEventsRequest, context: grpc.aio.ServicerContext
    ) -> None:
        with self._computations.watch(
            backend_ids=list(request.backend_ids), computation_id=request.computation_id
        ) as subscription:
            await context.send_initial_metadata(())
            while True:
                record = await subscription.next()
                try:
                    async with asyncio.timeout(WATCH_WRITE_TIMEOUT_SECONDS):
                        await context.write(agent_record_to_proto(record))
                except TimeoutError:
                    raise SubscriptionOverflowError(
                        f"the watcher did not read a record for {WATCH_WRITE_TIMEOUT_SECONDS:g} s and was dropped"
                    ) from None


def _optional_us(field: str, timestamp: Timestamp, present: bool) -> int | None:
    return timestamp_to_us(field, timestamp) if present else None


def required_roles() -> dict[str, Role]:
    """Return the role each method of the service needs."""
    service = computations_pb2.DESCRIPTOR.services_by_name["Computations"]
    return {
        f"/{SERVICE_NAME}/{method.name}": (
            Role.ADMIN if f"/{SERVICE_NAME}/{method.name}" in ADMIN_METHODS else Role.VIEWER
        )
        for method in service.methods
    }
