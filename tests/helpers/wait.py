"""Polling for conditions that become true asynchronously."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    condition: Callable[[T], bool],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
) -> T:
    """Call ``probe`` until ``condition`` holds for its result; return that result.

    Raises AssertionError with the last result when ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + timeout
    result = await probe()
    while not condition(result):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last value: {result!r}")
        await asyncio.sleep(interval)
        result = await probe()
    return result


async def wait_until(condition: Callable[[], bool], *, timeout: float = 10.0, interval: float = 0.05) -> None:
    """Wait until ``condition()`` is true; raise AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
