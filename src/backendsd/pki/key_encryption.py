"""Encryption at rest for the client private keys that the daemon generates.

Keys are encrypted with AES-256-GCM under a key-encryption key (KEK) kept in
``<data-dir>/pki/client-keys.kek`` (32 random bytes, mode 0600), so that a
copy of the database alone does not reveal them. Each ciphertext is bound to
its certificate's serial number through the GCM associated data, so a
ciphertext moved to another row fails to decrypt.

Stored layout: one format byte (``1``), the 12-byte nonce, then the
ciphertext with its 16-byte tag.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backendsd.files import write_private_file

logger = structlog.get_logger(__name__)

KEK_FILE_NAME = "client-keys.kek"
KEK_BYTES = 32
NONCE_BYTES = 12
FORMAT_VERSION = 1


class KeyDecryptionError(Exception):
    """A stored private key cannot be decrypted: wrong KEK, wrong serial or damaged data."""


@dataclass(frozen=True)
class KeyEncryptionKey:
    """The AES-256-GCM key that encrypts stored client private keys."""

    path: Path
    key: bytes = field(repr=False)

    @classmethod
    def load_or_create(cls, pki_dir: Path) -> KeyEncryptionKey:
        """Load the KEK from ``pki_dir``, creating it there on first use."""
        path = pki_dir / KEK_FILE_NAME
        if not path.exists():
            _create_exclusively(path, secrets.token_bytes(KEK_BYTES))
        key = path.read_bytes()
        if len(key) != KEK_BYTES:
            raise ValueError(
                f"{path} has {len(key)} bytes, and a key-encryption key has {KEK_BYTES}; "
                "restore it from a backup, because the stored private keys need it"
            )
        return cls(path=path, key=key)

    def encrypt(self, plaintext: bytes, *, associated_data: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = AESGCM(self.key).encrypt(nonce, plaintext, associated_data)
        return bytes([FORMAT_VERSION]) + nonce + ciphertext

    def decrypt(self, blob: bytes, *, associated_data: bytes) -> bytes:
        """Return the plaintext; raise KeyDecryptionError if the blob fails authentication."""
        if len(blob) < 1 + NONCE_BYTES or blob[0] != FORMAT_VERSION:
            raise KeyDecryptionError(f"encrypted key has an unknown format (first byte {blob[:1].hex() or 'missing'})")
        nonce, ciphertext = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return AESGCM(self.key).decrypt(nonce, ciphertext, associated_data)
        except InvalidTag as error:
            raise KeyDecryptionError(f"encrypted key failed authentication with the key-encryption key {self.path}") from error


def _create_exclusively(path: Path, key: bytes) -> None:
    """Write ``key`` to ``path`` unless another process created it first.

    The daemon and ``backendsd certs issue`` may both create the file at the
    same moment. Each writes a private file under its own name and links it
    to ``path``, which fails if ``path`` exists, so exactly one key wins and
    neither process overwrites the other's.
    """
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    write_private_file(candidate, key)
    try:
        os.link(candidate, path)
    except FileExistsError:
        return
    finally:
        candidate.unlink()
    logger.info("key_encryption_key_created", path=str(path))
