"""The ``backendsd.v1.Certs`` servicer: translates messages, calls CertificateService."""

from __future__ import annotations

import grpc

from backendsd.api.convert import certificate_to_proto
from backendsd.api.well_known import duration_to_timedelta
from backendsd.auth.tokens import Role
from backendsd.certs.service import CertificateService
from backendsd.proto.backendsd.v1 import certs_pb2, certs_pb2_grpc

SERVICE_NAME = certs_pb2.DESCRIPTOR.services_by_name["Certs"].full_name

# Methods a viewer token may call; every other method of the service needs
# admin, GetCertificateBundle too, because it returns private keys.
READ_ONLY_METHODS = frozenset(
    {f"/{SERVICE_NAME}/GetCertificate", f"/{SERVICE_NAME}/ListCertificates", f"/{SERVICE_NAME}/GetCrl"}
)


class CertsServicer(certs_pb2_grpc.CertsServicer):
    def __init__(self, *, certificates: CertificateService) -> None:
        self._certificates = certificates

    async def IssueCertificate(
        self, request: certs_pb2.IssueCertificateRequest, context: grpc.aio.ServicerContext
    ) -> certs_pb2.IssueCertificateResponse:
        bundle = await self._certificates.issue(
            backend_id=request.backend_id,
            ip_addresses=list(request.ip_addresses),
            dns_names=list(request.dns_names),
            ttl=duration_to_timedelta("ttl", request.ttl) if request.HasField("ttl") else None,
            csr_pem=request.csr_pem,
        )
        return certs_pb2.IssueCertificateResponse(
            certificate=certificate_to_proto(bundle.record),
            ca_pem=bundle.ca_pem,
            cert_pem=bundle.certificate_pem,
            key_pem=bundle.private_key_pem,
        )

    async def GetCertificate(
        self, request: certs_pb2.GetCertificateRequest, context: grpc.aio.ServicerContext
    ) -> certs_pb2.GetCertificateResponse:
        record = await self._certificates.get(request.serial_number)
        return certs_pb2.GetCertificateResponse(certificate=certificate_to_proto(record))

    async def ListCertificates(
        self, request: certs_pb2.ListCertificatesRequest, context: grpc.aio.ServicerContext
    ) -> certs_pb2.ListCertificatesResponse:
        page = await self._certificates.list(
            offset=request.offset,
            limit=request.limit,
            backend_id=request.backend_id,
            revoked=request.revoked if request.HasField("revoked") else None,
        )
        return certs_pb2.ListCertificatesResponse(
            certificates=[certificate_to_proto(record) for record in page.certificates],
            total=page.total,
            offset=page.query.offset,
            limit=page.query.limit,
        )

    async def GetCertificateBundle(
        self, request: certs_pb2.GetCertificateBundleRequest, context: grpc.aio.ServicerContext
    ) -> certs_pb2.GetCertificateBundleResponse:
        bundle = await self._certificates.bundle(request.serial_number)
        return certs_pb2.GetCertificateBundleResponse(
            certificate=certificate_to_proto(bundle.record),
            ca_pem=bundle.ca_pem,
            cert_pem=bundle.certificate_pem,
            key_pem=bundle.private_key_pem,
        )

    async def RenewCertificate(
        self, request: certs_pb2.RenewCertificateRequest, context: grpc.aio.ServicerContext
    ) -> certs_pb2.RenewCertificateResponse:
        bundle = await self._certificates.renew(request.serial_number)
        return certs_pb2.RenewCertificateResponse(
            certificate=certificate_to_proto(bundle.record),
            ca_pem=bundle.ca_pem,
            cert_pem=bundle.certificate_pem,
            key_pem=bundle.private_key_pem,
        )

    async def RevokeCertificate(
        self, request: certs_pb2.RevokeCertificateRequest, context: grpc.aio.ServicerContext
    ) -> certs_pb2.RevokeCertificateResponse:
        record = await self._certificates.revoke(request.serial_number, request.reason)
        return certs_pb2.RevokeCertificateResponse(certificate=certificate_to_proto(record))

    async def GetCrl(
        self, request: certs_pb2.GetCrlRequest, context: grpc.aio.ServicerContext
    ) -> certs_pb2.GetCrlResponse:
        return certs_pb2.GetCrlResponse(crl_pem=await self._certificates.crl_pem())


def required_roles() -> dict[str, Role]:
    """Return the role each method of the service needs."""
    service = certs_pb2.DESCRIPTOR.services_by_name["Certs"]
    return {
        f"/{SERVICE_NAME}/{method.name}": (
            Role.VIEWER if f"/{SERVICE_NAME}/{method.name}" in READ_ONLY_METHODS else Role.ADMIN
        )
        for method in service.methods
    }
