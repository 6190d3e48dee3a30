"""Resident memory and CPU time of processes, read from /proc (Linux only)."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def rss_bytes(pid: int) -> int:
    """Return the resident set size of ``pid``, or 0 if it has exited."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * PAGE_BYTES
    except (FileNotFoundError, ProcessLookupError):
        return 0


def cpu_seconds(pid: int) -> float:
    """Return user plus system CPU seconds of ``pid`` (threads included), or 0 if it has exited."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            text = stat.read()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # The command name in field 2 may contain spaces; fields after it are fixed.
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class CpuMeter:
    """CPU used by a group of processes between start() and the reading, as a fraction of one core."""

    pids: Sequence[int]
    _cpu: float = 0.0
    _at: float = 0.0

    def start(self) -> CpuMeter:
        self._cpu = sum(cpu_seconds(pid) for pid in self.pids)
        self._at = time.monotonic()
        return self

    def cores(self) -> float:
        elapsed = time.monotonic() - self._at
        used = sum(cpu_seconds(pid) for pid in self.pids) - self._cpu
        return used / elapsed if elapsed > 0 else 0.0


def raise_open_file_limit(wanted: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE towards ``wanted`` (children inherit it); return the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def split_cpus() -> tuple[frozenset[int], frozenset[int]] | None:
    """Split the CPUs this process may use into a server half and a client half; None with fewer than two."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    half = len(cpus) // 2
    return frozenset(cpus[:half]), frozenset(cpus[half:])


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
