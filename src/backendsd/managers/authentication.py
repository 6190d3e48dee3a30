"""Peer authentication of manager streams: which backend a peer is, and whether it may connect.

gRPC's TLS layer has already checked the client certificate's chain and
validity period against the daemon's CA. It cannot know revocations, so this
module looks the certificate's serial number up in the store: that lookup is
the gate for revoked certificates and deleted backends.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Protocol

import grpc
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from backendsd.backends.model import Backend
from backendsd.clock import datetime_from_us, now_us
from backendsd.errors import NotFoundError, PermissionDeniedError, UnauthenticatedError
from backendsd.store.protocols import BackendStore


class IssuedCertificate(Protocol):
    """The stored facts about an issued client certificate that authentication needs."""

    @property
    def backend_id(self) -> str: ...
    @property
    def revoked_at(self) -> int | None: ...
    @property
    def not_before(self) -> int: ...
    @property
    def not_after(self) -> int: ...


class CertificateLookup(Protocol):
    async def get(self, serial_number: int) -> IssuedCertificate:
        """Return the certificate; raise NotFoundError if this CA never issued it."""


@dataclass(frozen=True)
class PeerCertificate:
    """The client certificate a manager presented in the TLS handshake."""

    serial_number: int
    has_client_auth: bool

    @property
    def serial(self) -> str:
        return str(self.serial_number)

    @classmethod
    def from_context(cls, context: grpc.aio.ServicerContext) -> PeerCertificate:
        """Parse the peer's leaf certificate; raise UnauthenticatedError if there is none."""
        auth_context = context.auth_context() or {}
        pem_list = auth_context.get("x509_pem_cert") or []
        if not pem_list:
            raise UnauthenticatedError("no client certificate was presented")
        try:
            certificate = x509.load_pem_x509_certificate(pem_list[0])
        except ValueError as error:
            raise UnauthenticatedError(f"the client certificate cannot be parsed: {error}") from error
        return cls(serial_number=certificate.serial_number, has_client_auth=_allows_client_auth(certificate))


def _allows_client_auth(certificate: x509.Certificate) -> bool:
    try:
        usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.CLIENT_AUTH in usages


def peer_ip(peer: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the IP address of a gRPC peer string such as ``ipv4:10.0.0.1:5555`` or ``ipv6:[::1]:5555``."""
    family, _, rest = peer.partition(":")
    if family == "ipv4":
        host = rest.rpartition(":")[0]
    elif family == "ipv6":
        host = rest.rpartition(":")[0].strip("[]").split("%")[0]
    else:
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class PeerAuthenticator:
    def __init__(self, *, certificates: CertificateLookup, backends: BackendStore, verify_peer_address: bool) -> None:
        self._certificates = certificates
        self._backends = backends
        self._verify_peer_address = verify_peer_address

    async def authenticate(self, certificate: PeerCertificate, peer: str) -> Backend:
        """Return the backend that ``certificate`` was issued for, if it may connect now.

        Raises UnauthenticatedError for a certificate that is unknown,
        revoked, outside its validity period or not for client
        authentication, and PermissionDeniedError for a deleted backend or a
        peer address that does not match the backend's.
        """
        serial = certificate.serial
        if not certificate.has_client_auth:
            raise UnauthenticatedError(f"certificate {serial} does not allow client authentication (extended key usage)")

        try:
            record = await self._certificates.get(certificate.serial_number)
        except NotFoundError:
            raise UnauthenticatedError(f"certificate {serial} was not issued by this daemon") from None
        _check_validity(serial, record)

        try:
            backend = await self._backends.get(record.backend_id)
        except NotFoundError:
            raise PermissionDeniedError(f"backend {record.backend_id} of certificate {serial} was deleted") from None

        if self._verify_peer_address:
            _check_peer_address(backend, peer)
        return backend

    async def backend_id_of(self, certificate: PeerCertificate) -> str | None:
        """Return the backend a certificate was issued for, or None if unknown."""
        try:
            return (await self._certificates.get(certificate.serial_number)).backend_id
        except NotFoundError:
            return None


def _check_validity(serial: str, record: IssuedCertificate) -> None:
    now = now_us()
    if record.revoked_at is not None:
        revoked = datetime_from_us(record.revoked_at).isoformat()
        raise UnauthenticatedError(f"certificate {serial} was revoked at {revoked}")
    if now > record.not_after:
        raise UnauthenticatedError(f"certificate {serial} expired at {datetime_from_us(record.not_after).isoformat()}")
    if now < record.not_before:
        raise UnauthenticatedError(
            f"certificate {serial} is not valid before {datetime_from_us(record.not_before).isoformat()}"
        )


def _check_peer_address(backend: Backend, peer: str) -> None:
    try:
        expected = ipaddress.ip_address(backend.address)
    except ValueError:
        return  # a host name cannot be compared with the peer's IP address
    actual = peer_ip(peer)
    if actual is None:
        raise PermissionDeniedError(f"peer {peer!r} has no IP address to compare with backend address {expected}")
    if isinstance(actual, ipaddress.IPv6Address) and actual.ipv4_mapped is not None:
        actual = actual.ipv4_mapped
    if actual != expected:
        raise PermissionDeniedError(f"peer address {actual} does not match backend address {expected}")
