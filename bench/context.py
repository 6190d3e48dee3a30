"""Shared state of a benchmark run: sizes, the work directory, and helpers that start the pieces."""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.processes import Daemon, ManagedProcess, python_command, spawn, start_daemon, wait_until
from bench.provision import Identity, Provisioned, group_identities, provision


@dataclass(frozen=True)
class Sizes:
    """Sizes of one benchmark run; ``full`` follows the targets, ``smoke`` only proves the harness works."""

    name: str
    repeats: int
    b1_stored_backends: int
    b1_concurrency: int
    b1_seconds: float
    b1_warmup: float
    b2_sessions: int
    b2_hold_windows: int
    b2_window_seconds: float
    b3_trials: int
    b3_settings: tuple[tuple[str, float, float], ...]
    """(label, keepalive interval, keepalive timeout) pairs that B3 measures."""
    b4_sessions: int
    b4_trials: int
    b5_managers: int
    b5_logs_per_manager: int
    b6_managers: int
    b6_handshakes: int
    simulator_processes: int


FULL = Sizes(
    name="full",
    repeats=3,
    b1_stored_backends=10_000,
    b1_concurrency=64,
    b1_seconds=5.0,
    b1_warmup=1.0,
    # Connecting 10,000 sessions took 46 s with the simulators on their own CPU.
    # On shared CPUs of a machine loaded by other work, it did not finish.
    # `--b2-sessions 2000` gives a quicker run.
    b2_sessions=10_000,
    b2_hold_windows=3,
    b2_window_seconds=15.0,
    b3_trials=20,
    b3_settings=(("default", 10.0, 5.0), ("tightest", 1.0, 1.0)),
    b4_sessions=1_000,
    b4_trials=100,
    b5_managers=100,
    b5_logs_per_manager=3_000,
    b6_managers=2_000,
    b6_handshakes=2_000,
    simulator_processes=4,
)

SMOKE = Sizes(
    name="smoke",
    repeats=1,
    b1_stored_backends=100,
    b1_concurrency=8,
    b1_seconds=0.5,
    b1_warmup=0.2,
    b2_sessions=10,
    b2_hold_windows=1,
    b2_window_seconds=1.5,
    b3_trials=1,
    b3_settings=(("tightest", 1.0, 1.0),),
    b4_sessions=6,
    b4_trials=2,
    b5_managers=2,
    b5_logs_per_manager=50,
    b6_managers=5,
    b6_handshakes=10,
    simulator_processes=1,
)

SIZES = {sizes.name: sizes for sizes in (FULL, SMOKE)}


def parse_log_time(text: str) -> float:
    """Return the Unix time of an ISO 8601 timestamp as logged by backendsd and the simulator (UTC)."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@dataclass
class Context:
    sizes: Sizes
    work_dir: Path
    results: dict[str, Any] = field(default_factory=dict)
    _counter: int = 0
    _children: list[ManagedProcess] = field(default_factory=list)

    def fresh_dir(self, label: str) -> Path:
        self._counter += 1
        directory = self.work_dir / f"{self._counter:02d}-{label}"
        directory.mkdir(parents=True)
        return directory

    def provision(self, directory: Path, *, backends: int, identities: int) -> Provisioned:
        return provision(directory / "data", backends=backends, identities=identities, identities_dir=directory / "identities")

    def daemon(
        self,
        directory: Path,
        *flags: str,
        manager_port: int = 0,
        api_port: int = 0,
        cpus: frozenset[int] | None = None,
    ) -> Daemon:
        daemon = start_daemon(
            directory / "data", directory / "daemon.log", *flags, manager_port=manager_port, api_port=api_port,
            cpus=cpus,
        )
        self._children.append(daemon.managed)
        return daemon

    def simulators(
        self,
        directory: Path,
        identities: list[Identity],
        target: str,
        ca: Path,
        *flags: str,
        processes: int | None = None,
        label: str = "sim",
        cpus: frozenset[int] | None = None,
    ) -> list[ManagedProcess]:
        """Start simulator processes over ``identities``; each writes its report to ``<label>-N.report``."""
        groups = group_identities(identities, processes or self.sizes.simulator_processes, directory / f"{label}-groups")
        started = []
        for index, group in enumerate(groups):
            command = python_command(
                "-m", "backendsd", "manager-sim", "--url", target, "--ca", str(ca), "--identities-dir", str(group),
                "--log-level", "warning", "--report", str(directory / f"{label}-{index}.report"), *flags,
            )
            started.append(spawn(f"{label}-{index}", command, directory / f"{label}-{index}.log", cpus))
        self._children.extend(started)
        return started

    def bare_server(
        self, directory: Path, mode: str, *flags: str, cpus: frozenset[int] | None = None
    ) -> tuple[ManagedProcess, int]:
        """Start ``bench.bare`` and return it with the port it listens on."""
        log_path = directory / f"bare-{mode}.log"
        managed = spawn(f"bare-{mode}", python_command("-m", "bench.bare", mode, *flags), log_path, cpus)
        self._children.append(managed)
        port: list[int] = []

        def listening() -> bool:
            for line in log_path.read_text().splitlines():
                if line.startswith('{"port"'):
                    port.append(json.loads(line)["port"])
                    return True
            return not managed.running()

        wait_until(listening, 30)
        if not port:
            managed.stop()
            raise RuntimeError(f"bare {mode} server did not start; see {log_path}")
        return managed, port[0]

    def stop_all(self) -> None:
        """Stop every child this run started that is still running, newest first."""
        for child in reversed(self._children):
            child.stop()
        self._children.clear()

    def forget(self, *children: ManagedProcess) -> None:
        for child in children:
            child.stop()
            if child in self._children:
                self._children.remove(child)


def report_lines(path: Path) -> list[dict[str, Any]]:
    """Return the JSON lines of a simulator report file, or [] before it exists."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def sleep_until(deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
