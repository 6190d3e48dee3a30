"""Group commit in Database.transaction: shared COMMITs, per-body rollback, acknowledgement after COMMIT."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backendsd.store.database import Database

BODIES = 40


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "test.db")
    async with database.transaction() as connection:
        await connection.execute("CREATE TABLE items (name TEXT PRIMARY KEY)")
    yield database
    await database.close()


async def _insert(database: Database, name: str, *, fail: bool = False) -> None:
    async with database.transaction() as connection:
        await connection.execute("INSERT INTO items VALUES (?)", (name,))
        await asyncio.sleep(0)
        if fail:
            raise ValueError(f"body {name} failed")


async def _names(database: Database) -> set[str]:
    return {row[0] for row in await database.fetch_all("SELECT name FROM items")}


async def test_concurrent_bodies_share_commits(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent transactions are all stored, with fewer COMMITs than bodies."""
    commits = 0
    original_commit = database._writer.commit

    async def counting_commit() -> None:
        nonlocal commits
        commits += 1
        await original_commit()

    monkeypatch.setattr(database._writer, "commit", counting_commit)
    await asyncio.gather(*(_insert(database, f"item-{index}") for index in range(BODIES)))

    assert await _names(database) == {f"item-{index}" for index in range(BODIES)}
    assert commits < BODIES


async def test_failed_body_rolls_back_alone(database: Database) -> None:
    """A body that raises loses its own changes only; the other bodies of its group are committed."""
    outcomes = await asyncio.gather(
        *(_insert(database, f"item-{index}", fail=index % 3 == 0) for index in range(BODIES)),
        return_exceptions=True,
    )

    failed = {f"item-{index}" for index in range(BODIES) if index % 3 == 0}
    assert all(isinstance(outcomes[index], ValueError) for index in range(0, BODIES, 3))
    assert await _names(database) == {f"item-{index}" for index in range(BODIES)} - failed


async def test_transaction_returns_after_commit(database: Database) -> None:
    """When transaction() returns, the reader connection already returns the row."""
    await _insert(database, "visible")

    assert await _names(database) == {"visible"}


async def test_failed_commit_fails_every_body(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the shared COMMIT fails, every body of the group raises and nothing is stored."""

    async def failing_commit() -> None:
        raise OSError("disk full")

    monkeypatch.setattr(database._writer, "commit", failing_commit)
    outcomes = await asyncio.gather(*(_insert(database, f"item-{index}") for index in range(5)), return_exceptions=True)
    monkeypatch.undo()

    assert all(isinstance(outcome, OSError) for outcome in outcomes)
    assert await _names(database) == set()


async def test_cancelled_waiter_does_not_strand_group(database: Database) -> None:
    """A body cancelled while it waits for the lock does not leave the open group uncommitted."""
    first = asyncio.create_task(_insert(database, "first"))
    waiter = asyncio.create_task(_insert(database, "cancelled"))
    await asyncio.sleep(0)
    waiter.cancel()

    await asyncio.wait_for(first, 5)
    assert await _names(database) == {"first"}
