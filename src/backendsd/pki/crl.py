"""The certificate revocation list (CRL) of the daemon's CA.

The CRL is signed anew from the store whenever a certificate is revoked, when
the daemon starts and on every GetCrl call, and written to
``<data-dir>/pki/crl.pem``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from backendsd.files import write_public_file
from backendsd.pki.authority import CLOCK_SKEW_ALLOWANCE, CertificateAuthority

CRL_FILE_NAME = "crl.pem"

# How long a relying party may use the CRL before fetching a new one.
# How long each signed CRL is valid. The daemon re-signs it well before
# that (serve --crl-refresh-interval, one day by default).
CRL_VALIDITY = datetime.timedelta(days=7)

# Indexed by RFC 5280 CRLReason code. Code 0 (unspecified) has no entry,
# because RFC 5280 recommends omitting the reason extension instead.
REASON_FLAGS: dict[int, x509.ReasonFlags] = {
    1: x509.ReasonFlags.key_compromise,
    2: x509.ReasonFlags.ca_compromise,
    3: x509.ReasonFlags.affiliation_changed,
    4: x509.ReasonFlags.superseded,
    5: x509.ReasonFlags.cessation_of_operation,
    9: x509.ReasonFlags.privilege_withdrawn,
    10: x509.ReasonFlags.aa_compromise,
}


@dataclass(frozen=True)
class RevokedEntry:
    """One revoked certificate as the CRL lists it."""

    serial_number: int
    revoked_at: datetime.datetime
    reason_code: int


def sign_crl(authority: CertificateAuthority, entries: Iterable[RevokedEntry]) -> x509.CertificateRevocationList:
    """Sign a CRL that lists ``entries``, valid from now for CRL_VALIDITY."""
    now = datetime.datetime.now(datetime.timezone.utc)
    authority_key = authority.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.certificate.subject)
        .last_update(now - CLOCK_SKEW_ALLOWANCE)
        .next_update(now + CRL_VALIDITY)
        # RFC 5280 requires a CRL number that grows with every CRL. The time in
        # microseconds grows unless the clock is set back.
        .add_extension(x509.CRLNumber(int(now.timestamp() * 1_000_000)), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(authority_key), critical=False)
    )
    for entry in entries:
        builder = builder.add_revoked_certificate(_revoked_certificate(entry))
    return builder.sign(authority.private_key, hashes.SHA256())


def write_crl(pki_dir: Path, crl: x509.CertificateRevocationList) -> bytes:
    """Write ``crl`` to ``pki_dir``/crl.pem atomically and return its PEM."""
    pem = crl.public_bytes(serialization.Encoding.PEM)
    write_public_file(pki_dir / CRL_FILE_NAME, pem)
    return pem


def _revoked_certificate(entry: RevokedEntry) -> x509.RevokedCertificate:
    builder = x509.RevokedCertificateBuilder().serial_number(entry.serial_number).revocation_date(entry.revoked_at)
    flag = REASON_FLAGS.get(entry.reason_code)
    if flag is not None:
        builder = builder.add_extension(x509.CRLReason(flag), critical=False)
    return builder.build()
