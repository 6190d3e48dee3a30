"""Garbage-collector settings for a daemon with many long-lived streams.

Every manager stream keeps about 77 objects that CPython's cyclic collector
tracks, most of them grpc.aio's. Each health probe replaces the ones that
wait for the next read and write, and the new ones live until the next
probe, so they reach the oldest generation. With CPython's default
thresholds that started a full collection about every 20 s at 10,000
sessions. Each one stopped the event loop for about 600 ms to walk all
800,000 objects, and found almost no garbage (87 objects in one run).
CPython starts a full collection only when the objects moved to the oldest
generation since the last one exceed a quarter of it, and after
FULL_COLLECTION_EVERY middle-generation collections. The first condition
took about 20 s there, so the second one now decides. Fewer full
collections do not make one shorter. The benchmark B2 in
docs/benchmarks.md has the measurements.
"""

from __future__ import annotations

import gc

import structlog

logger = structlog.get_logger(__name__)

# Middle-generation collections between two full ones (CPython's default is 10).
# At about one a second with 10,000 sessions, 100 means roughly every 2 minutes.
# NOTE: CPython 3.14's incremental collector ignores the third threshold, so
# this setting has no effect there.
FULL_COLLECTION_EVERY = 100


def tune_collector() -> None:
    """Make full collections rarer, keeping the thresholds of the two younger generations."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    logger.debug("collector_tuned", thresholds=list(gc.get_threshold()))
