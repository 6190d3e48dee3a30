"""TokenService against real SQLite files, without a daemon."""

from __future__ import annotations

import asyncio
from pathlib import Path

from backendsd.auth.service import TokenService
from backendsd.auth.tokens import Role
from backendsd.store.database import Database
from backendsd.store.tokens import SqliteTokenStore

CONCURRENT_STARTS = 8


async def test_ensure_admin_token_concurrent_creates_one(tmp_path: Path) -> None:
    """Processes that bootstrap the same database at once create exactly one admin token, and none fails."""
    databases = [await Database.open(tmp_path / "backendsd.db") for _ in range(CONCURRENT_STARTS)]
    try:
        written = await asyncio.gather(
            *(
                TokenService(store=SqliteTokenStore(database)).ensure_admin_token(tmp_path / f"admin-{index}.token")
                for index, database in enumerate(databases)
            )
        )
        tokens = await SqliteTokenStore(databases[0]).list()
    finally:
        for database in databases:
            await database.close()

    assert written.count(True) == 1
    assert [token.role for token in tokens] == [Role.ADMIN]


async def test_ensure_admin_token_skips_name_of_active_viewer(tmp_path: Path) -> None:
    """An active viewer token called admin does not block the bootstrap token, which gets another name."""
    database = await Database.open(tmp_path / "backendsd.db")
    try:
        service = TokenService(store=SqliteTokenStore(database))
        await service.create(name="admin", role=Role.VIEWER)
        written = await service.ensure_admin_token(tmp_path / "admin.token")
        names = {token.name: token.role for token in await service.list()}
    finally:
        await database.close()

    assert written is True
    assert names == {"admin": Role.VIEWER, "admin-2": Role.ADMIN}
