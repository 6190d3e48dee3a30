"""Signed, short-lived tokens that let a client download one certificate's files.

A token is ``<payload>.<mac>``, both in unpadded URL-safe base64, where the
payload is ``<serial>:<expiry in Unix seconds>`` and the MAC is HMAC-SHA256
over it under a key kept in ``<data-dir>/pki/download-token.key`` (mode
0600). Anyone with the token may fetch the files until it expires, so it
travels only over TLS and is never logged.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import structlog

from backendsd.errors import UnauthenticatedError
from backendsd.files import write_private_file

logger = structlog.get_logger(__name__)

DEFAULT_LIFETIME = datetime.timedelta(minutes=5)
KEY_BYTES = 32
# Binds the MAC to this use, so the key can never vouch for another kind of token.
MAC_CONTEXT = b"backendsd certificate download v1\n"


class DownloadTokens:
    """Issues and checks download tokens."""

    def __init__(
        self,
        *,
        key: bytes,
        lifetime: datetime.timedelta = DEFAULT_LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError(f"the download token key has {len(key)} bytes; it needs at least {KEY_BYTES}")
        self._key = key
        self._lifetime = lifetime
        self._clock = clock

    @classmethod
    def load_or_create(cls, path: Path, *, lifetime: datetime.timedelta = DEFAULT_LIFETIME) -> DownloadTokens:
        """Load the key from ``path``, creating a random one there first if the file does not exist."""
        if not path.exists():
            write_private_file(path, secrets.token_bytes(KEY_BYTES))
            logger.info("download_token_key_created", path=str(path))
        return cls(key=path.read_bytes(), lifetime=lifetime)

    def issue(self, serial_number: str) -> str:
        expires_at = int(self._clock() + self._lifetime.total_seconds())
        payload = f"{serial_number}:{expires_at}".encode()
        return f"{_encode(payload)}.{_encode(self._mac(payload))}"

    def verify(self, token: str, serial_number: str) -> None:
        """Raise UnauthenticatedError unless ``token`` is intact, unexpired and for ``serial_number``."""
        payload = self._authentic_payload(token)
        token_serial, _, expiry_text = payload.partition(":")
        if token_serial != serial_number:
            raise UnauthenticatedError(f"the download token is for another certificate than {serial_number}")
        if not expiry_text.isdigit() or int(expiry_text) <= self._clock():
            raise UnauthenticatedError("the download token has expired; request a new one")

    def _authentic_payload(self, token: str) -> str:
        if not token:
            raise UnauthenticatedError("missing download token; pass ?token=<token> from GET .../download/token")
        payload_text, _, mac_text = token.partition(".")
        try:
            payload, mac = _decode(payload_text), _decode(mac_text)
        except ValueError:
            raise UnauthenticatedError("malformed download token") from None
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise UnauthenticatedError("invalid download token")
        return payload.decode("ascii", errors="replace")

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, MAC_CONTEXT + payload, hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    """Decode unpadded URL-safe base64; raise ValueError for anything else.

    Only the canonical encoding is accepted: the decoder ignores the unused
    low bits of the last character, so without this check several token
    strings would carry the same signed bytes.
    """
    if not text or not text.isascii():
        raise ValueError("not base64")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except binascii.Error as error:
        raise ValueError("not base64") from error
    if _encode(data) != text:
        raise ValueError("not canonical base64")
    return data
