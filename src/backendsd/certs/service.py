"""Client certificate management: the one code path behind the Certs API and ``backendsd certs``."""

from __future__ import annotations

import asyncio
import builtins
import datetime
import ipaddress
from collections.abc import Sequence
from typing import Protocol
from pathlib import Path

import structlog
from cryptography import x509

from backendsd.certs.model import CertificateBundle, CertificatePage, CertificateQuery, CertificateRecord, RevocationReason
from backendsd.clock import datetime_from_us, now_us
from backendsd.connections.model import TerminationType
from backendsd.errors import FailedPreconditionError, FieldViolation, InvalidArgumentError
from backendsd.paging import DEFAULT_PAGE_SIZE, check_page
from backendsd.pki.authority import CertificateAuthority
from backendsd.pki.client_certs import (
    ClientCertificateRequest,
    ClientPublicKey,
    CsrError,
    certificate_to_pem,
    client_public_key,
    load_csr_public_key,
    sha256_fingerprint,
    sign_client_certificate,
)
from backendsd.pki.crl import RevokedEntry, sign_crl, write_crl
from backendsd.pki.key_encryption import KeyEncryptionKey
from backendsd.pki.keys import KeyType, generate_key, private_key_to_pem
from backendsd.pki.server_identity import IPAddress
from backendsd.store.protocols import CertificateStore
from backendsd.validation import check_host_name, check_uuid, shorten

logger = structlog.get_logger(__name__)

DEFAULT_CLIENT_CERT_TTL = datetime.timedelta(days=90)
MAX_NAMES_PER_KIND = 32
# RFC 5280 allows serial numbers of up to 20 octets.
MAX_SERIAL_NUMBER = (1 << 159) - 1
MAX_SERIAL_DIGITS = len(str(MAX_SERIAL_NUMBER))


class CertificateSessions(Protocol):
    """The live manager sessions, which a revocation ends."""

    async def terminate_certificate(self, certificate_serial: str, termination: TerminationType) -> None: ...


