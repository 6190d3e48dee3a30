"""Storage interfaces that the services depend on.

The SQLite classes implement these; a PostgreSQL store for several replicas
would implement them too, leaving the services unchanged.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Protocol

from backendsd.auth.tokens import ApiToken, Role
from backendsd.computations.model import AgentRecord, AgentRecordPage, AgentRecordQuery
from backendsd.backends.model import (
    Backend,
    BackendChanges,
    BackendInformation,
    BackendPage,
    BackendQuery,
    SvmInfoUpdate,
)
from backendsd.certs.model import CertificatePage, CertificateQuery, CertificateRecord, RevocationReason
from backendsd.connections.model import Transition


class BackendStore(Protocol):
    async def create(self, backend: Backend) -> Backend:
        """Insert ``backend``; raise AlreadyExistsError if its address is taken."""

    async def get(self, backend_id: str) -> Backend:
        """Return the backend; raise NotFoundError if there is none."""

    async def list(self, query: BackendQuery) -> BackendPage: ...

    async def update(self, backend_id: str, changes: BackendChanges, updated_at: int) -> Backend:
        """Apply ``changes`` atomically; raise NotFoundError or AlreadyExistsError."""

    async def delete(self, backend_id: str, deleted_at: int) -> builtins.list[int]:
        """Remove the backend and revoke its certificates in one transaction; raise NotFoundError.

        The certificates are kept, revoked at ``deleted_at`` with reason
        cessationOfOperation, so the CRL keeps listing them. Returns the
        serial numbers that this call revoked.
        """


class TokenStore(Protocol):
    async def add(self, name: str, role: Role, token_hash: str, created_at: int) -> ApiToken:
        """Insert a token; raise AlreadyExistsError if an active one has ``name``."""

    async def add_if_no_active(
        self, role: Role, token_hash: str, created_at: int, choose_name: Callable[[set[str]], str]
    ) -> ApiToken | None:
        """Insert a token with ``role`` unless an active token has that role; return it, or None.

        The check and the insert are one transaction, so two processes that
        start at once create one token between them. ``choose_name``
        receives the names of all active tokens and returns the new token's
        name.
        """

    async def find_active(self, token_hash: str) -> ApiToken | None: ...

    async def list(self) -> list[ApiToken]:
        """Return every token, revoked ones included, oldest first."""

    async def revoke(self, name: str, revoked_at: int) -> ApiToken:
        """Revoke the active token called ``name``; raise NotFoundError."""


class CertificateStore(Protocol):
    async def add(self, record: CertificateRecord) -> CertificateRecord:
        """Insert ``record``.

        Raises NotFoundError if its backend does not exist, and, for a
        renewal, NotFoundError or FailedPreconditionError if the certificate
        it replaces is missing or revoked. Both are checked in the insert's
        transaction.
        """

    async def get(self, serial_number: int) -> CertificateRecord:
        """Return the certificate; raise NotFoundError if there is none."""

    async def list(self, query: CertificateQuery) -> CertificatePage: ...

    async def revoke(
        self, serial_number: int, revoked_at: int, reason: RevocationReason
    ) -> tuple[CertificateRecord, bool]:
        """Revoke the certificate unless it is revoked already; raise NotFoundError.

        Returns the stored record and whether this call revoked it.
        """

    async def list_revoked(self, *, not_expired_at: int) -> builtins.list[CertificateRecord]:
        """Return revoked certificates whose not_after is later than ``not_expired_at``."""
class HistoryStore(Protocol):
    async def append(self, transitions: Sequence[Transition]) -> None:
        """Store ``transitions``, dropping those of backends that no longer exist."""

    async def list(self, backend_id: str, *, offset: int, limit: int) -> tuple[list[Transition], int]:
        """Return one page of a backend's transitions, newest first, and the total."""


class InformationStore(Protocol):
    async def get(self, backend_id: str) -> BackendInformation:
        """Return the stored information; empty fields for a backend never asked."""

    async def save_attestation_policy(self, backend_id: str, policy: bytes, fetched_at: int) -> None: ...

    async def save_svm_infos(self, updates: Sequence[SvmInfoUpdate]) -> None: ...


class AgentRecordStore(Protocol):
    async def append(self, records: Sequence[AgentRecord]) -> None:
        """Store ``records``, dropping those of backends that no longer exist."""

    async def list(self, query: AgentRecordQuery) -> AgentRecordPage: ...

    async def delete_older_than(self, received_before: int) -> int: ...

    async def trim_per_backend(self, keep: int) -> int: ...
