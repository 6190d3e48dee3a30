"""RunRequestAssembler: joining RunReqChunks per computation id, and dropping stalled requests."""

from __future__ import annotations

import asyncio

from backendsd.proto.manager import manager_pb2
from backendsd.simulator.chunks import PartialRunRequest, RunRequestAssembler


def chunk(computation_id: str, data: bytes, is_last: bool = False) -> manager_pb2.RunReqChunks:
    return manager_pb2.RunReqChunks(id=computation_id, data=data, is_last=is_last)


async def test_assembler_joins_interleaved() -> None:
    """Chunks of two computations may interleave; each request is joined from its own chunks."""
    assembler = RunRequestAssembler(timeout=30, on_dropped=lambda partial: None)

    assert assembler.add(chunk("a", b"a1")) is None
    assert assembler.add(chunk("b", b"b1")) is None
    first = assembler.add(chunk("a", b"a2", is_last=True))
    second = assembler.add(chunk("b", b"b2", is_last=True))
    assembler.close()

    assert first is not None
    assert first.data == b"a1a2"
    assert first.chunk_count == 2
    assert second is not None
    assert second.data == b"b1b2"


async def test_assembler_single_chunk() -> None:
    """A request that fits one chunk is complete at once."""
    assembler = RunRequestAssembler(timeout=30, on_dropped=lambda partial: None)

    assembled = assembler.add(chunk("a", b"whole", is_last=True))

    assert assembled is not None
    assert assembled.chunk_count == 1


async def test_assembler_drops_stalled() -> None:
    """A request without a chunk for the timeout is dropped; a later last chunk starts afresh."""
    dropped: list[PartialRunRequest] = []
    assembler = RunRequestAssembler(timeout=0.05, on_dropped=dropped.append)

    assembler.add(chunk("a", b"old"))
    await asyncio.sleep(0.2)
    late = assembler.add(chunk("a", b"new", is_last=True))

    assert [partial.computation_id for partial in dropped] == ["a"]
    assert dropped[0].size == 3
    assert late is not None
    assert late.data == b"new"


async def test_assembler_chunk_resets_timer() -> None:
    """Each chunk restarts the timeout, so a slow but steady request is kept."""
    dropped: list[PartialRunRequest] = []
    assembler = RunRequestAssembler(timeout=0.3, on_dropped=dropped.append)

    for _ in range(4):
        assembler.add(chunk("a", b"x"))
        await asyncio.sleep(0.15)
    assembled = assembler.add(chunk("a", b"y", is_last=True))

    assert dropped == []
    assert assembled is not None
    assert assembled.chunk_count == 5
