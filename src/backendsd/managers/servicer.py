"""``manager.ManagerService/Process``: one call is one manager's whole session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NoReturn

import grpc
import structlog

from backendsd.api.status import RpcStatus, abort_with, status_for
from backendsd.backends.model import Backend
from backendsd.connections.registry import ConnectionRegistry
from backendsd.connections.session import Session, SessionEndKind, SessionLimits
from backendsd.errors import PermissionDeniedError, ResourceExhaustedError, UnauthenticatedError
from backendsd.managers.admission import SessionAdmission
from backendsd.managers.authentication import PeerAuthenticator, PeerCertificate
from backendsd.proto.manager import manager_pb2, manager_pb2_grpc

logger = structlog.get_logger(__name__)

# Status codes that report a session end to the manager. Terminated and
# disconnected streams end with OK: after Terminate the manager exits, and a
# disconnected one is no longer there to read a status.
_END_STATUS = {
    SessionEndKind.SUPERSEDED: grpc.StatusCode.ABORTED,
    SessionEndKind.SHUTDOWN: grpc.StatusCode.UNAVAILABLE,
    SessionEndKind.STALLED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    SessionEndKind.PROTOCOL_ERROR: grpc.StatusCode.INVALID_ARGUMENT,
}


class ManagerServicer(manager_pb2_grpc.ManagerServiceServicer):
    def __init__(
        self,
        *,
        authenticator: PeerAuthenticator,
        registry: ConnectionRegistry,
        limits: SessionLimits,
        admission: SessionAdmission,
    ) -> None:
        self._authenticator = authenticator
        self._registry = registry
        self._limits = limits
        self._admission = admission

    async def Process(
        self,
        request_iterator: AsyncIterator[manager_pb2.ClientStreamMessage],
        context: grpc.aio.ServicerContext,
    ) -> None:
        peer = context.peer()
        try:
            with self._admission.admitting(peer):
                backend, serial = await self._admit(context, peer)
            # Checked after authentication, because a backend that is already
            # connected may replace its session even at the limit.
            self._admission.check_capacity(backend.id, peer)
        except ResourceExhaustedError as error:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, error.message)

        session = Session(backend=backend, peer=peer, certificate_serial=serial, limits=self._limits)
        self._registry.attach(session)
        try:
            end = await session.run(request_iterator, context.write, self._registry.handle_message)
        finally:
            # Also reached when grpc cancels the handler because the
            # connection died (keepalive timeout, reset), so detach is sync.
            self._registry.detach(session)

        code = _END_STATUS.get(end.kind)
        if code is not None:
            await abort_with(context, RpcStatus(code, end.reason))

    async def _admit(self, context: grpc.aio.ServicerContext, peer: str) -> tuple[Backend, str]:
        """Return the backend and certificate serial of the peer, or end the call with the reason."""
        try:
            certificate = PeerCertificate.from_context(context)
        except UnauthenticatedError as error:
            await self._reject(context, error, peer=peer, serial="", backend_id=None)

        try:
            backend = await self._authenticator.authenticate(certificate, peer)
        except (UnauthenticatedError, PermissionDeniedError) as error:
            backend_id = await self._authenticator.backend_id_of(certificate)
            await self._reject(context, error, peer=peer, serial=certificate.serial, backend_id=backend_id)
        return backend, certificate.serial

    async def _reject(
        self,
        context: grpc.aio.ServicerContext,
        error: UnauthenticatedError | PermissionDeniedError,
        *,
        peer: str,
        serial: str,
        backend_id: str | None,
    ) -> NoReturn:
        logger.warning(
            "manager_rejected", peer=peer, certificate_serial=serial, backend_id=backend_id, reason=error.message
        )
        if backend_id is not None:
            self._registry.record_rejection(backend_id, peer=peer, certificate_serial=serial, reason=error.message)
        await context.abort(status_for(error).code, error.message)
        raise AssertionError("grpc.aio.ServicerContext.abort returned instead of raising")
