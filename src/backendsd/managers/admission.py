"""Limits on manager sessions: how many may be live, and how many may be admitted at once.

Each admission looks the client certificate up in the database. In a
reconnect storm (every manager redials after a daemon restart) or a flood of
connections, the admissions beyond ``max_concurrent`` are rejected at once
with RESOURCE_EXHAUSTED instead of queueing lookups without bound. Managers
redial, so they are admitted a few seconds later.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import structlog

from backendsd.errors import ResourceExhaustedError

logger = structlog.get_logger(__name__)

# Seconds between two warnings about rejected sessions; the rejections in
# between are counted in the next one.
REJECTION_LOG_INTERVAL_SECONDS = 10.0


@dataclass(frozen=True)
class AdmissionLimits:
    max_sessions: int = 20_000
    """Live manager sessions; a new backend's session beyond this is rejected."""

    max_concurrent: int = 128
    """Sessions whose certificate lookup runs at the same time; more are rejected."""


class SessionAdmission:
    """Rejects sessions beyond the limits, logging the rejections as counted warnings."""

    def __init__(
        self,
        limits: AdmissionLimits,
        *,
        session_count: Callable[[], int],
        has_session: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = limits
        self._session_count = session_count
        self._has_session = has_session
        self._clock = clock
        self._in_progress = 0
        self._rejected_since_log = 0
        self._last_log = float("-inf")

    @property
    def in_progress(self) -> int:
        return self._in_progress

    @contextmanager
    def admitting(self, peer: str) -> Iterator[None]:
        """Hold one admission slot for the body; raise ResourceExhaustedError if all are taken."""
        if self._in_progress >= self._limits.max_concurrent:
            self._reject(peer, f"{self._in_progress} sessions are being admitted, the maximum")
        self._in_progress += 1
        try:
            yield
        finally:
            self._in_progress -= 1

    def check_capacity(self, backend_id: str, peer: str) -> None:
        """Raise ResourceExhaustedError if a session of ``backend_id`` would exceed max_sessions.

        A backend with a live session may always connect again, because the
        new session supersedes the old one and the count stays the same.
        """
        if self._has_session(backend_id):
            return
        count = self._session_count()
        if count >= self._limits.max_sessions:
            self._reject(peer, f"{count} sessions are live, the maximum")

    def _reject(self, peer: str, reason: str) -> None:
        self._rejected_since_log += 1
        now = self._clock()
        if now - self._last_log >= REJECTION_LOG_INTERVAL_SECONDS:
            logger.warning("manager_sessions_limited", peer=peer, reason=reason, rejected=self._rejected_since_log)
            self._rejected_since_log = 0
            self._last_log = now
        raise ResourceExhaustedError(f"the daemon accepts no more manager sessions now: {reason}; retry later")
