"""Backend management: the one code path that every API door calls."""

from __future__ import annotations

import dataclasses
import unicodedata
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from backendsd.backends.model import Backend, BackendChanges, BackendOrder, BackendPage, BackendQuery
from backendsd.clock import now_us
from backendsd.connections.model import ConnectionState, ConnectionStatus, TerminationType, Transition
from backendsd.connections.registry import ConnectionRegistry
from backendsd.errors import BackendsdError, FieldViolation, InvalidArgumentError
from backendsd.events import BackendEvent, BackendEventType, EventHub, Subscription
from backendsd.paging import DEFAULT_PAGE_SIZE, check_page
from backendsd.store.protocols import BackendStore, HistoryStore
from backendsd.validation import check_address, check_display_name, check_text, check_uuid, shorten

logger = structlog.get_logger(__name__)

MAX_NAME_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 1024
UPDATABLE_FIELDS = ("name", "description", "address")


@dataclass(frozen=True)
class HistoryPage:
    transitions: list[Transition]
    total: int
    offset: int
    limit: int


class RevocationListener(Protocol):
    async def certificates_revoked(self, serial_numbers: Sequence[int]) -> None:
        """React to certificates that were revoked, for example by publishing a new CRL."""


class BackendService:
    """Backend records, their live connections, and the events about both."""

    def __init__(
        self,
        *,
        store: BackendStore,
        history: HistoryStore,
        registry: ConnectionRegistry,
        events: EventHub,
        revocation_listener: RevocationListener | None = None,
    ) -> None:
        self._store = store
        self._revocation_listener = revocation_listener
        self._history = history
        self._registry = registry
        self._events = events

    async def create(self, *, name: str, description: str, address: str) -> Backend:
        violations: list[FieldViolation] = []
        name = _check_name(name, violations)
        description = _check_description(description, violations)
        address = check_address("address", address, violations)
        _raise_if_any(violations)

        now = now_us()
        backend = await self._store.create(
            Backend(
                id=str(uuid.uuid4()),
                name=name,
                description=description,
                address=address,
                created_at=now,
                updated_at=now,
            )
        )
        logger.info("backend_created", backend_id=backend.id, address=backend.address)
        self._publish(BackendEventType.CREATED, backend)
        return backend

    async def get(self, backend_id: str) -> Backend:
        return await self._store.get(_check_backend_id(backend_id))

    def connection(self, backend_id: str) -> ConnectionState:
        return self._registry.connection(backend_id)

    async def list(
        self,
        *,
        offset: int = 0,
        limit: int = 0,
        name: str = "",
        address: str = "",
        order_by: str = "",
        descending: bool = False,
        status: ConnectionStatus | None = None,
    ) -> BackendPage:
        query = _build_query(offset, limit, name, address, order_by, descending)
        if status is ConnectionStatus.DISCONNECTED:
            live = self._registry.backend_ids_with((ConnectionStatus.CONNECTED, ConnectionStatus.UNRESPONSIVE))
            query = dataclasses.replace(query, excluded_ids=frozenset(live))
        elif status is not None:
            query = dataclasses.replace(query, only_ids=frozenset(self._registry.backend_ids_with((status,))))
        return await self._store.list(query)

    async def update(
        self,
        backend_id: str,
        *,
        name: str,
        description: str,
        address: str,
        update_mask: Collection[str] = (),
    ) -> Backend:
        """Replace all editable fields, or only those named in ``update_mask``."""
        violations: list[FieldViolation] = []
        backend_id = check_uuid("id", backend_id, violations)
        fields = _check_update_mask(update_mask, violations)
        changes = BackendChanges(
            name=_check_name(name, violations) if "name" in fields else None,
            description=_check_description(description, violations) if "description" in fields else None,
            address=check_address("address", address, violations) if "address" in fields else None,
        )
        _raise_if_any(violations)

        backend = await self._store.update(backend_id, changes, updated_at=now_us())
        logger.info("backend_updated", backend_id=backend.id, fields=sorted(fields))
        self._registry.refresh_backend(backend)
        self._publish(BackendEventType.UPDATED, backend)
        return backend

    async def delete(self, backend_id: str) -> None:
        """Delete the backend and revoke its certificates with reason cessationOfOperation.

        A connected manager is terminated first, with the operator reason.
        """
        backend = await self.get(backend_id)
        if self._registry.connection(backend.id).status is not ConnectionStatus.DISCONNECTED:
            try:
                await self._registry.terminate(backend.id, TerminationType.USER_INITIATED)
            except BackendsdError as error:
                # The session has ended either way (a manager that does not
                # read loses it); the backend goes regardless.
                logger.warning("backend_terminate_failed", backend_id=backend.id, error=error.message)

        revoked = await self._store.delete(backend.id, deleted_at=now_us())
        logger.info("backend_deleted", backend_id=backend.id, revoked_certificates=len(revoked))
        self._publish(BackendEventType.DELETED, backend)
        if revoked and self._revocation_listener is not None:
            await self._revocation_listener.certificates_revoked(revoked)

    async def terminate(self, backend_id: str, termination: TerminationType | None) -> None:
        """Send Terminate to the backend's manager and end its stream."""
        violations: list[FieldViolation] = []
        backend_id = check_uuid("id", backend_id, violations)
        if termination is None:
            choices = ", ".join(t.name for t in TerminationType)
            violations.append(FieldViolation("type", f"type is required; use one of {choices}"))
        if termination is None or violations:
            raise InvalidArgumentError(violations)

        await self._store.get(backend_id)
        await self._registry.terminate(backend_id, termination)
        logger.info("backend_terminated", backend_id=backend_id, reason=termination.message)

    async def history(self, backend_id: str, *, offset: int = 0, limit: int = 0) -> HistoryPage:
        """Return one page of the backend's connection transitions, newest first."""
        violations: list[FieldViolation] = []
        backend_id = check_uuid("backend_id", backend_id, violations)
        check_page(offset, limit, violations)
        _raise_if_any(violations)

        await self._store.get(backend_id)
        page_size = limit or DEFAULT_PAGE_SIZE
        transitions, total = await self._history.list(backend_id, offset=offset, limit=page_size)
        return HistoryPage(transitions=transitions, total=total, offset=offset, limit=page_size)

    def watch(self, *, statuses: Collection[ConnectionStatus] = (), backend_ids: Collection[str] = ()) -> Subscription[BackendEvent]:
        """Subscribe to backend events; close the subscription when done."""
        violations: list[FieldViolation] = []
        ids = [check_uuid("backend_ids", backend_id, violations) for backend_id in backend_ids]
        _raise_if_any(violations)
        return self._events.watch(statuses=statuses, backend_ids=ids)

    def _publish(self, event_type: BackendEventType, backend: Backend) -> None:
        event = BackendEvent(type=event_type, backend=backend, connection=self._registry.connection(backend.id), at=now_us())
        self._events.publish(event)


