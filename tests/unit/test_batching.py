"""BatchWriter: batching, flushing, retries and backpressure, with an in-memory sink."""

from __future__ import annotations

import asyncio

import pytest

import backendsd.batching
from backendsd.batching import BatchWriter


class Sink:
    def __init__(self, failures: int = 0) -> None:
        self.batches: list[list[int]] = []
        self.failures = failures
        self.gate = asyncio.Event()
        self.gate.set()

    async def write(self, batch: list[int]) -> None:
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise OSError("disk busy")
        self.batches.append(list(batch))


async def test_flush_stores_everything_in_order() -> None:
    sink = Sink()
    writer = BatchWriter(name="t", write=sink.write, max_batch=3)
    writer.start()

    for item in range(7):
        writer.add(item)
    await writer.flush()
    await writer.stop()

    assert [item for batch in sink.batches for item in batch] == list(range(7))
    assert max(len(batch) for batch in sink.batches) <= 3


async def test_flush_interval_groups_records() -> None:
    """Records added within one flush interval go to the store in one batch."""
    sink = Sink()
    writer = BatchWriter(name="t", write=sink.write, flush_interval=0.2)
    writer.start()

    for item in range(5):
        writer.add(item)
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.4)
    await writer.stop()

    assert sink.batches == [[0, 1, 2, 3, 4]]


async def test_failed_write_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backendsd.batching, "RETRY_DELAY_SECONDS", 0.01)
    sink = Sink(failures=2)
    writer = BatchWriter(name="t", write=sink.write)
    writer.start()

    writer.add(1)
    await asyncio.wait_for(writer.flush(), 5)
    await writer.stop()

    assert sink.batches == [[1]]


async def test_room_waits_above_high_water() -> None:
    """Producers are asked to wait while the buffer is above its high-water mark, and released after writes."""
    sink = Sink()
    sink.gate.clear()
    writer = BatchWriter(name="t", write=sink.write, max_batch=2, high_water=4)
    writer.start()

    for item in range(4):
        writer.add(item)
    waiter = writer.room()
    assert waiter is not None
    waiting = asyncio.ensure_future(waiter)
    await asyncio.sleep(0.05)
    assert not waiting.done()

    sink.gate.set()
    await asyncio.wait_for(waiting, 5)
    await writer.stop()


async def test_room_is_none_below_high_water() -> None:
    writer: BatchWriter[int] = BatchWriter(name="t", write=Sink().write, high_water=10)

    writer.add(1)

    assert writer.room() is None