class CertificateService:
    """Issues, renews and revokes backend client certificates, and keeps the CRL current."""

    def __init__(
        self,
        *,
        store: CertificateStore,
        authority: CertificateAuthority,
        key_encryption: KeyEncryptionKey,
        pki_dir: Path,
        default_ttl: datetime.timedelta = DEFAULT_CLIENT_CERT_TTL,
        key_type: KeyType = KeyType.ECDSA_P256,
        sessions: CertificateSessions | None = None,
    ) -> None:
        self._store = store
        self._sessions = sessions
        self._authority = authority
        self._key_encryption = key_encryption
        self._pki_dir = pki_dir
        self._default_ttl = default_ttl
        self._key_type = key_type

    async def issue(
        self,
        *,
        backend_id: str,
        ip_addresses: Sequence[str] = (),
        dns_names: Sequence[str] = (),
        ttl: datetime.timedelta | None = None,
        csr_pem: str = "",
    ) -> CertificateBundle:
        """Issue a certificate for a backend, with a new key pair unless ``csr_pem`` is given."""
        violations: list[FieldViolation] = []
        request = ClientCertificateRequest(
            backend_id=check_uuid("backend_id", backend_id, violations),
            ip_addresses=_check_ip_addresses(ip_addresses, violations),
            dns_names=_check_dns_names(dns_names, violations),
        )
        validity = self._check_ttl(ttl, violations)
        public_key = _check_csr(csr_pem, violations) if csr_pem.strip() else None
        _raise_if_any(violations)

        key_pem = b""
        if public_key is None:
            # RSA key generation takes tens of milliseconds, too long for the event loop.
            private_key = await asyncio.to_thread(generate_key, self._key_type)
            public_key = private_key.public_key()
            key_pem = private_key_to_pem(private_key)
        return await self._sign_and_store(request, public_key, key_pem, validity, replaces=None)

    async def get(self, serial_number: str) -> CertificateRecord:
        return await self._store.get(_parse_serial_number(serial_number))

    async def list(
        self, *, offset: int = 0, limit: int = 0, backend_id: str = "", revoked: bool | None = None
    ) -> CertificatePage:
        violations: list[FieldViolation] = []
        check_page(offset, limit, violations)
        backend_id = check_uuid("backend_id", backend_id, violations) if backend_id else ""
        _raise_if_any(violations)

        query = CertificateQuery(offset=offset, limit=limit or DEFAULT_PAGE_SIZE, backend_id=backend_id, revoked=revoked)
        return await self._store.list(query)

    async def bundle(self, serial_number: str) -> CertificateBundle:
        """Return the certificate again with the CA certificate and, if stored, its private key."""
        record = await self._store.get(_parse_serial_number(serial_number))
        return self._bundle_of(record, self._decrypt_private_key(record))

    async def renew(self, serial_number: str) -> CertificateBundle:
        """Issue a successor with the same backend, names and key, valid for the default ttl."""
        old = await self._store.get(_parse_serial_number(serial_number))
        if old.is_revoked:
            raise FailedPreconditionError(
                f"certificate {old.serial_number} is revoked and cannot be renewed; issue a new certificate"
            )

        certificate = x509.load_pem_x509_certificate(old.certificate_pem.encode())
        request = ClientCertificateRequest(
            backend_id=old.backend_id,
            ip_addresses=tuple(ipaddress.ip_address(address) for address in old.ip_addresses),
            dns_names=old.dns_names,
        )
        key_pem = self._decrypt_private_key(old)
        return await self._sign_and_store(
            request, client_public_key(certificate), key_pem, self._default_ttl, replaces=old.serial_number
        )

    async def revoke(self, serial_number: str, reason_code: int) -> CertificateRecord:
        """Revoke the certificate and publish a new CRL; a revoked certificate is returned unchanged."""
        violations: list[FieldViolation] = []
        serial = _check_serial_number(serial_number, violations)
        reason = _check_reason(reason_code, violations)
        _raise_if_any(violations)

        record, changed = await self._store.revoke(serial, revoked_at=now_us(), reason=reason)
        if changed:
            logger.info(
                "certificate_revoked",
                serial_number=str(record.serial_number),
                backend_id=record.backend_id,
                reason=reason.name.lower(),
            )
            await self.certificates_revoked([record.serial_number])
        return record

    async def crl_pem(self) -> str:
        """Sign a CRL from the store, write it to ``<pki-dir>/crl.pem`` and return it."""
        revoked = await self._store.list_revoked(not_expired_at=now_us())
        entries = [
            RevokedEntry(
                serial_number=record.serial_number,
                revoked_at=datetime_from_us(record.revoked_at or 0),
                reason_code=int(record.revocation_reason or RevocationReason.UNSPECIFIED),
            )
            for record in revoked
        ]
        pem = write_crl(self._pki_dir, sign_crl(self._authority, entries))
        logger.debug("crl_written", entries=len(entries))
        return pem.decode()

    async def certificates_revoked(self, serial_numbers: Sequence[int]) -> None:
        """Terminate the sessions that use ``serial_numbers`` and publish a new CRL.

        Called after a revocation here or by a backend's deletion. A failed
        CRL write is logged and not raised, because the revocation is already
        committed; the next revocation or GetCrl call writes the file.
        """
        if self._sessions is not None:
            for serial in serial_numbers:
                await self._sessions.terminate_certificate(str(serial), TerminationType.CERTIFICATE_REVOCATION)
        try:
            await self.crl_pem()
        except OSError as error:
            logger.error(
                "crl_write_failed", error=str(error), serial_numbers=[str(serial) for serial in serial_numbers]
            )

    async def _sign_and_store(
        self,
        request: ClientCertificateRequest,
        public_key: ClientPublicKey,
        key_pem: bytes,
        validity: datetime.timedelta,
        *,
        replaces: int | None,
    ) -> CertificateBundle:
        certificate = sign_client_certificate(self._authority, request, public_key, validity)
        serial = certificate.serial_number
        encrypted_key = self._key_encryption.encrypt(key_pem, associated_data=str(serial).encode()) if key_pem else None
        record = await self._store.add(
            CertificateRecord(
                serial_number=serial,
                backend_id=request.backend_id,
                certificate_pem=certificate_to_pem(certificate),
                encrypted_private_key=encrypted_key,
                sha256_fingerprint=sha256_fingerprint(certificate),
                ip_addresses=tuple(str(address) for address in request.ip_addresses),
                dns_names=request.dns_names,
                not_before=_us_from_datetime(certificate.not_valid_before_utc),
                not_after=_us_from_datetime(certificate.not_valid_after_utc),
                created_at=now_us(),
                replaces_serial_number=replaces,
            )
        )
        logger.info(
            "certificate_issued",
            serial_number=str(serial),
            backend_id=record.backend_id,
            not_after=certificate.not_valid_after_utc.isoformat(),
            key_source="daemon" if key_pem else "csr",
            replaces_serial_number=None if replaces is None else str(replaces),
        )
        return self._bundle_of(record, key_pem)

    def _bundle_of(self, record: CertificateRecord, key_pem: bytes) -> CertificateBundle:
        return CertificateBundle(
            record=record,
            ca_pem=self._authority.certificate_pem.decode(),
            certificate_pem=record.certificate_pem,
            private_key_pem=key_pem.decode(),
        )

    def _decrypt_private_key(self, record: CertificateRecord) -> bytes:
        """Return the stored PKCS#8 PEM key, or b"" for a certificate issued from a CSR."""
        if record.encrypted_private_key is None:
            return b""
        return self._key_encryption.decrypt(
            record.encrypted_private_key, associated_data=str(record.serial_number).encode()
        )

    def _check_ttl(
        self, ttl: datetime.timedelta | None, violations: builtins.list[FieldViolation]
    ) -> datetime.timedelta:
        """Return the validity to sign with: ``ttl``, or the default when it is None."""
        if ttl is None:
            return self._default_ttl
        if ttl <= datetime.timedelta(0):
            violations.append(FieldViolation("ttl", f"ttl: {ttl.total_seconds():g} s is not positive"))
            return ttl

        ca_expiry = self._authority.certificate.not_valid_after_utc
        remaining = ca_expiry - datetime.datetime.now(datetime.timezone.utc)
        if ttl > remaining:
            violations.append(
                FieldViolation(
                    "ttl",
                    f"ttl: {ttl.total_seconds():g} s ends after the CA certificate expires "
                    f"({ca_expiry.isoformat()}); use at most {int(remaining.total_seconds())} s",
                )
            )
        return ttl


