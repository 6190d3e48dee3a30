"""Token management, shared by the ``backendsd token`` commands and the daemon."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import structlog

from backendsd.auth.tokens import ApiToken, Role, generate_token, hash_token
from backendsd.clock import now_us
from backendsd.errors import InvalidArgumentError
from backendsd.files import write_private_file
from backendsd.store.protocols import TokenStore
from backendsd.validation import shorten

logger = structlog.get_logger(__name__)

BOOTSTRAP_TOKEN_NAME = "admin"
_TOKEN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the only moment its secret exists outside the caller."""

    record: ApiToken
    secret: str


class TokenService:
    def __init__(self, *, store: TokenStore) -> None:
        self._store = store

    async def create(self, *, name: str, role: Role) -> IssuedToken:
        if not _TOKEN_NAME.match(name):
            raise InvalidArgumentError.for_field(
                "name",
                f"name: {shorten(name)} is not a valid token name; use 1 to 64 letters, digits, "
                "dots, hyphens or underscores, starting with a letter or digit",
            )
        secret = generate_token()
        record = await self._store.add(name, role, hash_token(secret), created_at=now_us())
        logger.info("token_created", token_name=record.name, role=record.role.value)
        return IssuedToken(record=record, secret=secret)

    async def list(self) -> list[ApiToken]:
        return await self._store.list()

    async def revoke(self, name: str) -> ApiToken:
        record = await self._store.revoke(name, revoked_at=now_us())
        logger.info("token_revoked", token_name=record.name, role=record.role.value)
        return record

    async def ensure_admin_token(self, path: Path) -> bool:
        """Create an admin token in ``path`` when no active admin token exists.

        Returns whether a token was written. A user who can read the data
        directory already controls the database, so writing a new token there
        after every admin token was revoked grants no new access.
        """
        secret = generate_token()
        record = await self._store.add_if_no_active(
            Role.ADMIN, hash_token(secret), created_at=now_us(), choose_name=_free_bootstrap_name
        )
        if record is None:
            if not path.exists():
                logger.info(
                    "admin_token_file_missing",
                    path=str(path),
                    recovery="an active admin token exists, so none is written; create another with "
                    f"'backendsd token create --data-dir {path.parent} --role admin --name NAME'",
                )
            return False

        logger.info("token_created", token_name=record.name, role=record.role.value)
        write_private_file(path, secret + "\n")
        logger.info("admin_token_written", path=str(path), token_name=record.name)
        return True


def _free_bootstrap_name(active_names: set[str]) -> str:
    name, counter = BOOTSTRAP_TOKEN_NAME, 1
    while name in active_names:
        counter += 1
        name = f"{BOOTSTRAP_TOKEN_NAME}-{counter}"
    return name
