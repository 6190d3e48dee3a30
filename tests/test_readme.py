"""The README's grpcurl quick start and curl commands, run as written against a real daemon."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers.daemon import start_daemon

README = Path(__file__).resolve().parent.parent / "README.md"
DOCUMENTED_API_ADDRESS = "127.0.0.1:7000"
DOCUMENTED_MANAGER_ADDRESS = "127.0.0.1:7001"
DOCUMENTED_HTTP_ADDRESS = "127.0.0.1:9000"
# The HTTP section runs when these are installed, and is skipped otherwise.
HTTP_SECTION_TOOLS = ("curl", "openssl")


def shell_blocks(markdown: str, section: str) -> str:
    """Return the indented code blocks of one ``## section``, joined into one script."""
    body = markdown.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line[4:] for line in body.splitlines() if line.startswith("    ")]
    return "\n".join(lines) + "\n"


def test_readme_walkthrough(tmp_path: Path) -> None:
    """Every command of the quick start and of the manager walkthrough succeeds, run as written."""
    daemon = start_daemon(tmp_path / "data")
    readme = README.read_text()
    script = shell_blocks(readme, "Quick start with grpcurl") + shell_blocks(readme, "Connecting managers")
    with_http = all(shutil.which(tool) for tool in HTTP_SECTION_TOOLS)
    if with_http:
        script += shell_blocks(readme, "HTTP API")
    # The daemon under test listens on ephemeral ports, not the documented ones.
    script = script.replace(DOCUMENTED_API_ADDRESS, daemon.api_address)
    script = script.replace(DOCUMENTED_MANAGER_ADDRESS, daemon.manager_address)
    script = script.replace(DOCUMENTED_HTTP_ADDRESS, daemon.http_address)
    venv_bin = str(Path(sys.executable).parent)
    # Output goes to files, not pipes: a simulator left in the background by a
    # failing command would keep a pipe open and hang the test.
    stdout_path, stderr_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    try:
        with open(stdout_path, "w") as stdout, open(stderr_path, "w") as stderr:
            completed = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-O", "expand_aliases", "-c", script],
                cwd=tmp_path,
                stdout=stdout,
                stderr=stderr,
                timeout=120,
                env={**os.environ, "PATH": f"{venv_bin}:{os.environ['PATH']}"},
            )
    finally:
        daemon.kill()
    result = subprocess.CompletedProcess(
        completed.args, completed.returncode, stdout_path.read_text(), stderr_path.read_text()
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "edge-1b" in result.stdout
    assert "CONNECTION_STATUS_CONNECTED" in result.stdout
    assert "ERROR" not in result.stderr
    assert "manager service terminated: server requested client termination" in result.stderr
    assert '"agent_port"' in result.stdout
    assert '"ovmf_version"' in result.stdout
    if with_http:
        assert '"name": "edge-3b"' in result.stdout
        assert '"status": "connected"' in result.stdout
        assert "certs/edge-3/cert.pem: good" in result.stdout
        assert "certs/edge-3/cert.pem: revoked" in result.stdout
        assert "204" in result.stdout.splitlines()
