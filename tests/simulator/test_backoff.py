"""Backoff: redial delays double from 0.1 s to 5 s, with ±50% jitter."""

from __future__ import annotations

import random

import pytest

from backendsd.simulator.backoff import Backoff


def test_backoff_doubles_to_maximum() -> None:
    """Without jitter the delays double and then stay at the maximum."""
    backoff = Backoff(jitter=0.0)

    delays = [backoff.next_delay() for _ in range(8)]

    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0])


def test_backoff_jitter_bounds() -> None:
    """Each delay stays within half and one and a half times its base."""
    backoff = Backoff(rng=random.Random(7))

    delays = [backoff.next_delay() for _ in range(200)][10:]

    assert min(delays) >= 2.5
    assert max(delays) <= 7.5
    assert max(delays) - min(delays) > 1.0


def test_backoff_reset_restarts() -> None:
    """reset() brings the next delay back to the initial one."""
    backoff = Backoff(jitter=0.0)
    for _ in range(5):
        backoff.next_delay()

    backoff.reset()

    assert backoff.next_delay() == pytest.approx(0.1)
