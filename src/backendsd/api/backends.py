"""The ``backendsd.v1.Backends`` servicer: translates messages, calls BackendService."""

from __future__ import annotations

import grpc
from google.protobuf import empty_pb2

from backendsd.api.convert import backend_to_proto
from backendsd.auth.tokens import Role
from backendsd.backends.service import BackendService
from backendsd.proto.backendsd.v1 import backends_pb2, backends_pb2_grpc

SERVICE_NAME = backends_pb2.DESCRIPTOR.services_by_name["Backends"].full_name

# Methods a viewer token may call; every other method of the service needs admin.
READ_ONLY_METHODS = frozenset({f"/{SERVICE_NAME}/GetBackend", f"/{SERVICE_NAME}/ListBackends"})


class BackendsServicer(backends_pb2_grpc.BackendsServicer):
    def __init__(self, *, backends: BackendService) -> None:
        self._backends = backends

    async def CreateBackend(
        self, request: backends_pb2.CreateBackendRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.CreateBackendResponse:
        backend = await self._backends.create(
            name=request.name, description=request.description, address=request.address
        )
        return backends_pb2.CreateBackendResponse(backend=backend_to_proto(backend))

    async def GetBackend(
        self, request: backends_pb2.GetBackendRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.GetBackendResponse:
        backend = await self._backends.get(request.id)
        return backends_pb2.GetBackendResponse(backend=backend_to_proto(backend))

    async def ListBackends(
        self, request: backends_pb2.ListBackendsRequest, context: grpc.aio.ServicerContext
    ) -> backends_pb2.ListBackendsResponse:
        page = await self._backends.list(
            offset=request.offset,
            limit=request.limit,
            name=request.name,
            address=request.address,
            order_by=request.order_by,
            descending=request.descending,
        )
        return backends_pb2.ListBackendsResponse(
            backends=[backend_to_proto(backend) for backend in page.backends],
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
        return backends_pb2.UpdateBackendResponse(backend=backend_to_proto(backend))

    async def DeleteBackend(
        self, request: backends_pb2.DeleteBackendRequest, context: grpc.aio.ServicerContext
    ) -> empty_pb2.Empty:
        await self._backends.delete(request.id)
        return empty_pb2.Empty()


def required_roles() -> dict[str, Role]:
    """Return the role each method of the service needs."""
    service = backends_pb2.DESCRIPTOR.services_by_name["Backends"]
    return {
        f"/{SERVICE_NAME}/{method.name}": (
            Role.VIEWER if f"/{SERVICE_NAME}/{method.name}" in READ_ONLY_METHODS else Role.ADMIN
        )
        for method in service.methods
    }
