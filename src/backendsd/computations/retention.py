"""Background deletion of old agent logs and events."""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import dataclass

import structlog

from backendsd.clock import now_us
from backendsd.store.protocols import AgentRecordStore

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetentionPolicy:
    max_rows_per_backend: int = 100_000
    """Newest logs, and separately events, kept per backend."""

    max_age: datetime.timedelta = datetime.timedelta(days=30)
    """Records received longer ago than this are deleted."""

    interval: float = 60.0
    """Seconds between two deletion passes."""


class RetentionTask:
    """Owns the task that applies a RetentionPolicy every ``interval`` seconds."""

    def __init__(self, *, store: AgentRecordStore, policy: RetentionPolicy) -> None:
        self._store = store
        self._policy = policy
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="agent-record-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def apply_once(self) -> int:
        """Delete what the policy no longer keeps; return the number of rows deleted."""
        cutoff = now_us() - int(self._policy.max_age.total_seconds() * 1_000_000)
        deleted = await self._store.delete_older_than(cutoff)
        deleted += await self._store.trim_per_backend(self._policy.max_rows_per_backend)
        if deleted:
            logger.info("agent_records_deleted", rows=deleted)
        return deleted

    async def _run_forever(self) -> None:
        while True:
            await asyncio.sleep(self._policy.interval)
            try:
                await self.apply_once()
            except Exception as error:  # noqa: BLE001 - the next pass tries again
                logger.error("agent_record_retention_failed", error=str(error))
