"""The committed generated code matches what `make proto` would write now."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMITTED = REPO_ROOT / "src" / "backendsd" / "proto"


def relative_files(root: Path) -> set[Path]:
    return {path.relative_to(root) for path in root.rglob("*") if path.is_file() and "__pycache__" not in path.parts}


def test_generated_code_is_current(tmp_path: Path) -> None:
    """Regenerating into a temporary folder yields the committed files, byte for byte."""
    fresh = tmp_path / "proto"
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "gen_protos.py"), "--out", str(fresh)],
        check=True,
        capture_output=True,
        timeout=120,
    )

    assert relative_files(fresh) == relative_files(COMMITTED), "run `make proto` and commit the result"
    differing = [
        str(path) for path in sorted(relative_files(fresh)) if not filecmp.cmp(fresh / path, COMMITTED / path, shallow=False)
    ]
    assert differing == [], "run `make proto` and commit the result"