def _check_ip_addresses(values: Sequence[str], violations: list[FieldViolation]) -> tuple[IPAddress, ...]:
    _check_count("ip_addresses", values, violations)
    addresses: list[IPAddress] = []
    for value in values:
        try:
            address = ipaddress.ip_address(value.strip())
        except ValueError:
            violations.append(
                FieldViolation("ip_addresses", f"ip_addresses: {shorten(value)} is not a valid IPv4 or IPv6 address")
            )
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            violations.append(
                FieldViolation("ip_addresses", f"ip_addresses: {shorten(value)} has an IPv6 zone id, which is not allowed")
            )
        elif address not in addresses:
            addresses.append(address)
    return tuple(addresses)


def _check_dns_names(values: Sequence[str], violations: list[FieldViolation]) -> tuple[str, ...]:
    _check_count("dns_names", values, violations)
    names: list[str] = []
    for value in values:
        name = check_host_name("dns_names", value, violations)
        if name not in names:
            names.append(name)
    return tuple(names)


def _check_count(field: str, values: Sequence[str], violations: list[FieldViolation]) -> None:
    if len(values) > MAX_NAMES_PER_KIND:
        violations.append(
            FieldViolation(field, f"{field}: {len(values)} entries are more than the maximum of {MAX_NAMES_PER_KIND}")
        )


def _check_csr(csr_pem: str, violations: list[FieldViolation]) -> ClientPublicKey | None:
    try:
        return load_csr_public_key(csr_pem)
    except CsrError as error:
        violations.append(FieldViolation("csr_pem", f"csr_pem: {error}"))
        return None


def _check_reason(reason_code: int, violations: list[FieldViolation]) -> RevocationReason:
    try:
        return RevocationReason(reason_code)
    except ValueError:
        choices = ", ".join(f"{reason.value} ({reason.name})" for reason in RevocationReason)
        violations.append(FieldViolation("reason", f"reason: {reason_code} is not supported; use one of {choices}"))
        return RevocationReason.UNSPECIFIED


def _parse_serial_number(text: str) -> int:
    violations: list[FieldViolation] = []
    serial = _check_serial_number(text, violations)
    _raise_if_any(violations)
    return serial


def _check_serial_number(text: str, violations: list[FieldViolation]) -> int:
    digits = text.strip()
    is_decimal = digits.isascii() and digits.isdigit() and len(digits) <= MAX_SERIAL_DIGITS
    if not is_decimal or not 0 < int(digits) <= MAX_SERIAL_NUMBER:
        violations.append(
            FieldViolation(
                "serial_number",
                f"serial_number: {shorten(text)} is not a valid serial number; give it in decimal, "
                "as ListCertificates returns it",
            )
        )
        return 0
    return int(digits)


def _us_from_datetime(moment: datetime.datetime) -> int:
    # Certificate times have whole seconds, so this conversion is exact.
    return int(moment.timestamp()) * 1_000_000


def _raise_if_any(violations: list[FieldViolation]) -> None:
    if violations:
        raise InvalidArgumentError(violations)
