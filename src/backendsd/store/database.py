"""The SQLite database: connections, transactions and schema migrations."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
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

# Bodies that may share one COMMIT. More wait for the next one, which bounds
# how long the first body of a group waits for its acknowledgement.
MAX_GROUP_BODIES = 64


class _CommitGroup:
    """Write transaction bodies that share one ``BEGIN IMMEDIATE`` ... ``COMMIT``."""

    def __init__(self) -> None:
        self.members = 0
        self.broken: BaseException | None = None
        """Set when a savepoint could not be released or rolled back: the whole group then rolls back."""
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class Database:
    """One SQLite file in WAL mode, with a writer and a reader connection.

    Writes go through :meth:`transaction`, which runs the bodies one at a
    time on the writer connection. Bodies that are waiting while another
    runs or commits join it in one ``BEGIN IMMEDIATE`` transaction, each
    inside its own SAVEPOINT, and share one COMMIT (group commit). With
    ``synchronous=FULL`` each COMMIT costs an fsync, so concurrent writers
    share it instead of queueing one fsync each. A body that fails is rolled
    back to its savepoint alone. Each caller returns only after the COMMIT
    that made its body durable, and if that COMMIT fails, every body in it
    fails.
    ``BEGIN IMMEDIATE`` takes SQLite's write lock up front, so a transaction
    cannot fail half-way with SQLITE_BUSY on a lock upgrade. Reads use a
    second connection and, thanks to WAL, never wait for a writer.

    Reads of one row by key (:meth:`fetch_by_key`) use a third, plain
    sqlite3 connection on the event loop's own thread. Such a read costs
    less than the trip to aiosqlite's thread and back: GetBackend served
    about 1.5 times as many calls per second this way (docs/benchmarks.md).
    """

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection, key_reader: sqlite3.Connection
    ) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._key_reader = key_reader
        self._write_lock = asyncio.Lock()
        self._group: _CommitGroup | None = None
        self._queued = 0
        self._commits: set[asyncio.Task[None]] = set()

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
        return cls(path, writer, reader, _connect_key_reader(path))

    async def close(self) -> None:
        if self._commits:
            await asyncio.gather(*self._commits, return_exceptions=True)
        async with self._write_lock:
            self._key_reader.close()
            await self._reader.close()
            await self._writer.close()
        logger.debug("database_closed", path=str(self.path))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the body as one all-or-nothing write; return once it is committed, raise if it is not.

        Concurrent bodies may share the COMMIT (see the class docstring), so
        a body must not run COMMIT, ROLLBACK or BEGIN itself.
        """
        group = await self._join_group()
        try:
            with _busy_as_unavailable():
                yield self._writer
        except BaseException:
            try:
                await self._undo_body(group)
            finally:
                self._leave_group(group)
            raise
        try:
            await self._writer.execute("RELEASE body")
        except BaseException as error:
            group.broken = group.broken or error
            raise
        finally:
            self._leave_group(group)
        # Shielded: a caller cancelled here must not cancel the others' wait.
        await asyncio.shield(group.committed)

    async def _join_group(self) -> _CommitGroup:
        """Take the write lock, open a group transaction unless one is open, and start this body's savepoint."""
        self._queued += 1
        try:
            await self._write_lock.acquire()
        except BaseException:
            self._queued -= 1
            self._commit_if_abandoned()
            raise
        self._queued -= 1
        try:
            if self._group is None:
                with _busy_as_unavailable():
                    await self._writer.execute("BEGIN IMMEDIATE")
                self._group = _CommitGroup()
            group = self._group
            group.members += 1
            await self._writer.execute("SAVEPOINT body")
        except BaseException:
            if self._group is not None:
                # SAVEPOINT failed: this body changed nothing, and the group goes on.
                self._leave_group(self._group)
            else:
                # BEGIN failed, or was cancelled while it still runs in
                # aiosqlite's thread: ROLLBACK queues behind it there.
                await _rollback(self._writer)
                self._write_lock.release()
            raise
        return group

    async def _undo_body(self, group: _CommitGroup) -> None:
        try:
            await self._writer.execute("ROLLBACK TO body")
            await self._writer.execute("RELEASE body")
        except BaseException as error:
            # The group cannot tell this body's changes from the others' any more.
            group.broken = group.broken or error
            logger.error("database_savepoint_rollback_failed", error=str(error))

    def _leave_group(self, group: _CommitGroup) -> None:
        """After a body: let a waiting body join the group, or commit the group and then free the lock."""
        if self._queued > 0 and group.broken is None and group.members < MAX_GROUP_BODIES:
            self._write_lock.release()
            return
        self._group = None
        self._start_commit(group)

    def _start_commit(self, group: _CommitGroup) -> None:
        task = asyncio.create_task(self._commit(group), name="database-group-commit")
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)

    async def _commit(self, group: _CommitGroup) -> None:
        """COMMIT (or, for a broken group, ROLLBACK) the group and tell its members; holds the write lock."""
        try:
            if group.broken is not None:
                raise group.broken
            with _busy_as_unavailable():
                await self._writer.commit()
        except BaseException as error:
            # ROLLBACK queues behind a COMMIT still running in aiosqlite's
            # thread, so the next group never finds a transaction left open.
            await _rollback(self._writer)
            if not group.committed.done():
                group.committed.set_exception(error)
                # Members that were cancelled meanwhile never read it.
                group.committed.exception()
        else:
            group.committed.set_result(None)
        finally:
            self._write_lock.release()

    def _commit_if_abandoned(self) -> None:
        """Commit an open group whose last member left it to a waiter that was then cancelled."""
        group = self._group
        if group is None or self._queued > 0 or self._write_lock.locked():
            return

        async def commit_when_free() -> None:
            await self._write_lock.acquire()
            if self._group is group:
                self._group = None
                await self._commit(group)
            else:
                self._write_lock.release()

        task = asyncio.create_task(commit_when_free(), name="database-group-commit")
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)

    async def fetch_by_key(self, sql: str, parameters: Iterable[Any] = ()) -> Row | None:
        """Return the one row that ``sql`` selects through a unique index, or None.

        The read runs on the event loop's thread, so ``sql`` must find its
        row through a primary key or unique index and never scan a table.
        The connection does not wait for locks: in the rare case that SQLite
        reports the file busy (another process recovering the WAL, say),
        the read is repeated through :meth:`fetch_one`, which waits.
        """
        try:
            # fetchall runs the statement to its end, which ends its read
            # snapshot at once, so the WAL can be checkpointed past it.
            rows = self._key_reader.execute(sql, tuple(parameters)).fetchall()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            return await self.fetch_one(sql, parameters)
        return rows[0] if rows else None

    async def fetch_one(self, sql: str, parameters: Iterable[Any] = ()) -> Row | None:
        """Return the first row of a query that selects at most a few rows, or None."""
        rows = await self.fetch_all(sql, parameters)
        return rows[0] if rows else None

    async def fetch_page(
        self, *, columns: str, source: str, order: str, parameters: Sequence[Any], limit: int, offset: int
    ) -> tuple[list[Row], int]:
        """Return one page of ``SELECT columns FROM source ORDER BY order`` and the count of all its rows.

        ``source`` is a table with an optional WHERE clause whose placeholders
        take ``parameters``. The count is a scalar subquery of the same
        statement, so it reads the page's snapshot: total and rows agree even
        while writers run. A window count (count(*) OVER ()) would agree too,
        but it makes SQLite visit and sort every matching row for each page
        (48 ms a page at 20,000 backends, against 0.1 ms, measured by the B1
        benchmark). A page past the end has no row to carry the count, and
        only then is a separate count needed.
        """
        rows = await self.fetch_all(
            f"SELECT {columns}, (SELECT count(*) FROM {source}) AS total FROM {source} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            [*parameters, *parameters, limit, offset],
        )
        if rows:
            return rows, int(rows[0]["total"])
        count = await self.fetch_one(f"SELECT count(*) FROM {source}", parameters)
        return [], int(count[0]) if count else 0

    async def fetch_all(self, sql: str, parameters: Iterable[Any] = ()) -> list[Row]:
        # One trip to aiosqlite's thread for execute and fetch together. A
        # cursor would take three (execute, fetch, close), and each trip
        # costs a queue hand-off and a wake-up of the event loop.
        with _busy_as_unavailable():
            return list(await self._reader.execute_fetchall(sql, tuple(parameters)))

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


def _connect_key_reader(path: Path) -> sqlite3.Connection:
    # query_only makes any write through this connection fail. A busy
    # timeout of 0 keeps it from sleeping on the event loop's thread.
    connection = sqlite3.connect(path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA query_only = ON")
    connection.execute("PRAGMA busy_timeout = 0")
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
