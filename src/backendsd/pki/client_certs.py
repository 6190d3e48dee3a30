"""Client certificates for backend managers: CSR checks and signing.

A client certificate names its backend in the subject common name, carries
the requested IP addresses and DNS names as subject alternative names, and
allows TLS client authentication only.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backendsd.pki.authority import END_ENTITY_KEY_USAGE, ORGANIZATION, CertificateAuthority
from backendsd.pki.server_identity import IPAddress

MIN_RSA_KEY_BITS = 2048
ALLOWED_CURVES = (ec.SECP256R1, ec.SECP384R1)

ClientPublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

class CsrError(ValueError):
    """A certificate signing request that cannot be signed; the message gives the reason."""


@dataclass(frozen=True)
class ClientCertificateRequest:
    """Validated subject fields of a client certificate: its backend and subject alternative names."""

    backend_id: str
    ip_addresses: tuple[IPAddress, ...]
    dns_names: tuple[str, ...]


def load_csr_public_key(csr_pem: str) -> ClientPublicKey:
    """Return the public key of a PEM CSR after checking its signature and key.

    Raises CsrError for malformed PEM, a signature that does not verify, or a
    key other than ECDSA P-256, ECDSA P-384 or RSA of at least 2,048 bits.
    """
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as error:
        raise CsrError("not a PEM certificate signing request (BEGIN CERTIFICATE REQUEST)") from error

    try:
        is_signed_by_key = csr.is_signature_valid
    except (ValueError, UnsupportedAlgorithm) as error:
        raise CsrError(f"the signature cannot be checked: {error}") from error
    if not is_signed_by_key:
        raise CsrError("the signature does not verify with the CSR's public key")

    try:
        public_key = csr.public_key()
    except (ValueError, UnsupportedAlgorithm) as error:
        raise CsrError(f"the public key cannot be read: {error}") from error
    return check_public_key(public_key)


def check_public_key(public_key: object) -> ClientPublicKey:
    """Return ``public_key`` if it is an allowed client key type and size; raise CsrError otherwise."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ALLOWED_CURVES):
            raise CsrError(f"ECDSA curve {public_key.curve.name} is not allowed; use P-256 or P-384")
        return public_key
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_KEY_BITS:
            raise CsrError(f"RSA key has {public_key.key_size} bits; use at least {MIN_RSA_KEY_BITS}")
        return public_key
    raise CsrError(f"{type(public_key).__name__} keys are not allowed; use ECDSA P-256, ECDSA P-384 or RSA")


def sign_client_certificate(
    authority: CertificateAuthority,
    request: ClientCertificateRequest,
    public_key: ClientPublicKey,
    validity: datetime.timedelta,
) -> x509.Certificate:
    """Sign a client certificate valid from now for ``validity``, cut to the CA's expiry."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, request.backend_id),
        ]
    )
    builder = (
        authority.new_certificate_builder(subject=subject, public_key=public_key, validity=validity)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(END_ENTITY_KEY_USAGE, critical=True)
    )
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in request.dns_names]
    names += [x509.IPAddress(address) for address in request.ip_addresses]
    # RFC 5280 forbids an empty SubjectAlternativeName extension.
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return authority.sign(builder)


def client_public_key(certificate: x509.Certificate) -> ClientPublicKey:
    """Return the public key of a certificate that this CA issued to a client."""
    return check_public_key(certificate.public_key())


def sha256_fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def certificate_to_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()
