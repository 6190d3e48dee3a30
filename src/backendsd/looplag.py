"""Event-loop lag sampling, for benchmarks and diagnosis (``serve --loop-lag-report``).

A task sleeps for ``SAMPLE_INTERVAL_SECONDS`` again and again and records how
much later than asked it woke up. That delay is the time other callbacks held
the loop. Every report interval it logs ``loop_lag`` with percentiles of the
samples taken since the last report, then starts over. Beside the lag it
logs the garbage collector's pauses of the same interval, because a full
collection stops the loop as long as it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import time
from collections.abc import Callable
from typing import Any

import structlog

logger = structlog.get_logger(__name__)

# A stall delays one sample whatever the interval, so a shorter interval gives
# a report more samples: at 50 ms a 5 s report's p99 was its maximum.
SAMPLE_INTERVAL_SECONDS = 0.01


class LoopLagMonitor:
    """Owns the sampling task; ``sessions`` returns the live session count logged beside the lag."""

    def __init__(self, *, report_interval: float, sessions: Callable[[], int]) -> None:
        self._report_interval = report_interval
        self._sessions = sessions
        self._task: asyncio.Task[None] | None = None
        self._pauses = CollectorPauses()

    def start(self) -> None:
        self._pauses.start()
        self._task = asyncio.create_task(self._sample_forever(), name="loop-lag-monitor")

    async def stop(self) -> None:
        self._pauses.stop()
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
            **self._pauses.take(),
        )


class CollectorPauses:
    """Durations of the garbage collector's runs, from ``gc.callbacks``, summed up per report."""

    def __init__(self) -> None:
        self._started = 0.0
        self._longest = 0.0
        self._total = 0.0
        self._full = 0

    def start(self) -> None:
        gc.callbacks.append(self._observe)

    def stop(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._observe)

    def take(self) -> dict[str, float]:
        """Return the pauses since the last call as log fields, and start over."""
        fields = {
            "gc_max_ms": round(self._longest * 1000, 3),
            "gc_total_ms": round(self._total * 1000, 3),
            "gc_full_collections": self._full,
        }
        self._longest = self._total = 0.0
        self._full = 0
        return fields

    def _observe(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = time.perf_counter() - self._started
        self._longest = max(self._longest, pause)
        self._total += pause
        if info["generation"] == 2:
            self._full += 1


def percentile(ordered: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of an ascending, non-empty list."""
    # The nearest rank is ceil(fraction * n). Adding 0.5 and rounding is
    # wrong because round() rounds halves to even: it gave 100 for 0.99 of 100.
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]
