"""Backends in SQLite."""

from __future__ import annotations

import builtins
import json

import aiosqlite

from backendsd.backends.model import Backend, BackendChanges, BackendOrder, BackendPage, BackendQuery
from backendsd.certs.model import RevocationReason
from backendsd.errors import AlreadyExistsError, NotFoundError
from backendsd.store.database import Database, Row

_COLUMNS = "id, name, description, address, created_at, updated_at"

# Keys are fixed strings, never caller input, because they are put into SQL.
_ORDER_COLUMNS = {
    BackendOrder.CREATED_AT: "created_at",
    BackendOrder.NAME: "name_folded",
}


class SqliteBackendStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, backend: Backend) -> Backend:
        async with self._database.transaction() as connection:
            await _check_address_free(connection, backend.address, own_id=None)
            await connection.execute(
                f"INSERT INTO backends ({_COLUMNS}, name_folded) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    backend.id,
                    backend.name,
                    backend.description,
                    backend.address,
                    backend.created_at,
                    backend.updated_at,
                    backend.name.casefold(),
                ),
            )
        return backend

    async def get(self, backend_id: str) -> Backend:
        row = await self._database.fetch_by_key(f"SELECT {_COLUMNS} FROM backends WHERE id = ?", (backend_id,))
        if row is None:
            raise NotFoundError("backend", backend_id)
        return _backend_from_row(row)

    async def list(self, query: BackendQuery) -> BackendPage:
        conditions: list[str] = []
        parameters: list[object] = []
        if query.name_contains:
            conditions.append("instr(name_folded, ?) > 0")
            parameters.append(query.name_contains.casefold())
        if query.address:
            conditions.append("address = ?")
            parameters.append(query.address)
        # Id sets travel as one JSON array, so their size is not bound by
        # SQLite's limit on the number of parameters.
        if query.only_ids is not None:
            conditions.append("id IN (SELECT value FROM json_each(?))")
            parameters.append(json.dumps(sorted(query.only_ids)))
        if query.excluded_ids:
            conditions.append("id NOT IN (SELECT value FROM json_each(?))")
            parameters.append(json.dumps(sorted(query.excluded_ids)))
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""

        direction = "DESC" if query.descending else "ASC"
        order = f"{_ORDER_COLUMNS[query.order_by]} {direction}, id {direction}"

        rows, total = await self._database.fetch_page(
            columns=_COLUMNS,
            source=f"backends {where}",
            order=order,
            parameters=parameters,
            limit=query.limit,
            offset=query.offset,
        )
        return BackendPage(backends=[_backend_from_row(row) for row in rows], total=total, query=query)

    async def update(self, backend_id: str, changes: BackendChanges, updated_at: int) -> Backend:
        columns = changes.as_columns()
        if "name" in columns:
            columns["name_folded"] = columns["name"].casefold()
        # Column names come from BackendChanges, never from the caller.
        assignments = ", ".join(f"{column} = ?" for column in [*columns, "updated_at"])

        async with self._database.transaction() as connection:
            # A missing backend is reported before an address conflict, so
            # the caller learns the first thing to fix.
            if not await connection.execute_fetchall("SELECT 1 FROM backends WHERE id = ?", (backend_id,)):
                raise NotFoundError("backend", backend_id)
            if changes.address is not None:
                await _check_address_free(connection, changes.address, own_id=backend_id)
            rows = list(
                await connection.execute_fetchall(
                    f"UPDATE backends SET {assignments} WHERE id = ? RETURNING {_COLUMNS}",
                    (*columns.values(), updated_at, backend_id),
                )
            )
        if not rows:
            raise RuntimeError("UPDATE ... RETURNING returned no row for a backend found in the same transaction")
        return _backend_from_row(rows[0])

    async def delete(self, backend_id: str, deleted_at: int) -> builtins.list[int]:
        async with self._database.transaction() as connection:
            cursor = await connection.execute("DELETE FROM backends WHERE id = ?", (backend_id,))
            if cursor.rowcount == 0:
                raise NotFoundError("backend", backend_id)
            rows = await connection.execute_fetchall(
                "UPDATE certificates SET revoked_at = ?, revocation_reason = ? "
                "WHERE backend_id = ? AND revoked_at IS NULL RETURNING serial_number",
                (deleted_at, int(RevocationReason.CESSATION_OF_OPERATION), backend_id),
            )
        return [int(row[0]) for row in rows]


async def _check_address_free(connection: aiosqlite.Connection, address: str, own_id: str | None) -> None:
    # execute_fetchall takes one trip to aiosqlite's thread, a cursor three.
    for (owner,) in await connection.execute_fetchall("SELECT id FROM backends WHERE address = ?", (address,)):
        if owner != own_id:
            raise AlreadyExistsError(f"address {address!r} is already used by backend {owner}", existing_id=str(owner))


def _backend_from_row(row: Row) -> Backend:
    return Backend(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        address=row["address"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
