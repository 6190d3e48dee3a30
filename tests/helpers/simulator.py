"""Run ``backendsd manager-sim`` as a subprocess and read its report and logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers.daemon import backendsd_command

WAIT_TIMEOUT_SECONDS = 15.0
POLL_SECONDS = 0.02


@dataclass
class SimulatorProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    report_path: Path

    def report(self, event: str | None = None) -> list[dict[str, Any]]:
        """Return the report lines written so far, only those of ``event`` if given."""
        if not self.report_path.exists():
            return []
        lines = [json.loads(line) for line in self.report_path.read_text().splitlines() if line]
        return [line for line in lines if event is None or line["event"] == event]

    def log_records(self, event: str | None = None) -> list[dict[str, Any]]:
        """Return the JSON log lines written so far, only those of ``event`` if given."""
        records = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                records.append({"event": "unparsed", "line": line})
        return [record for record in records if event is None or record.get("event") == event]

    async def wait_for_report(
        self, event: str, count: int = 1, timeout: float = WAIT_TIMEOUT_SECONDS
    ) -> list[dict[str, Any]]:
        """Wait until the report contains ``count`` lines of ``event`` and return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.report(event)
            if len(lines) >= count:
                return lines
            if self.process.poll() is not None:
                break
            await asyncio.sleep(POLL_SECONDS)
        raise AssertionError(
            f"simulator reported {len(self.report(event))} of {count} {event!r} lines; log:\n{self.log_path.read_text()}"
        )

    async def wait_for_exit(self, timeout: float = WAIT_TIMEOUT_SECONDS) -> int:
        """Wait without blocking the event loop, which also runs the test server, and return the exit status."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"simulator still running after {timeout} s; log:\n{self.log_path.read_text()}")
            await asyncio.sleep(POLL_SECONDS)
        return self.process.returncode

    def send_signal(self, signal_number: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal_number)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT_TIMEOUT_SECONDS)


def start_simulator(work_dir: Path, *args: str) -> SimulatorProcess:
    """Start ``backendsd manager-sim ARGS`` with a report file and a log file in ``work_dir``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    index = len(list(work_dir.glob("simulator-*.log")))
    log_path = work_dir / f"simulator-{index}.log"
    report_path = work_dir / f"simulator-{index}.jsonl"
    command = backendsd_command("manager-sim", "--report", str(report_path), *args)
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command, stdout=log_file, stderr=log_file, stdin=subprocess.DEVNULL, env=_clean_environment()
        )
    return SimulatorProcess(process=process, log_path=log_path, report_path=report_path)


def _clean_environment() -> dict[str, str]:
    """Return this process's environment without variables that would change the simulator's defaults."""
    return {name: value for name, value in os.environ.items() if not name.startswith(("BACKENDSD_", "MANAGER_GRPC_"))}


def identity_arguments(files: Path, manager_address: str) -> list[str]:
    """Return the simulator arguments that dial ``manager_address`` with ca.pem, cert.pem and key.pem from ``files``."""
    return [
        "--url",
        manager_address,
        "--ca",
        str(files / "ca.pem"),
        "--cert",
        str(files / "cert.pem"),
        "--key",
        str(files / "key.pem"),
    ]
