"""Agent logs and events in SQLite."""

from __future__ import annotations

from collections.abc import Sequence

from backendsd.computations.model import (
    AgentEventRecord,
    AgentLogRecord,
    AgentRecord,
    AgentRecordPage,
    AgentRecordQuery,
    RecordKind,
)
from backendsd.store.database import Database, Row

_LOG_COLUMNS = "backend_id, computation_id, level, message, timestamp, received_at"
_EVENT_COLUMNS = "backend_id, computation_id, event_type, details, originator, status, timestamp, received_at"

# Column names per kind; fixed strings, never caller input, because they go into SQL.
_TABLES = {
    RecordKind.LOG: ("agent_logs", _LOG_COLUMNS, "level"),
    RecordKind.EVENT: ("agent_events", _EVENT_COLUMNS, "event_type"),
}

# A record of a backend deleted meanwhile is dropped, as its stored records went with it.
_BACKEND_EXISTS = "WHERE EXISTS (SELECT 1 FROM backends WHERE id = ?)"


class SqliteAgentRecordStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def append(self, records: Sequence[AgentRecord]) -> None:
        """Store ``records`` in one transaction."""
        logs = [r for r in records if isinstance(r, AgentLogRecord)]
        events = [r for r in records if isinstance(r, AgentEventRecord)]
        async with self._database.transaction() as connection:
            if logs:
                await connection.executemany(
                    f"INSERT INTO agent_logs ({_LOG_COLUMNS}) SELECT ?, ?, ?, ?, ?, ? {_BACKEND_EXISTS}",
                    [
                        (r.backend_id, r.computation_id, r.level, r.message, r.timestamp, r.received_at, r.backend_id)
                        for r in logs
                    ],
                )
            if events:
                await connection.executemany(
                    f"INSERT INTO agent_events ({_EVENT_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?, ? {_BACKEND_EXISTS}",
                    [
                        (
                            r.backend_id,
                            r.computation_id,
                            r.event_type,
                            r.details,
                            r.originator,
                            r.status,
                            r.timestamp,
                            r.received_at,
                            r.backend_id,
                        )
                        for r in events
                    ],
                )

    async def list(self, query: AgentRecordQuery) -> AgentRecordPage:
        table, columns, category_column = _TABLES[query.kind]
        conditions: list[str] = []
        parameters: list[object] = []
        for column, value in (
            ("backend_id", query.backend_id),
            ("computation_id", query.computation_id),
            (category_column, query.category),
        ):
            if value:
                conditions.append(f"{column} = ?")
                parameters.append(value)
        if query.since is not None:
            conditions.append("timestamp >= ?")
            parameters.append(query.since)
        if query.until is not None:
            conditions.append("timestamp < ?")
            parameters.append(query.until)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""

        rows, total = await self._database.fetch_page(
            columns=columns,
            source=f"{table} {where}",
            order="id DESC",
            parameters=parameters,
            limit=query.limit,
            offset=query.offset,
        )
        convert = _log_from_row if query.kind is RecordKind.LOG else _event_from_row
        return AgentRecordPage(records=[convert(row) for row in rows], total=total, query=query)

    async def delete_older_than(self, received_before: int) -> int:
        """Delete records received before ``received_before``; return how many went."""
        deleted = 0
        async with self._database.transaction() as connection:
            for table, _, _ in _TABLES.values():
                cursor = await connection.execute(f"DELETE FROM {table} WHERE received_at < ?", (received_before,))
                deleted += cursor.rowcount
        return deleted

    async def trim_per_backend(self, keep: int) -> int:
        """Keep only the newest ``keep`` records of each kind per backend; return how many went."""
        deleted = 0
        async with self._database.transaction() as connection:
            for table, _, _ in _TABLES.values():
                async with connection.execute(
                    f"SELECT backend_id FROM {table} GROUP BY backend_id HAVING count(*) > ?", (keep,)
                ) as cursor:
                    crowded = [row[0] for row in await cursor.fetchall()]
                for backend_id in crowded:
                    # Uses the (backend_id, id) index: finds the oldest id to keep, deletes below it.
                    cursor = await connection.execute(
                        f"DELETE FROM {table} WHERE backend_id = ? AND id <= "
                        f"(SELECT id FROM {table} WHERE backend_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                        (backend_id, backend_id, keep),
                    )
                    deleted += cursor.rowcount
        return deleted

    async def count(self, kind: RecordKind) -> int:
        table = _TABLES[kind][0]
        row = await self._database.fetch_one(f"SELECT count(*) FROM {table}")
        return int(row[0]) if row else 0


def _log_from_row(row: Row) -> AgentLogRecord:
    return AgentLogRecord(
        backend_id=row["backend_id"],
        computation_id=row["computation_id"],
        level=row["level"],
        message=row["message"],
        timestamp=row["timestamp"],
        received_at=row["received_at"],
    )


def _event_from_row(row: Row) -> AgentEventRecord:
    return AgentEventRecord(
        backend_id=row["backend_id"],
        computation_id=row["computation_id"],
        event_type=row["event_type"],
        details=bytes(row["details"]),
        originator=row["originator"],
        status=row["status"],
        timestamp=row["timestamp"],
        received_at=row["received_at"],
    )


