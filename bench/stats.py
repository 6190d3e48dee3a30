"""Summaries of repeated measurements."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from backendsd.looplag import percentile as nearest_rank


@dataclass(frozen=True)
class Spread:
    """Minimum, median and maximum of repeated runs of one measurement."""

    min: float
    median: float
    max: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("no values to summarize: the measurement did not run")
        return cls(min=min(values), median=statistics.median(values), max=max(values), runs=len(values))

    def as_dict(self) -> dict[str, float]:
        return {"min": self.min, "median": self.median, "max": self.max, "runs": self.runs}


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``values`` (any order, not empty)."""
    return nearest_rank(sorted(values), fraction)
