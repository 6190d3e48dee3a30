"""Encryption at rest of client private keys."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from backendsd.pki.key_encryption import KEK_FILE_NAME, KeyDecryptionError, KeyEncryptionKey


def test_kek_file_is_private(tmp_path: Path) -> None:
    KeyEncryptionKey.load_or_create(tmp_path)

    assert stat.S_IMODE((tmp_path / KEK_FILE_NAME).stat().st_mode) == 0o600


def test_kek_is_reused(tmp_path: Path) -> None:
    """A second load returns the key created by the first, so stored keys stay readable."""
    first = KeyEncryptionKey.load_or_create(tmp_path)

    second = KeyEncryptionKey.load_or_create(tmp_path)

    assert second.key == first.key


def test_round_trip(tmp_path: Path) -> None:
    kek = KeyEncryptionKey.load_or_create(tmp_path)

    blob = kek.encrypt(b"secret key", associated_data=b"123")

    assert kek.decrypt(blob, associated_data=b"123") == b"secret key"
    assert b"secret key" not in blob


def test_other_serial_fails(tmp_path: Path) -> None:
    """A ciphertext moved to another certificate's row does not decrypt."""
    kek = KeyEncryptionKey.load_or_create(tmp_path)
    blob = kek.encrypt(b"secret key", associated_data=b"123")

    with pytest.raises(KeyDecryptionError):
        kek.decrypt(blob, associated_data=b"124")


def test_other_kek_fails(tmp_path: Path) -> None:
    blob = KeyEncryptionKey.load_or_create(tmp_path / "a").encrypt(b"secret key", associated_data=b"1")

    with pytest.raises(KeyDecryptionError):
        KeyEncryptionKey.load_or_create(tmp_path / "b").decrypt(blob, associated_data=b"1")


def test_truncated_kek_file_is_rejected(tmp_path: Path) -> None:
    (tmp_path / KEK_FILE_NAME).write_bytes(b"short")

    with pytest.raises(ValueError, match="32"):
        KeyEncryptionKey.load_or_create(tmp_path)
