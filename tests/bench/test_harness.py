"""Parts of the benchmark harness that decide what a run measures and reports."""

from __future__ import annotations

import os
from typing import Any

import pytest

from bench import procs
from bench.report import render
from bench.scenarios_sessions import _b2_met


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        ({0}, None),
        ({0, 1}, (frozenset({0}), frozenset({1}))),
        ({0, 1, 2}, (frozenset({0}), frozenset({1, 2}))),
        ({4, 2, 3, 1}, (frozenset({1, 2}), frozenset({3, 4}))),
    ],
)
def test_split_cpus_halves(monkeypatch: pytest.MonkeyPatch, available: set[int], expected: Any) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: available)

    assert procs.split_cpus() == expected


def test_b2_targets_judged_at_full_size() -> None:
    met = _b2_met(10_000, memory=False, cpu=False, lag=True, false_disconnects=True)

    assert met == {"memory": False, "cpu": False, "lag": True, "false_disconnects": True}


def test_b2_targets_not_judged_elsewhere() -> None:
    met = _b2_met(2_000, memory=False, cpu=True, lag=True, false_disconnects=False)

    assert met == {"memory": None, "cpu": None, "lag": None, "false_disconnects": False}


def _b2_result(sessions: int, met: dict[str, bool | None]) -> dict[str, Any]:
    spread = {"min": 1.0, "median": 2.0, "max": 3.0}
    return {
        "sizes": {"sessions": sessions, "lag_report_seconds": 5.0, "server_cpus": [0], "client_cpus": [1]},
        "connect_seconds": 10.0,
        "sessions_held": sessions,
        "bare_streams_held": sessions,
        "rss_per_session_kib": spread,
        "bare_rss_per_stream_kib": spread,
        "ratio_rss_per_session_to_bare": 1.0,
        "cpu_cores_with_sessions": spread,
        "idle_cpu_cores": spread,
        "bare_cpu_cores": spread,
        "client_cpu_cores": spread,
        "loop_lag_p99_ms": spread,
        "bare_loop_lag_p99_ms": spread,
        "loop_lag_max_ms": spread,
        "bare_loop_lag_max_ms": spread,
        "gc_max_ms": spread,
        "bare_gc_max_ms": spread,
        "gc_full_collections": 0,
        "false_disconnects": 0,
        "met": met,
    }


def _b2_rows(sessions: int, met: dict[str, bool | None]) -> list[str]:
    results = {
        "command": "python -m bench",
        "sizes": "full",
        "started": "now",
        "load_start": [0, 0, 0],
        "load_end": [0, 0, 0],
        "seconds": 1.0,
        "scenarios": {"B2": _b2_result(sessions, met)},
    }
    return [line for line in render(results).splitlines() if line.startswith("| B2 |")]


def test_b2_report_shows_judged_targets() -> None:
    rows = _b2_rows(10_000, _b2_met(10_000, memory=False, cpu=False, lag=True, false_disconnects=True))

    memory = next(row for row in rows if "RSS per session" in row)
    lag = next(row for row in rows if "lag p99" in row)
    assert memory.endswith("| no |")
    assert lag.endswith("| yes |")


def test_b2_report_marks_other_sizes() -> None:
    rows = _b2_rows(10, _b2_met(10, memory=False, cpu=True, lag=True, false_disconnects=True))

    memory = next(row for row in rows if "RSS per session" in row)
    assert memory.endswith("| n/a at this size |")


def test_b2_report_names_the_cpus() -> None:
    rows = _b2_rows(10_000, _b2_met(10_000, memory=False, cpu=False, lag=True, false_disconnects=True))

    assert any("CPUs of the server / the simulators | 0 / 1 |" in row for row in rows)
