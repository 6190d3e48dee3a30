"""Connection history in SQLite."""

from __future__ import annotations

from collections.abc import Sequence

from backendsd.connections.model import Transition, TransitionType
from backendsd.store.database import Database, Row


class SqliteHistoryStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def append(self, transitions: Sequence[Transition]) -> None:
        """Store ``transitions`` in one transaction.

        A transition of a backend that was deleted meanwhile is dropped: its
        history went with it, and a manager may still be disconnecting.
        """
        async with self._database.transaction() as connection:
            await connection.executemany(
                "INSERT INTO connection_history (backend_id, at, type, reason, peer, certificate_serial) "
                "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM backends WHERE id = ?)",
                [
                    (t.backend_id, t.at, t.type.value, t.reason, t.peer, t.certificate_serial, t.backend_id)
                    for t in transitions
                ],
            )

    async def list(self, backend_id: str, *, offset: int, limit: int) -> tuple[list[Transition], int]:
        """Return one page of a backend's transitions, newest first, and their total count."""
        rows, total = await self._database.fetch_page(
            columns="backend_id, at, type, reason, peer, certificate_serial",
            source="connection_history WHERE backend_id = ?",
            order="id DESC",
            parameters=(backend_id,),
            limit=limit,
            offset=offset,
        )
        return [_transition_from_row(row) for row in rows], total


def _transition_from_row(row: Row) -> Transition:
    return Transition(
        backend_id=row["backend_id"],
        at=row["at"],
        type=TransitionType(row["type"]),
        reason=row["reason"],
        peer=row["peer"],
        certificate_serial=row["certificate_serial"],
    )
