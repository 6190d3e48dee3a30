"""Certificates for tests: a CA, server certificates and client certificates, made with ``cryptography``."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=1)
CLOCK_SKEW = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key; a CA's own certificate is one too."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def private_key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def write(self, directory: Path, certificate_name: str = "cert.pem", key_name: str = "key.pem") -> None:
        """Write the certificate and key as PEM files into ``directory``, creating it if needed."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / certificate_name).write_bytes(self.certificate_pem)
        (directory / key_name).write_bytes(self.private_key_pem)


def make_ca(common_name: str = "test CA") -> IssuedCertificate:
    """Make a self-signed CA that may sign end-entity certificates only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        _builder(subject=name, issuer=name, public_key=key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return IssuedCertificate(certificate, key)


def make_server_certificate(
    ca: IssuedCertificate, names: Sequence[str] = ("localhost", "127.0.0.1")
) -> IssuedCertificate:
    """Make a TLS server certificate signed by ``ca`` for each DNS name or IP address in ``names``."""
    alternative_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alternative_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternative_names.append(x509.DNSName(name))
    return _issue(
        ca,
        common_name=names[0],
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        extra=x509.SubjectAlternativeName(alternative_names),
    )


def make_client_certificate(ca: IssuedCertificate, common_name: str) -> IssuedCertificate:
    """Make a TLS client certificate (clientAuth extended key usage) signed by ``ca``."""
    return _issue(ca, common_name=common_name, usage=ExtendedKeyUsageOID.CLIENT_AUTH, extra=None)


def _issue(
    ca: IssuedCertificate,
    *,
    common_name: str,
    usage: x509.ObjectIdentifier,
    extra: x509.SubjectAlternativeName | None,
) -> IssuedCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        _builder(subject=subject, issuer=ca.certificate.subject, public_key=key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if extra is not None:
        builder = builder.add_extension(extra, critical=False)
    return IssuedCertificate(builder.sign(ca.private_key, hashes.SHA256()), key)


def _builder(
    *, subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + VALIDITY)
    )


def _key_usage(*, key_cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
