"""API tokens in SQLite."""

from __future__ import annotations

from collections.abc import Callable

from backendsd.auth.tokens import ApiToken, Role
from backendsd.errors import AlreadyExistsError, NotFoundError
from backendsd.store.database import Database, Row

_COLUMNS = "id, name, role, created_at, revoked_at"


class SqliteTokenStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add_if_no_active(
        self, role: Role, token_hash: str, created_at: int, choose_name: Callable[[set[str]], str]
    ) -> ApiToken | None:
        async with self._database.transaction() as connection:
            async with connection.execute(
                "SELECT 1 FROM api_tokens WHERE role = ? AND revoked_at IS NULL LIMIT 1", (role.value,)
            ) as cursor:
                if await cursor.fetchone() is not None:
                    return None
            async with connection.execute("SELECT name FROM api_tokens WHERE revoked_at IS NULL") as cursor:
                active_names = {str(row[0]) for row in await cursor.fetchall()}

            async with connection.execute(
                f"INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING {_COLUMNS}",
                (choose_name(active_names), role.value, token_hash, created_at),
            ) as cursor:
                row = await cursor.fetchone()
        if row is None:
            raise RuntimeError("INSERT ... RETURNING returned no row")
        return _token_from_row(row)

    async def add(self, name: str, role: Role, token_hash: str, created_at: int) -> ApiToken:
        async with self._database.transaction() as connection:
            async with connection.execute(
                "SELECT id FROM api_tokens WHERE name = ? AND revoked_at IS NULL", (name,)
            ) as cursor:
                existing = await cursor.fetchone()
            if existing is not None:
                raise AlreadyExistsError(f"an active token named {name!r} already exists", existing_id=str(existing[0]))

            async with connection.execute(
                f"INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING {_COLUMNS}",
                (name, role.value, token_hash, created_at),
            ) as cursor:
                row = await cursor.fetchone()
        if row is None:
            raise RuntimeError("INSERT ... RETURNING returned no row")
        return _token_from_row(row)

    async def find_active(self, token_hash: str) -> ApiToken | None:
        row = await self._database.fetch_by_key(
            f"SELECT {_COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", (token_hash,)
        )
        return _token_from_row(row) if row is not None else None

    async def list(self) -> list[ApiToken]:
        rows = await self._database.fetch_all(f"SELECT {_COLUMNS} FROM api_tokens ORDER BY id")
        return [_token_from_row(row) for row in rows]

    async def revoke(self, name: str, revoked_at: int) -> ApiToken:
        async with self._database.transaction() as connection:
            async with connection.execute(
                f"UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL RETURNING {_COLUMNS}",
                (revoked_at, name),
            ) as cursor:
                row = await cursor.fetchone()
        if row is None:
            raise NotFoundError("active token", name)
        return _token_from_row(row)


def _token_from_row(row: Row) -> ApiToken:
    return ApiToken(
        id=row["id"],
        name=row["name"],
        role=Role(row["role"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
