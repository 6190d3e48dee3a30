"""Batched, ordered writing of connection transitions to the store.

Transitions are recorded synchronously (a session that is being cancelled
can still record its end) and written by one background task, many per
transaction, so a reconnect storm of thousands of managers costs a few
commits instead of thousands.
"""

from __future__ import annotations

import asyncio
import collections

import structlog

from backendsd.connections.model import Transition
from backendsd.store.protocols import HistoryStore

logger = structlog.get_logger(__name__)

MAX_BATCH = 500
RETRY_DELAY_SECONDS = 1.0


class HistoryRecorder:
    def __init__(self, *, store: HistoryStore) -> None:
        self._store = store
        self._pending: collections.deque[Transition] = collections.deque()
        self._recorded = 0
        self._stored = 0
        self._changed = asyncio.Condition()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def record(self, transition: Transition) -> None:
        self._pending.append(transition)
        self._recorded += 1
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._write_forever(), name="history-recorder")

    async def stop(self) -> None:
        """Write what is pending, then end the writer task."""
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def flush(self) -> None:
        """Wait until every transition recorded before this call is stored."""
        target = self._recorded
        async with self._changed:
            await self._changed.wait_for(lambda: self._stored >= target)

    async def _write_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch = [self._pending[i] for i in range(min(MAX_BATCH, len(self._pending)))]
                await self._write(batch)
                for _ in batch:
                    self._pending.popleft()
                async with self._changed:
                    self._stored += len(batch)
                    self._changed.notify_all()

    async def _write(self, batch: list[Transition]) -> None:
        """Store ``batch``, retrying until the database takes it: history is never dropped."""
        while True:
            try:
                await self._store.append(batch)
                return
            except Exception as error:  # noqa: BLE001 - any store failure is retried, and logged
                logger.error("history_write_failed", error=str(error), transitions=len(batch))
                await asyncio.sleep(RETRY_DELAY_SECONDS)
