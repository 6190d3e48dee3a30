"""The ``backendsd.v1.Backends`` servicer: translates messages, calls BackendService."""

from __future__ import annotations

import asyncio

import grpc
from google.protobuf import empty_pb2

from backendsd.api.convert import (
    backend_to_proto,
    connection_status_from_proto,
    event_to_proto,
    svm_info_to_proto,
    termination_type_from_proto,
    timestamp_from_us,
    transition_to_proto,
)
from backendsd.api.timeouts import response_timeout
from backendsd.auth.tokens import Role
from backendsd.backends.information import InformationService
from backendsd.backends.model import Backend
from backendsd.backends.service import BackendService
from backendsd.connections.model import ConnectionStatus
from backendsd.errors import InvalidArgumentError
from backendsd.events import SubscriptionOverflowError
from backendsd.proto.backendsd.v1 import backends_pb2, backends_pb2_grpc

SERVICE_NAME = backends_pb2.DESCRIPTOR.services_by_name["Backends"].full_name

# Methods a viewer token may call; every other method of the service needs admin.
READ_ONLY_METHODS = frozenset(
    f"/{SERVICE_NAME}/{name}" for name in ("GetBackend", "ListBackends", "ListBackendHistory", "WatchBackends")
)

# A watcher whose transport does not take one event within this many seconds
# has stopped reading, and its watch ends.
WATCH_WRITE_TIMEOUT_SECONDS = 10.0


class BackendsServicer(backends_pb2_grpc.BackendsServicer):
    def __init__(self, *, backends: BackendService, information: InformationService, request_timeout: float) -> None:
        self._backends = backends
        self._information = information
        self._request_timeout = request_timeout

    async def CreateBackend(
        self, request: backends_pb2.CreateBackendRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.CreateBackendResponse:
        backend = await self._backends.create(
            name=request.name, description=request.description, address=request.address
        )
        return backends_pb2.CreateBackendResponse(backend=self._to_proto(backend))

    async def GetBackend(
        self, request: backends_pb2.GetBackendRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.GetBackendResponse:
        backend = await self._backends.get(request.id)
        information = await self._information.get(backend.id)
        return backends_pb2.GetBackendResponse(
            backend=backend_to_proto(backend, self._backends.connection(backend.id), information)
        )

    async def ListBackends(
        self, request: backends_pb2.ListBackendsRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.ListBackendsResponse:
        status = None
        if request.status != backends_pb2.CONNECTION_STATUS_UNSPECIFIED:
            status = _status_from_proto("status", request.status)
        page = await self._backends.list(
            offset=request.offset,
            limit=request.limit,
            name=request.name,
            address=request.address,
            order_by=request.order_by,
            descending=request.descending,
            status=status,
        )
        return backends_pb2.ListBackendsResponse(
            backends=[self._to_proto(backend) for backend in page.backends],
            total=page.total,
            offset=page.query.offset,
            limit=page.query.limit,
        )

    async def UpdateBackend(
        self, request: backends_pb2.UpdateBackendRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.UpdateBackendResponse:
        backend = await self._backends.update(
            request.id,
            name=request.name,
            description=request.description,
            address=request.address,
            update_mask=list(request.update_mask.paths),
        )
        return backends_pb2.UpdateBackendResponse(backend=self._to_proto(backend))

    async def DeleteBackend(
        self, request: backends_pb2.DeleteBackendRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        await self._backends.delete(request.id)
        return empty_pb2.Empty()

    async def TerminateBackend(
        self, request: backends_pb2.TerminateBackendRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.TerminateBackendResponse:
        await self._backends.terminate(request.id, termination_type_from_proto(request.type))
        return backends_pb2.TerminateBackendResponse()

    async def ListBackendHistory(
        self, request: backends_pb2.ListBackendHistoryRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.ListBackendHistoryResponse:
        page = await self._backends.history(request.backend_id, offset=request.offset, limit=request.limit)
        return backends_pb2.ListBackendHistoryResponse(
            transitions=[transition_to_proto(transition) for transition in page.transitions],
            total=page.total,
            offset=page.offset,
            limit=page.limit,
        )

    async def WatchBackends(
        self, request: backends_pb2.WatchBackendsRequest, context: grpc.aio.ServicerContext
    ) -> None:
        statuses = [_status_from_proto("statuses", value) for value in request.statuses]
        with self._backends.watch(statuses=statuses, backend_ids=list(request.backend_ids)) as subscription:
            # Headers go out at once, so the client knows the watch is live
            # before the first event.
            await context.send_initial_metadata(())
            while True:
                event = await subscription.next()
                try:
                    async with asyncio.timeout(WATCH_WRITE_TIMEOUT_SECONDS):
                        await context.write(event_to_proto(event))
                except TimeoutError:
                    raise SubscriptionOverflowError(
                        f"the watcher did not read an event for {WATCH_WRITE_TIMEOUT_SECONDS:g} s and was dropped"
                    ) from None

    async def FetchAttestationPolicy(
        self, request: backends_pb2.FetchAttestationPolicyRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.FetchAttestationPolicyResponse:
        timeout = response_timeout(
            "timeout", request.timeout, request.HasField("timeout"), context, self._request_timeout
        )
        policy, fetched_at = await self._information.fetch_attestation_policy(request.backend_id, timeout)
        return backends_pb2.FetchAttestationPolicyResponse(info=policy, fetched_at=timestamp_from_us(fetched_at))

    async def FetchSvmInfo(
        self, request: backends_pb2.FetchSvmInfoRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.FetchSvmInfoResponse:
        timeout = response_timeout(
            "timeout", request.timeout, request.HasField("timeout"), context, self._request_timeout
        )
        svm_info, fetched_at = await self._information.fetch_svm_info(request.backend_id, timeout)
        return backends_pb2.FetchSvmInfoResponse(
            svm_info=svm_info_to_proto(svm_info), fetched_at=timestamp_from_us(fetched_at)
        )

    def _to_proto(self, backend: Backend) -> backends_pb2.Backend:
        return backend_to_proto(backend, self._backends.connection(backend.id))


def _status_from_proto(field: str, value: int) -> ConnectionStatus:
    status = connection_status_from_proto(value)
    if status is None:
        raise InvalidArgumentError.for_field(
            field, f"{field}: {value} is not a connection status; use DISCONNECTED, CONNECTED or UNRESPONSIVE"
        )
    return status


def required_roles() -> dict[str, Role]:
    """Return the role each method of the service needs."""
    service = backends_pb2.DESCRIPTOR.services_by_name["Backends"]
    return {
        f"/{SERVICE_NAME}/{method.name}": (
            Role.VIEWER if f"/{SERVICE_NAME}/{method.name}" in READ_ONLY_METHODS else Role.ADMIN
        )
        for method in service.methods
    }