def _check_backend_id(backend_id: str) -> str:
    violations: list[FieldViolation] = []
    canonical = check_uuid("id", backend_id, violations)
    _raise_if_any(violations)
    return canonical


def _check_name(name: str, violations: list[FieldViolation]) -> str:
    return check_display_name("name", name, violations, max_length=MAX_NAME_LENGTH)


def _check_description(description: str, violations: list[FieldViolation]) -> str:
    return check_text(
        "description", description, violations, min_length=0, max_length=MAX_DESCRIPTION_LENGTH, allow_line_breaks=True
    )


def _check_update_mask(paths: Collection[str], violations: list[FieldViolation]) -> set[str]:
    if not paths:
        return set(UPDATABLE_FIELDS)
    # dict.fromkeys drops repeated paths and keeps the order of the rest.
    unknown = [path for path in dict.fromkeys(paths) if path not in UPDATABLE_FIELDS]
    for path in unknown:
        violations.append(
            FieldViolation(
                "update_mask",
                f"update_mask: {shorten(path)} is not an updatable field; use {', '.join(UPDATABLE_FIELDS)}",
            )
        )
    return set(paths) - set(unknown)


def _build_query(offset: int, limit: int, name: str, address: str, order_by: str, descending: bool) -> BackendQuery:
    violations: list[FieldViolation] = []
    check_page(offset, limit, violations)

    order = BackendOrder.CREATED_AT
    if order_by:
        try:
            order = BackendOrder(order_by)
        except ValueError:
            choices = ", ".join(o.value for o in BackendOrder)
            violations.append(FieldViolation("order_by", f"order_by: {shorten(order_by)} is not supported; use one of {choices}"))

    normalized_address = check_address("address", address, violations) if address else ""
    _raise_if_any(violations)

    return BackendQuery(
        offset=offset,
        limit=limit or DEFAULT_PAGE_SIZE,
        # Stored names are in NFC, so the filter must be too.
        name_contains=unicodedata.normalize("NFC", name.strip()),
        address=normalized_address,
        order_by=order,
        descending=descending,
    )


def _raise_if_any(violations: list[FieldViolation]) -> None:
    if violations:
        raise InvalidArgumentError(violations)
