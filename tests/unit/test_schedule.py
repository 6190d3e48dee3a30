"""DueQueue: items taken in due order, and a consumer that sleeps until the first is due."""

from __future__ import annotations

import asyncio
import time

from backendsd.connections.schedule import DueQueue


async def test_pop_due_in_order() -> None:
    queue: DueQueue[str] = DueQueue()
    queue.push(30.0, "late")
    queue.push(10.0, "early")
    queue.push(20.0, "middle")

    assert queue.pop_due(25.0, limit=10) == ["early", "middle"]
    assert len(queue) == 1
    assert queue.pop_due(30.0, limit=10) == ["late"]


async def test_pop_due_respects_limit() -> None:
    queue: DueQueue[int] = DueQueue()
    for number in range(5):
        queue.push(1.0, number)

    assert queue.pop_due(1.0, limit=2) == [0, 1]
    assert queue.pop_due(1.0, limit=10) == [2, 3, 4]


async def test_equal_items_need_no_ordering() -> None:
    """Items with the same due time are never compared, so any object may be queued."""
    queue: DueQueue[object] = DueQueue()
    first, second = object(), object()
    queue.push(5.0, first)
    queue.push(5.0, second)

    assert queue.pop_due(5.0, limit=10) == [first, second]


async def test_wait_sleeps_until_due() -> None:
    queue: DueQueue[str] = DueQueue()
    started = time.monotonic()
    queue.push(started + 0.2, "probe")

    await asyncio.wait_for(queue.wait(), timeout=5)

    assert time.monotonic() - started >= 0.19
    assert queue.pop_due(time.monotonic(), limit=10) == ["probe"]


async def test_wait_wakes_for_earlier_item() -> None:
    queue: DueQueue[str] = DueQueue()
    queue.push(time.monotonic() + 60, "later")
    waiter = asyncio.create_task(queue.wait())
    await asyncio.sleep(0.05)

    queue.push(time.monotonic(), "now")
    await asyncio.wait_for(waiter, timeout=5)

    assert queue.pop_due(time.monotonic(), limit=10) == ["now"]


async def test_empty_queue_waits_for_push() -> None:
    queue: DueQueue[str] = DueQueue()
    waiter = asyncio.create_task(queue.wait())
    await asyncio.sleep(0.05)
    assert not waiter.done()

    queue.push(time.monotonic(), "first")
    await asyncio.wait_for(waiter, timeout=5)

    assert waiter.done()
