"""The certificate record and the queries over it."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RevocationReason(enum.IntEnum):
    """CRLReason codes of RFC 5280, section 5.3.1, that a revocation may give.

    certificateHold (6) and removeFromCRL (8) are left out, because a
    revocation is permanent and no delta CRLs are published.
    """

    UNSPECIFIED = 0
    KEY_COMPROMISE = 1
    CA_COMPROMISE = 2
    AFFILIATION_CHANGED = 3
    SUPERSEDED = 4
    CESSATION_OF_OPERATION = 5
    PRIVILEGE_WITHDRAWN = 9
    AA_COMPROMISE = 10


@dataclass(frozen=True)
class CertificateRecord:
    """An issued client certificate as stored; times are microseconds since the epoch."""

    serial_number: int
    backend_id: str
    certificate_pem: str
    encrypted_private_key: bytes | None
    """AES-GCM ciphertext of the PKCS#8 key; None when the key came from a CSR."""
    sha256_fingerprint: str
    ip_addresses: tuple[str, ...]
    dns_names: tuple[str, ...]
    not_before: int
    not_after: int
    created_at: int
    replaces_serial_number: int | None = None
    revoked_at: int | None = None
    revocation_reason: RevocationReason | None = None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class CertificateQuery:
    """A validated ListCertificates request."""

    offset: int
    limit: int
    backend_id: str = ""
    revoked: bool | None = None


@dataclass(frozen=True)
class CertificatePage:
    """One page of a listing, with the query that produced it."""

    certificates: list[CertificateRecord]
    total: int
    query: CertificateQuery


@dataclass(frozen=True)
class CertificateBundle:
    """PEM files for a manager: the CA certificate, its own certificate and, if stored, its private key."""

    record: CertificateRecord
    ca_pem: str
    certificate_pem: str
    private_key_pem: str
    """Empty when the key came from a CSR and never reached the daemon."""
