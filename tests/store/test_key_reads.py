"""Database.fetch_by_key: reads by key on the event loop's thread, beside writers and other processes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backendsd.store.database import Database


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "test.db")
    async with database.transaction() as connection:
        await connection.execute("CREATE TABLE items (name TEXT PRIMARY KEY, size INTEGER)")
        await connection.execute("INSERT INTO items VALUES ('disk', 1)")
    yield database
    await database.close()


READ_DISK = "SELECT size FROM items WHERE name = ?"


async def test_key_read_finds_row(database: Database) -> None:
    row = await database.fetch_by_key(READ_DISK, ("disk",))

    assert row is not None
    assert row["size"] == 1


async def test_key_read_missing_row_is_none(database: Database) -> None:
    assert await database.fetch_by_key(READ_DISK, ("tape",)) is None


async def test_key_read_sees_committed_write(database: Database) -> None:
    async with database.transaction() as connection:
        await connection.execute("UPDATE items SET size = 2 WHERE name = 'disk'")

    row = await database.fetch_by_key(READ_DISK, ("disk",))

    assert row is not None
    assert row["size"] == 2


async def test_key_read_ignores_open_write(database: Database) -> None:
    """Another process's uncommitted write is invisible, and the read does not wait for it."""
    writer = sqlite3.connect(database.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE items SET size = 3 WHERE name = 'disk'")
    try:
        row = await asyncio.wait_for(database.fetch_by_key(READ_DISK, ("disk",)), timeout=1)
    finally:
        writer.rollback()
        writer.close()

    assert row is not None
    assert row["size"] == 1


async def test_busy_key_read_falls_back(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key read that SQLite reports busy is repeated through the waiting reader, which finds the row.

    A WAL reader is busy only in rare moments (another process recovering
    the WAL), so the key reader is pointed at a file that another
    connection has locked exclusively: the same error from SQLite, on demand.
    """
    locked_path = tmp_path / "locked.db"
    holder = sqlite3.connect(locked_path, isolation_level=None)
    holder.execute("CREATE TABLE items (name TEXT PRIMARY KEY, size INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    busy_reader = sqlite3.connect(locked_path, isolation_level=None, timeout=0)
    monkeypatch.setattr(database, "_key_reader", busy_reader)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            busy_reader.execute(READ_DISK, ("disk",)).fetchall()
        row = await database.fetch_by_key(READ_DISK, ("disk",))
    finally:
        busy_reader.close()
        holder.rollback()
        holder.close()

    assert row is not None
    assert row["size"] == 1


async def test_key_reader_cannot_write(database: Database) -> None:
    """The key reader is read-only, so a mistaken statement cannot change data outside a transaction."""
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await database.fetch_by_key("DELETE FROM items WHERE name = ? RETURNING size", ("disk",))

    assert await database.fetch_by_key(READ_DISK, ("disk",)) is not None
