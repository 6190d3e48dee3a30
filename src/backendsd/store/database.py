"""The SQLite database: connections, transactions and schema migrations."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import structlog

from backendsd.errors import StartupError, UnavailableError
from backendsd.store.migrations import MIGRATIONS, Migration

logger = structlog.get_logger(__name__)

# How long a connection waits for another process's write lock (the token CLI
# may write while the daemon runs) before failing with "database is locked".
BUSY_TIMEOUT_MS = 5_000

Row = sqlite3.Row


class Database:
    """One SQLite file in WAL mode, with a writer and a reader connection.

    Writes go through :meth:`transaction`, which serializes them on the
    writer connection and runs each in ``BEGIN IMMEDIATE``. A transaction so
    takes SQLite's write lock up front and cannot fail half-way with
    SQLITE_BUSY on a lock upgrade. Reads use a second connection and, thanks to WAL, never wait
    for a writer.
    """

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) the database at ``path`` and migrate it."""
        _create_private_file(path)
        writer = await _connect(path)
        try:
            await _migrate(writer, MIGRATIONS)
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        logger.debug("database_opened", path=str(path))
        return cls(path, writer, reader)

    async def close(self) -> None:
        async with self._write_lock:
            await self._reader.close()
            await self._writer.close()
        logger.debug("database_closed", path=str(self.path))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the body as one write transaction; commit on success, roll back on error."""
        async with self._write_lock:
            try:
                with _busy_as_unavailable():
                    await self._writer.execute("BEGIN IMMEDIATE")
                    yield self._writer
                    await self._writer.commit()
            except BaseException:
                # Also reached when the task is cancelled while BEGIN or COMMIT
                # runs in aiosqlite's thread; ROLLBACK queues behind it there,
                # so the next transaction never finds one left open.
                await _rollback(self._writer)
                raise

    async def fetch_one(self, sql: str, parameters: Iterable[Any] = ()) -> Row | None:
        with _busy_as_unavailable():
            async with self._reader.execute(sql, tuple(parameters)) as cursor:
                row: Row | None = await cursor.fetchone()
                return row

    async def fetch_all(self, sql: str, parameters: Iterable[Any] = ()) -> list[Row]:
        with _busy_as_unavailable():
            async with self._reader.execute(sql, tuple(parameters)) as cursor:
                return list(await cursor.fetchall())

    async def integrity_check(self) -> str:
        row = await self.fetch_one("PRAGMA integrity_check")
        return str(row[0]) if row else "no result"


async def _connect(path: Path) -> aiosqlite.Connection:
    # isolation_level=None leaves transaction control to us: the sqlite3
    # module would otherwise open deferred transactions implicitly.
    connection = await aiosqlite.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    await connection.execute("PRAGMA journal_mode = WAL")
    # In WAL mode, synchronous=FULL syncs the WAL file to disk at every
    # commit, so a transaction that has returned survives a crash of the
    # process and also of the operating system or a power loss. NORMAL would
    # already survive a process crash (the commit is in the OS page cache),
    # but could lose the last commits on power loss, and backendsd
    # acknowledges writes to operators who will not repeat them.
    await connection.execute("PRAGMA synchronous = FULL")
    await connection.execute("PRAGMA foreign_keys = ON")
    await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection


@contextmanager
def _busy_as_unavailable() -> Iterator[None]:
    """Raise UnavailableError for SQLite's "database is locked" after the busy timeout.

    Another process (the token command, or a second daemon on a copied data
    directory) held the lock for longer than BUSY_TIMEOUT_MS. The call may
    succeed when it is retried.
    """
    try:
        yield
    except sqlite3.OperationalError as error:
        # The primary result code is the low byte of an extended one.
        if error.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise
        raise UnavailableError(
            f"the database is busy (another process held its lock for more than {BUSY_TIMEOUT_MS // 1000} s); "
            "retry the request"
        ) from error


async def _rollback(connection: aiosqlite.Connection) -> None:
    try:
        await connection.rollback()
    except sqlite3.Error as error:
        logger.error("database_rollback_failed", error=str(error))


def _create_private_file(path: Path) -> None:
    """Create the database file readable by its owner only, if it is missing."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(descriptor)


async def _migrate(connection: aiosqlite.Connection, migrations: tuple[Migration, ...]) -> None:
    """Apply, in order, each migration newer than the file's ``user_version``.

    The version is read inside each migration's write transaction, so a token
    command and the daemon starting at the same moment cannot both apply it.
    """
    latest = migrations[-1].version if migrations else 0
    for migration in migrations:
        try:
            with _busy_as_unavailable():
                await connection.execute("BEGIN IMMEDIATE")
            current = await _schema_version(connection)
            if current > latest:
                raise StartupError(
                    f"database schema version {current} is newer than this backendsd ({latest}); "
                    "upgrade backendsd or restore an older database"
                )
            applied = current < migration.version
            if applied:
                for statement in migration.statements:
                    await connection.execute(statement)
                # PRAGMA takes no parameters; the version is an int from our own table.
                await connection.execute(f"PRAGMA user_version = {int(migration.version)}")
            await connection.commit()
        except BaseException:
            await _rollback(connection)
            raise
        if applied:
            logger.info("database_migrated", version=migration.version, description=migration.description)


async def _schema_version(connection: aiosqlite.Connection) -> int:
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
