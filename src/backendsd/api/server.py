"""The management listener: a grpc.aio server with health checking and reflection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from backendsd.api.backends import BackendsServicer
from backendsd.api.backends import SERVICE_NAME as BACKENDS_SERVICE
from backendsd.api.backends import required_roles as backends_roles
from backendsd.api.certs import SERVICE_NAME as CERTS_SERVICE
from backendsd.api.certs import CertsServicer
from backendsd.api.certs import required_roles as certs_roles
from backendsd.api.computations import SERVICE_NAME as COMPUTATIONS_SERVICE
from backendsd.api.computations import ComputationsServicer
from backendsd.api.computations import required_roles as computations_roles
from backendsd.api.interceptor import ManagementInterceptor
from backendsd.auth.authenticator import Authenticator
from backendsd.auth.tokens import Role
from backendsd.backends.information import InformationService
from backendsd.backends.service import BackendService
from backendsd.certs.service import CertificateService
from backendsd.computations.service import ComputationService
from backendsd.config import ListenAddress
from backendsd.pki.server_identity import ServerIdentity
from backendsd.proto.backendsd.v1 import backends_pb2_grpc, certs_pb2_grpc, computations_pb2_grpc

MANAGEMENT_SERVICES = (BACKENDS_SERVICE, CERTS_SERVICE, COMPUTATIONS_SERVICE)

# Room for the other fields of a RunComputation request around its run request.
REQUEST_ENVELOPE_BYTES = 64 * 1024


@dataclass(frozen=True)
class ManagementServices:
    """The domain services behind the management API."""

    backends: BackendService
    information: InformationService
    certificates: CertificateService
    computations: ComputationService
    request_timeout: float
    """Seconds a call waits for a manager's response when neither the request nor its deadline sets a limit."""
    max_run_request_bytes: int

# grpcio sets SO_REUSEPORT by default, which lets a second daemon bind the
# same port and take half of the connections. With it off, the bind fails.
SERVER_OPTIONS = [("grpc.so_reuseport", 0)]


class ManagementServer:
    """The management API's gRPC server and its health status."""

    def __init__(self, *, services: ManagementServices, authenticator: Authenticator) -> None:
        roles: Mapping[str, Role] = {**backends_roles(), **certs_roles(), **computations_roles()}
        self._server = grpc.aio.server(
            interceptors=[ManagementInterceptor(authenticator=authenticator, required_roles=roles)],
            options=[
                *SERVER_OPTIONS,
                ("grpc.max_receive_message_length", services.max_run_request_bytes + REQUEST_ENVELOPE_BYTES),
            ],
        )
        self._health = health.aio.HealthServicer()
        self._add_servicers(services)

    def _add_servicers(self, services: ManagementServices) -> None:
        # The generated registration functions carry no annotations.
        backends_pb2_grpc.add_BackendsServicer_to_server(  # type: ignore[no-untyped-call]
            BackendsServicer(
                backends=services.backends,
                information=services.information,
                request_timeout=services.request_timeout,
            ),
            self._server,
        )
        certs_pb2_grpc.add_CertsServicer_to_server(  # type: ignore[no-untyped-call]
            CertsServicer(certificates=services.certificates), self._server
        )
        computations_pb2_grpc.add_ComputationsServicer_to_server(  # type: ignore[no-untyped-call]
            ComputationsServicer(computations=services.computations, request_timeout=services.request_timeout),
            self._server,
        )
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        reflection.enable_server_reflection(
            [*MANAGEMENT_SERVICES, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server
        )

    def bind(self, address: ListenAddress, identity: ServerIdentity | None) -> ListenAddress:
        """Listen on ``address``, with TLS unless ``identity`` is None; return the bound address."""
        if identity is None:
            port = self._server.add_insecure_port(str(address))
        else:
            credentials = grpc.ssl_server_credentials([(identity.private_key_pem, identity.certificate_pem)])
            port = self._server.add_secure_port(str(address), credentials)
        return address.with_port(port)

    async def start(self) -> None:
        await self._server.start()
        for service in ("", *MANAGEMENT_SERVICES):
            await self._health.set(service, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float) -> None:
        """Report NOT_SERVING, refuse new RPCs, and give running ones ``grace`` seconds."""
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace)
