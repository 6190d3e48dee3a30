"""Garbage-collector settings for a daemon with many long-lived streams.

Every manager stream keeps about 77 objects that CPython's cyclic collector
tracks, most of them grpc.aio's. Each health probe replaces the ones that
wait for the next read and write, and the new ones live until the next
probe, so they reach the oldest generation. With CPython's default
thresholds that started a full collection about every 20 s at 10,000
sessions, and each one stopped the event loop for about 600 ms while it
walked all 800,000 objects and found almost no garbage (87 objects in one
run). CPython also waits until the objects added to the oldest generation
since the last full collection exceed a quarter of it, and a full collection
takes as long as before, only less often. The benchmark B2 in
docs/benchmarks.md has the measurements.
"""

from __future__ import annotations

import gc

import structlog

logger = structlog.get_logger(__name__)

# Collections of the middle generation between two full collections (CPython's
# default is 10). At 10,000 idle sessions 100 means about 5 minutes, estimated
# from the rate of middle-generation collections there.
FULL_COLLECTION_EVERY = 100


def tune_collector() -> None:
    """Make full collections rarer, keeping the thresholds of the two younger generations."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    logger.debug("collector_tuned", thresholds=list(gc.get_threshold()))
