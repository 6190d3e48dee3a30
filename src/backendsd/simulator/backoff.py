"""Delays between dial attempts, as a supervisor restarting a crashed manager would space them."""

from __future__ import annotations

import random


class Backoff:
    """Exponential backoff with jitter: each delay doubles up to ``maximum``, then varies by ±``jitter``.

    The jitter spreads the redials of thousands of sessions that lost the
    daemon at the same moment.
    """

    def __init__(
        self,
        *,
        initial: float = 0.1,
        maximum: float = 5.0,
        jitter: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        self._initial = initial
        self._maximum = maximum
        self._jitter = jitter
        self._rng = rng or random.Random()
        self._next = initial

    def next_delay(self) -> float:
        """Return the seconds to wait before the next attempt, and double the base for the one after."""
        base = self._next
        self._next = min(self._next * 2, self._maximum)
        return base * self._rng.uniform(1 - self._jitter, 1 + self._jitter)

    def reset(self) -> None:
        self._next = self._initial
