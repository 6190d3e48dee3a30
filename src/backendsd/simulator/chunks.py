"""Reassembly of run requests that the daemon sends as RunReqChunks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from backendsd.proto.manager import manager_pb2


@dataclass
class PartialRunRequest:
    """The chunks received so far for one computation id."""

    computation_id: str
    parts: list[bytes] = field(default_factory=list)
    expiry: asyncio.TimerHandle | None = None

    @property
    def size(self) -> int:
        return sum(len(part) for part in self.parts)


@dataclass(frozen=True)
class AssembledRunRequest:
    """A run request whose last chunk arrived: the serialized ComputationRunReq and how it came."""

    computation_id: str
    data: bytes
    chunk_count: int


class RunRequestAssembler:
    """Joins chunks per computation id until ``is_last``, and drops requests that stall.

    A request that receives no chunk for ``timeout`` seconds is dropped, and
    ``on_dropped`` is called with what had arrived. Call close() when the
    stream ends, to cancel the pending timers.
    """

    def __init__(self, *, timeout: float, on_dropped: Callable[[PartialRunRequest], None]) -> None:
        self._timeout = timeout
        self._on_dropped = on_dropped
        self._pending: dict[str, PartialRunRequest] = {}

    def add(self, chunk: manager_pb2.RunReqChunks) -> AssembledRunRequest | None:
        """Store ``chunk``; return the whole request when it is the last one, else None."""
        partial = self._pending.pop(chunk.id, None) or PartialRunRequest(computation_id=chunk.id)
        if partial.expiry is not None:
            partial.expiry.cancel()
        partial.parts.append(chunk.data)

        if chunk.is_last:
            return AssembledRunRequest(
                computation_id=chunk.id, data=b"".join(partial.parts), chunk_count=len(partial.parts)
            )
        partial.expiry = asyncio.get_running_loop().call_later(self._timeout, self._drop, chunk.id)
        self._pending[chunk.id] = partial
        return None

    def close(self) -> None:
        for partial in self._pending.values():
            if partial.expiry is not None:
                partial.expiry.cancel()
        self._pending.clear()

    def _drop(self, computation_id: str) -> None:
        partial = self._pending.pop(computation_id)
        self._on_dropped(partial)
