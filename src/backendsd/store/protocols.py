"""Storage interfaces that the services depend on.

The SQLite classes implement these; a PostgreSQL store for several replicas
would implement them too, leaving the services unchanged.
"""

from __future__ import annotations

from typing import Protocol

from backendsd.auth.tokens import ApiToken, Role
from backendsd.backends.model import Backend, BackendChanges, BackendPage, BackendQuery


class BackendStore(Protocol):
    async def create(self, backend: Backend) -> Backend:
        """Insert ``backend``; raise AlreadyExistsError if its address is taken."""

    async def get(self, backend_id: str) -> Backend:
        """Return the backend; raise NotFoundError if there is none."""

    async def list(self, query: BackendQuery) -> BackendPage: ...

    async def update(self, backend_id: str, changes: BackendChanges, updated_at: int) -> Backend:
        """Apply ``changes`` atomically; raise NotFoundError or AlreadyExistsError."""

    async def delete(self, backend_id: str) -> None:
        """Remove the backend and its dependent rows; raise NotFoundError."""


class TokenStore(Protocol):
    async def add(self, name: str, role: Role, token_hash: str, created_at: int) -> ApiToken:
        """Insert a token; raise AlreadyExistsError if an active one has ``name``."""

    async def find_active(self, token_hash: str) -> ApiToken | None: ...

    async def list(self) -> list[ApiToken]:
        """Return every token, revoked ones included, oldest first."""

    async def revoke(self, name: str, revoked_at: int) -> ApiToken:
        """Revoke the active token called ``name``; raise NotFoundError."""

    async def count_active(self, role: Role) -> int: ...
