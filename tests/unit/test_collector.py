"""The garbage-collector settings that the daemon applies at start."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from backendsd.collector import FULL_COLLECTION_EVERY, tune_collector


@pytest.fixture
def restored_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="CPython 3.14's incremental collector ignores threshold2")
def test_full_collections_rarer(restored_thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(700, 10, 10)

    tune_collector()

    assert gc.get_threshold()[2] == FULL_COLLECTION_EVERY


def test_younger_thresholds_kept(restored_thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(500, 7, 10)

    tune_collector()

    assert gc.get_threshold()[:2] == (500, 7)
