"""Private keys: generation and PEM encoding."""

from __future__ import annotations

import enum

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

RSA_PUBLIC_EXPONENT = 65537


class KeyType(enum.Enum):
    """Algorithm of the key pairs that the daemon generates for client certificates."""

    ECDSA_P256 = "ecdsa-p256"
    RSA2048 = "rsa2048"


def generate_ec_key() -> ec.EllipticCurvePrivateKey:
    """Generate an ECDSA P-256 key: small, and cheap in TLS handshakes."""
    return ec.generate_private_key(ec.SECP256R1())


def generate_key(key_type: KeyType) -> PrivateKey:
    if key_type is KeyType.RSA2048:
        return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=2048)
    return generate_ec_key()


def private_key_to_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def load_private_key(pem: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise ValueError(f"unsupported private key type {type(key).__name__}; expected ECDSA or RSA")
    return key


def public_key_bytes(key: CertificatePublicKeyTypes) -> bytes:
    """Return the DER SubjectPublicKeyInfo of ``key``, for comparing keys of any type."""
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
