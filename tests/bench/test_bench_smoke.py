"""The benchmark harness at smoke sizes: it runs every scenario and writes a report (no timing is checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("B1", "B2", "B3", "B4", "B5", "B6")


@pytest.mark.timeout(300)
def test_bench_smoke_reports_every_scenario(tmp_path: Path) -> None:
    """`python -m bench --sizes smoke` exits 0 and reports a result for each of B1 to B6."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--sizes", "smoke", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]

    results = json.loads((tmp_path / "results.json").read_text())
    for name in SCENARIOS:
        assert "error" not in results["scenarios"][name], results["scenarios"][name]
    report = (tmp_path / "results.md").read_text()
    for name in SCENARIOS:
        assert f"| {name} |" in report
