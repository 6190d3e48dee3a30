"""Subprocesses of a benchmark: the daemon, simulators, bare servers and load clients.

Every process here is started by the harness, tracked by PID and stopped by
it; nothing is looked up by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0


class BenchError(RuntimeError):
    """A benchmark could not run as planned; the message says which step failed."""


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]


def child_environment() -> dict[str, str]:
    """Return the environment of child processes: ours, with the repository on PYTHONPATH for ``bench``."""
    paths = [str(REPO_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago, for a daemon that must restart on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LogTail:
    """Reads a JSON-lines log file incrementally; lines that are not JSON are skipped."""

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self._offset = offset
        self._partial = b""

    def new_records(self) -> Iterator[dict[str, Any]]:
        try:
            with open(self.path, "rb") as log_file:
                log_file.seek(self._offset)
                data = log_file.read()
        except FileNotFoundError:
            return
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


@dataclass
class ManagedProcess:
    """A child process with its log file; stop() ends it by its PID."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def signal(self, signal_number: int) -> None:
        if self.running():
            self.process.send_signal(signal_number)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """Send SIGCONT and SIGTERM, wait, and kill after ``timeout``; return the exit status."""
        if self.running():
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=timeout)


def spawn(name: str, command: Sequence[str], log_path: Path, cpus: frozenset[int] | None = None) -> ManagedProcess:
    """Start ``command`` with its output in ``log_path``, and with ``cpus`` keep it and its threads on those CPUs."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log_file, _cpu_affinity(cpus):
        process = subprocess.Popen(
            list(command),
            stdout=log_file,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            env=child_environment(),
            cwd=REPO_ROOT,
        )
    return ManagedProcess(name=name, process=process, log_path=log_path)


@contextlib.contextmanager
def _cpu_affinity(cpus: frozenset[int] | None) -> Iterator[None]:
    """Restrict the calling thread to ``cpus`` for the block, so that a process it starts inherits them."""
    if not cpus:
        yield
        return
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, previous)


@dataclass
class Daemon:
    """One ``backendsd serve`` process and the addresses it logged."""

    data_dir: Path
    managed: ManagedProcess
    tail: LogTail
    api_address: str = ""
    manager_address: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.managed.pid

    @property
    def ca_path(self) -> Path:
        return self.data_dir / "pki" / "ca.pem"

    @property
    def admin_token(self) -> str:
        return (self.data_dir / "admin.token").read_text().strip()

    def poll_log(self) -> list[dict[str, Any]]:
        """Read the daemon's new log lines, keep them in ``seen`` and return them."""
        records = list(self.tail.new_records())
        self.seen.extend(records)
        return records

    def events(self, name: str) -> list[dict[str, Any]]:
        self.poll_log()
        return [record for record in self.seen if record.get("event") == name]

    def stop(self) -> int:
        return self.managed.stop()


def start_daemon(
    data_dir: Path,
    log_path: Path,
    *flags: str,
    manager_port: int = 0,
    api_port: int = 0,
    cpus: frozenset[int] | None = None,
) -> Daemon:
    """Start ``backendsd serve`` on 127.0.0.1 and wait until both listeners logged their address."""
    offset = log_path.stat().st_size if log_path.exists() else 0
    command = python_command(
        "-m",
        "backendsd",
        "serve",
        "--data-dir",
        str(data_dir),
        "--api-addr",
        f"127.0.0.1:{api_port}",
        "--manager-addr",
        f"127.0.0.1:{manager_port}",
        # The HTTP API is not measured, but it listens too: on the default
        # port it would collide with a daemon already running here.
        "--http-addr",
        "127.0.0.1:0",
        *flags,
    )
    daemon = Daemon(data_dir=data_dir, managed=spawn("daemon", command, log_path, cpus), tail=LogTail(log_path, offset))
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for record in daemon.poll_log():
            if record.get("event") == "api_listening":
                daemon.api_address = record["address"]
            elif record.get("event") == "manager_listening":
                daemon.manager_address = record["address"]
        if daemon.api_address and daemon.manager_address:
            return daemon
        if not daemon.managed.running():
            raise BenchError(f"the daemon exited with status {daemon.managed.process.returncode}; see {log_path}")
        time.sleep(0.05)
    daemon.managed.stop()
    raise BenchError(f"the daemon did not listen within {STARTUP_TIMEOUT_SECONDS:g} s; see {log_path}")


def run_json(command: Sequence[str], timeout: float) -> Any:
    """Run a helper process to the end and return the JSON object on its last output line."""
    result = subprocess.run(
        list(command), capture_output=True, text=True, timeout=timeout, env=child_environment(), cwd=REPO_ROOT
    )
    if result.returncode != 0:
        raise BenchError(f"{' '.join(command[:4])} ... failed with status {result.returncode}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def wait_until(condition: Any, timeout: float, interval: float = 0.1) -> bool:
    """Call ``condition`` every ``interval`` seconds until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
