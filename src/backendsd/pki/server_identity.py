"""The daemon's own TLS certificate, signed by its CA.

``server.pem`` and ``server.key`` are kept in ``<data-dir>/pki/`` and made
anew at start-up when they are missing, were signed by another CA, lack one
of the wanted subject alternative names, or expire within RENEW_BEFORE.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backendsd.files import write_private_file, write_public_file
from backendsd.pki.authority import END_ENTITY_KEY_USAGE, ORGANIZATION, CertificateAuthority
from backendsd.pki.keys import generate_ec_key, private_key_to_pem

logger = structlog.get_logger(__name__)

SERVER_VALIDITY = datetime.timedelta(days=365)
RENEW_BEFORE = datetime.timedelta(days=30)
DEFAULT_SANS = ("localhost", "127.0.0.1", "::1")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class ServerIdentity:
    """PEM-encoded certificate and key that the daemon's listeners present."""

    certificate_pem: bytes
    private_key_pem: bytes
    ca_certificate_pem: bytes


@dataclass(frozen=True)
class SubjectAlternativeNames:
    dns_names: frozenset[str]
    ip_addresses: frozenset[IPAddress]

    @classmethod
    def parse(cls, names: Iterable[str]) -> SubjectAlternativeNames:
        """Sort each name into an IP address or a DNS name."""
        dns_names: set[str] = set()
        ip_addresses: set[IPAddress] = set()
        for name in names:
            try:
                ip_addresses.add(ipaddress.ip_address(name))
            except ValueError:
                dns_names.add(name.lower())
        return cls(frozenset(dns_names), frozenset(ip_addresses))

    @classmethod
    def of(cls, certificate: x509.Certificate) -> SubjectAlternativeNames:
        try:
            extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return cls(frozenset(), frozenset())
        return cls(
            frozenset(name.lower() for name in extension.get_values_for_type(x509.DNSName)),
            frozenset(
                address
                for address in extension.get_values_for_type(x509.IPAddress)
                if isinstance(address, (ipaddress.IPv4Address, ipaddress.IPv6Address))
            ),
        )

    def covers(self, other: SubjectAlternativeNames) -> bool:
        return other.dns_names <= self.dns_names and other.ip_addresses <= self.ip_addresses

    def to_extension(self) -> x509.SubjectAlternativeName:
        general_names: list[x509.GeneralName] = [x509.DNSName(name) for name in sorted(self.dns_names)]
        general_names += [x509.IPAddress(address) for address in sorted(self.ip_addresses, key=str)]
        return x509.SubjectAlternativeName(general_names)


def wanted_sans(extra: Iterable[str]) -> SubjectAlternativeNames:
    return SubjectAlternativeNames.parse([*DEFAULT_SANS, socket.gethostname(), *extra])


def ensure_server_identity(
    authority: CertificateAuthority, pki_dir: Path, extra_sans: Iterable[str] = ()
) -> ServerIdentity:
    """Return the server certificate and key from ``pki_dir``, issuing them anew when needed."""
    certificate_path, key_path = pki_dir / "server.pem", pki_dir / "server.key"
    sans = wanted_sans(extra_sans)

    reason = _reason_to_reissue(authority, certificate_path, key_path, sans)
    if reason is not None:
        certificate, key_pem = _issue(authority, sans)
        write_private_file(key_path, key_pem)
        write_public_file(certificate_path, certificate.public_bytes(serialization.Encoding.PEM))
        logger.info(
            "server_certificate_issued",
            reason=reason,
            path=str(certificate_path),
            serial_number=str(certificate.serial_number),
            dns_names=sorted(sans.dns_names),
            ip_addresses=sorted(str(address) for address in sans.ip_addresses),
        )

    return ServerIdentity(
        certificate_pem=certificate_path.read_bytes(),
        private_key_pem=key_path.read_bytes(),
        ca_certificate_pem=authority.certificate_pem,
    )


def _reason_to_reissue(
    authority: CertificateAuthority, certificate_path: Path, key_path: Path, sans: SubjectAlternativeNames
) -> str | None:
    if not certificate_path.exists() or not key_path.exists():
        return "missing"

    certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    if certificate.issuer != authority.certificate.subject:
        return "signed by another CA"
    try:
        certificate.verify_directly_issued_by(authority.certificate)
    except (ValueError, TypeError, InvalidSignature):
        return "signed by another CA"
    if not SubjectAlternativeNames.of(certificate).covers(sans):
        return "subject alternative names changed"
    if certificate.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc) < RENEW_BEFORE:
        return "expires soon"
    return None


def _issue(authority: CertificateAuthority, sans: SubjectAlternativeNames) -> tuple[x509.Certificate, bytes]:
    private_key = generate_ec_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, socket.gethostname()[:64] or "localhost"),
        ]
    )
    builder = (
        authority.new_certificate_builder(
            subject=subject, public_key=private_key.public_key(), validity=SERVER_VALIDITY
        )
        .add_extension(sans.to_extension(), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(END_ENTITY_KEY_USAGE, critical=True)
    )
    return authority.sign(builder), private_key_to_pem(private_key)
