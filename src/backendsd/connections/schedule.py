"""A due-time queue: items that come due at times on the monotonic clock, taken in order."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from typing import Generic, TypeVar

Item = TypeVar("Item")


class DueQueue(Generic[Item]):
    """Items with due times, for one consumer that sleeps until the earliest is due.

    The health monitor keeps one entry per session here instead of walking
    every session on a fixed tick. A walk costs time in proportion to the
    session count. A tick also sends all the probes that fell due since the
    last one in a single burst. Both stalled the event loop for tens of
    milliseconds at 2,000 sessions (the B2 benchmark).
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Item]] = []
        # Breaks ties between equal due times, so items are never compared.
        self._order = itertools.count()
        self._earlier = asyncio.Event()

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, due: float, item: Item) -> None:
        """Add ``item``, due at ``due`` (``time.monotonic()`` seconds); the same item may be added again."""
        heapq.heappush(self._heap, (due, next(self._order), item))
        if self._heap[0][2] is item:
            # The consumer may be sleeping until a later time.
            self._earlier.set()

    def pop_due(self, now: float, limit: int) -> list[Item]:
        """Remove and return, earliest first, at most ``limit`` items due at or before ``now``."""
        due: list[Item] = []
        while self._heap and self._heap[0][0] <= now and len(due) < limit:
            due.append(heapq.heappop(self._heap)[2])
        return due

    async def wait(self) -> None:
        """Return once the earliest item is due, or an earlier item was pushed; sleep forever while empty."""
        self._earlier.clear()
        delay = self._heap[0][0] - time.monotonic() if self._heap else None
        if delay is not None and delay <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._earlier.wait()
