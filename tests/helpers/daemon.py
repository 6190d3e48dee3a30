"""Run the real daemon as a subprocess on an ephemeral 127.0.0.1 port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 30.0


class DaemonFailedError(RuntimeError):
    pass


def backendsd_command(*args: str) -> list[str]:
    """Return the command line that runs ``backendsd ARGS`` with this interpreter."""
    return [sys.executable, "-m", "backendsd", *args]


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(backendsd_command(*args), capture_output=True, text=True, check=check, timeout=60)


@dataclass
class DaemonProcess:
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    # Where this process's lines start in a log file shared across restarts.
    log_offset: int = 0
    listening: dict[str, str] = field(default_factory=dict)

    @property
    def api_address(self) -> str:
        return self.listening["api_listening"]

    @property
    def http_address(self) -> str:
        return self.listening["http_listening"]

    @property
    def manager_address(self) -> str:
        return self.listening["manager_listening"]

    @property
    def ca_pem(self) -> bytes:
        return (self.data_dir / "pki" / "ca.pem").read_bytes()

    @property
    def admin_token(self) -> str:
        return (self.data_dir / "admin.token").read_text().strip()

    def log_records(self) -> list[dict[str, Any]]:
        """Return every JSON log line this daemon process wrote so far."""
        records = []
        with open(self.log_path, "rb") as log_file:
            log_file.seek(self.log_offset)
            lines = log_file.read().decode(errors="replace").splitlines()
        for line in lines:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                records.append({"event": "unparsed", "line": line})
        return records

    def events(self, name: str) -> list[dict[str, Any]]:
        return [record for record in self.log_records() if record.get("event") == name]

    def stop(self, signal_number: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """Send ``signal_number`` and return the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal_number)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=STOP_TIMEOUT_SECONDS)


def start_daemon(
    data_dir: Path,
    *extra_args: str,
    log_path: Path | None = None,
    wait_for: Sequence[str] = ("api_listening", "http_listening", "manager_listening"),
    env: dict[str, str] | None = None,
) -> DaemonProcess:
    """Start ``backendsd serve`` and wait until it logged each event in ``wait_for``."""
    log_path = log_path or data_dir.parent / f"{data_dir.name}.log"
    log_offset = log_path.stat().st_size if log_path.exists() else 0
    # Both listeners get ephemeral ports: the servers do not share ports, and
    # other daemons on this host may hold the default manager port.
    arguments = backendsd_command(
        "serve",
        "--data-dir",
        str(data_dir),
        "--api-addr",
        "127.0.0.1:0",
        "--http-addr",
        "127.0.0.1:0",
        "--manager-addr",
        "127.0.0.1:0",
        *extra_args,
    )
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            arguments,
            stdout=log_file,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
    daemon = DaemonProcess(data_dir=data_dir, log_path=log_path, process=process, log_offset=log_offset)
    try:
        _wait_until_listening(daemon, wait_for)
    except BaseException:
        daemon.kill()
        raise
    return daemon


def _wait_until_listening(daemon: DaemonProcess, wait_for: Sequence[str]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for record in daemon.log_records():
            if record.get("event") in wait_for:
                daemon.listening[record["event"]] = record["address"]
        if all(event in daemon.listening for event in wait_for):
            return
        if daemon.process.poll() is not None:
            raise DaemonFailedError(
                f"daemon exited with status {daemon.process.returncode} before listening:\n"
                + daemon.log_path.read_text()
            )
        time.sleep(0.05)
    raise DaemonFailedError(f"daemon did not listen within {STARTUP_TIMEOUT_SECONDS} s:\n" + daemon.log_path.read_text())
