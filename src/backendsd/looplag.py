"""Event-loop lag sampling, for benchmarks and diagnosis (``serve --loop-lag-report``).

A task sleeps for ``SAMPLE_INTERVAL_SECONDS`` again and again and records how
much later than asked it woke up. That delay is the time other callbacks held
the loop. Every report interval it logs ``loop_lag`` with percentiles of the
samples taken since the last report, then starts over.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog

logger = structlog.get_logger(__name__)

SAMPLE_INTERVAL_SECONDS = 0.05


class LoopLagMonitor:
    """Owns the sampling task; ``sessions`` returns the live session count logged beside the lag."""

    def __init__(self, *, report_interval: float, sessions: Callable[[], int]) -> None:
        self._report_interval = report_interval
        self._sessions = sessions
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._sample_forever(), name="loop-lag-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _sample_forever(self) -> None:
        samples: list[float] = []
        report_at = time.monotonic() + self._report_interval
        while True:
            asked = time.monotonic()
            await asyncio.sleep(SAMPLE_INTERVAL_SECONDS)
            woke = time.monotonic()
            samples.append(max(0.0, woke - asked - SAMPLE_INTERVAL_SECONDS))
            if woke >= report_at:
                self._report(samples)
                samples = []
                report_at = woke + self._report_interval

    def _report(self, samples: list[float]) -> None:
        ordered = sorted(samples)
        logger.info(
            "loop_lag",
            samples=len(ordered),
            p50_ms=round(percentile(ordered, 0.50) * 1000, 3),
            p99_ms=round(percentile(ordered, 0.99) * 1000, 3),
            max_ms=round(ordered[-1] * 1000, 3),
            sessions=self._sessions(),
        )


def percentile(ordered: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of an ascending, non-empty list."""
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]
