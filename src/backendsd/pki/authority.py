"""The certificate authority that signs the daemon's and the backends' certificates.

Its key and certificate live in ``<data-dir>/pki/`` as ``ca.key`` (mode 0600)
and ``ca.pem``, created on first start.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from backendsd.files import write_private_file, write_public_file
from backendsd.pki.keys import PrivateKey, generate_ec_key, load_private_key, private_key_to_pem, public_key_bytes

logger = structlog.get_logger(__name__)

CA_VALIDITY = datetime.timedelta(days=3650)
CA_COMMON_NAME = "backendsd CA"
ORGANIZATION = "backendsd"

# Certificates start this far in the past so that peers whose clock is a
# little behind ours accept them at once.
CLOCK_SKEW_ALLOWANCE = datetime.timedelta(minutes=5)


# Key usage of the certificates this CA signs for TLS peers: TLS 1.3, and
# TLS 1.2 with ECDHE, need only signatures from the peer's key.
END_ENTITY_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def random_serial_number() -> int:
    """Return a random positive serial of 127 bits (RFC 5280 allows up to 20 octets)."""
    return secrets.randbits(127) | (1 << 126)


@dataclass(frozen=True)
class CertificateAuthority:
    certificate: x509.Certificate
    private_key: PrivateKey

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @classmethod
    def load_or_create(cls, pki_dir: Path) -> CertificateAuthority:
        """Load the CA from ``pki_dir``, creating it there if it does not exist yet."""
        certificate_path, key_path = pki_dir / "ca.pem", pki_dir / "ca.key"
        if certificate_path.exists() or key_path.exists():
            return cls.load(pki_dir)

        authority = cls.create()
        write_private_file(key_path, private_key_to_pem(authority.private_key))
        write_public_file(certificate_path, authority.certificate_pem)
        logger.info(
            "ca_created",
            path=str(certificate_path),
            serial_number=str(authority.certificate.serial_number),
            not_after=authority.certificate.not_valid_after_utc.isoformat(),
        )
        return authority

    @classmethod
    def load(cls, pki_dir: Path) -> CertificateAuthority:
        certificate_path, key_path = pki_dir / "ca.pem", pki_dir / "ca.key"
        missing = [str(path) for path in (certificate_path, key_path) if not path.exists()]
        if missing:
            raise FileNotFoundError(
                f"incomplete CA in {pki_dir}: {', '.join(missing)} missing; restore it from a backup, "
                "or move the pki directory away to create a new CA (certificates it issued stop working)"
            )
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
        private_key = load_private_key(key_path.read_bytes())
        if public_key_bytes(certificate.public_key()) != public_key_bytes(private_key.public_key()):
            raise ValueError(f"{key_path} does not belong to the certificate in {certificate_path}")
        return cls(certificate=certificate, private_key=private_key)

    @classmethod
    def create(cls) -> CertificateAuthority:
        private_key = generate_ec_key()
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
            ]
        )
        now = datetime.datetime.now(datetime.timezone.utc)
        public_key = private_key.public_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(public_key)
            .serial_number(random_serial_number())
            .not_valid_before(now - CLOCK_SKEW_ALLOWANCE)
            .not_valid_after(now + CA_VALIDITY)
            # Path length 0: this CA signs end-entity certificates only.
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .sign(private_key, hashes.SHA256())
        )
        return cls(certificate=certificate, private_key=private_key)

    def new_certificate_builder(
        self,
        *,
        subject: x509.Name,
        public_key: CertificatePublicKeyTypes,
        validity: datetime.timedelta,
    ) -> x509.CertificateBuilder:
        """Start an end-entity certificate signed by this CA, valid from now for ``validity``.

        The validity is cut to the CA's own ``not_after``, because a chain is
        no longer valid than its shortest link.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        not_after = min(now + validity, self.certificate.not_valid_after_utc)
        authority_key = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(random_serial_number())
            .not_valid_before(now - CLOCK_SKEW_ALLOWANCE)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(authority_key), critical=False
            )
        )

    def sign(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        return builder.sign(self.private_key, hashes.SHA256())
