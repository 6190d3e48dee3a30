"""Buffered writing of many small records in few transactions.

Producers add records synchronously, which suits code that must not wait (a
session reader between two reads, a handler that is being cancelled). One
background task owned by the writer stores them in batches: as soon as it is
woken when ``flush_interval`` is 0, otherwise once ``max_batch`` records are
waiting or ``flush_interval`` seconds after the first one arrived.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import structlog

logger = structlog.get_logger(__name__)

T = TypeVar("T")

RETRY_DELAY_SECONDS = 1.0


class BatchWriter(Generic[T]):
    def __init__(
        self,
        *,
        name: str,
        write: Callable[[list[T]], Awaitable[None]],
        max_batch: int = 1000,
        flush_interval: float = 0.0,
        high_water: int = 100_000,
    ) -> None:
        self.name = name
        self._write = write
        self._max_batch = max_batch
        self._flush_interval = flush_interval
        self._high_water = high_water
        self._pending: collections.deque[T] = collections.deque()
        self._added = 0
        self._stored = 0
        self._stored_changed = asyncio.Condition()
        self._arrived = asyncio.Event()
        self._batch_full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, item: T) -> None:
        self._pending.append(item)
        self._added += 1
        self._arrived.set()
        if len(self._pending) >= self._max_batch:
            self._batch_full.set()

    def room(self) -> Awaitable[None] | None:
        """Return something to await before adding more, or None when there is room.

        Producers that can wait (a manager's stream reader) use this to slow
        down while the database falls behind, so the buffer stays bounded.
        """
        if len(self._pending) < self._high_water:
            return None
        return self._wait_for_stored(self._added - self._high_water // 2)

    def start(self) -> None:
        self._task = asyncio.create_task(self._write_forever(), name=f"batch-writer-{self.name}")

    async def stop(self) -> None:
        """Store what is pending, then end the writer task."""
        self._batch_full.set()
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def flush(self) -> None:
        """Wait until every record added before this call is stored."""
        self._batch_full.set()
        await self._wait_for_stored(self._added)

    async def _wait_for_stored(self, target: int) -> None:
        async with self._stored_changed:
            await self._stored_changed.wait_for(lambda: self._stored >= target)

    async def _write_forever(self) -> None:
        while True:
            await self._arrived.wait()
            if self._flush_interval > 0:
                try:
                    await asyncio.wait_for(self._batch_full.wait(), self._flush_interval)
                except TimeoutError:
                    pass
            self._arrived.clear()
            self._batch_full.clear()
            while self._pending:
                batch = [self._pending[i] for i in range(min(self._max_batch, len(self._pending)))]
                await self._store(batch)
                for _ in batch:
                    self._pending.popleft()
                async with self._stored_changed:
                    self._stored += len(batch)
                    self._stored_changed.notify_all()

    async def _store(self, batch: list[T]) -> None:
        """Store ``batch``, retrying until the database takes it: records are not dropped."""
        while True:
            try:
                await self._write(batch)
                return
            except Exception as error:  # noqa: BLE001 - any store failure is retried, and logged
                logger.error("batch_write_failed", writer=self.name, error=str(error), records=len(batch))
                await asyncio.sleep(RETRY_DELAY_SECONDS)
