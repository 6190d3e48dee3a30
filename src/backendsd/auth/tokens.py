"""API tokens: how they are made, stored and checked.

A token is 32 random bytes (256 bits) in URL-safe base64 behind a ``bsd_``
prefix, which makes leaked tokens easy to grep for. Only its SHA-256 is
stored: a token has far too much entropy to guess from the hash, so a slow
password hash would add cost and no safety.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "bsd_"
TOKEN_BYTES = 32


class Role(enum.Enum):
    ADMIN = "admin"
    """May call every RPC."""

    VIEWER = "viewer"
    """May call read-only RPCs."""

    def allows(self, required: Role) -> bool:
        return self is Role.ADMIN or required is Role.VIEWER


@dataclass(frozen=True)
class ApiToken:
    """A stored token, without the secret; times are microseconds since the epoch."""

    id: int
    name: str
    role: Role
    created_at: int
    revoked_at: int | None = None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
