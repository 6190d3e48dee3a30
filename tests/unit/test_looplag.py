"""Loop-lag reports: the garbage collector's pauses counted beside the lag."""

from __future__ import annotations

import gc

from backendsd.looplag import CollectorPauses, percentile


def test_full_collection_counted() -> None:
    pauses = CollectorPauses()
    pauses.start()
    try:
        gc.collect()
        fields = pauses.take()
    finally:
        pauses.stop()

    assert fields["gc_full_collections"] >= 1
    assert fields["gc_max_ms"] > 0
    assert fields["gc_total_ms"] >= fields["gc_max_ms"]


def test_take_starts_over() -> None:
    pauses = CollectorPauses()
    pauses.start()
    try:
        gc.collect()
        pauses.take()
        fields = pauses.take()
    finally:
        pauses.stop()

    assert fields == {"gc_max_ms": 0.0, "gc_total_ms": 0.0, "gc_full_collections": 0}


def test_stopped_pauses_not_counted() -> None:
    pauses = CollectorPauses()
    pauses.start()
    pauses.stop()
    pauses.stop()

    gc.collect()

    assert pauses.take()["gc_full_collections"] == 0


def test_percentile_nearest_rank() -> None:
    ordered = [float(value) for value in range(1, 101)]

    assert percentile(ordered, 0.50) == 50.0
    assert percentile(ordered, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
