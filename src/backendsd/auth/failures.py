"""Rate limiting of failed authentication per peer address.

A peer whose calls fail authentication ``max_failures`` times within one
window is rejected at once, without a database lookup, until the window ends.
IPv6 peers are counted per /64 prefix, because one host usually has a
whole /64 and could otherwise rotate addresses.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

logger = structlog.get_logger(__name__)

IPV6_PREFIX_LENGTH = 64


@dataclass(frozen=True)
class FailureLimits:
    max_failures: int = 20
    """Failed authentications per peer address within one window before it is rejected; 0 turns limiting off."""

    window: float = 60.0
    """Seconds of one counting window."""

    max_tracked_peers: int = 10_000
    """Peer addresses counted at once; the oldest windows are forgotten past this."""


@dataclass
class _Window:
    started: float
    failures: int = 0
    rejected: int = 0


class FailureLimiter:
    """Counts failed authentications per peer address and reports when a peer is rejected."""

    def __init__(self, limits: FailureLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def retry_after(self, peer: str) -> float:
        """Return the seconds until ``peer`` may try again, or 0 if it is not rejected; count a rejection."""
        if self._limits.max_failures == 0:
            return 0.0
        window = self._current_window(peer_key(peer), create=False)
        if window is None or window.failures < self._limits.max_failures:
            return 0.0
        window.rejected += 1
        return max(0.0, window.started + self._limits.window - self._clock())

    def record_failure(self, peer: str) -> None:
        """Count one failed authentication of ``peer``; log a warning when it reaches the limit."""
        if self._limits.max_failures == 0:
            return
        key = peer_key(peer)
        window = self._current_window(key, create=True)
        assert window is not None  # created on demand
        window.failures += 1
        if window.failures == self._limits.max_failures:
            # One line per peer and window, however many calls follow.
            logger.warning(
                "auth_failures_rate_limited",
                peer_address=key,
                failures=window.failures,
                window_seconds=self._limits.window,
            )

    def _current_window(self, key: str, *, create: bool) -> _Window | None:
        now = self._clock()
        window = self._windows.get(key)
        if window is not None and now - window.started >= self._limits.window:
            if window.rejected:
                logger.info("auth_rate_limit_ended", peer_address=key, rejected=window.rejected)
            del self._windows[key]
            window = None
        if window is None and create:
            self._forget_old_windows(now)
            window = self._windows[key] = _Window(started=now)
        return window

    def _forget_old_windows(self, now: float) -> None:
        if len(self._windows) < self._limits.max_tracked_peers:
            return
        expired = [key for key, window in self._windows.items() if now - window.started >= self._limits.window]
        for key in expired:
            del self._windows[key]
        # Windows are kept in insertion order, so the first ones are the oldest.
        while len(self._windows) >= self._limits.max_tracked_peers:
            del self._windows[next(iter(self._windows))]


def peer_key(peer: str) -> str:
    """Return the address that failures of a gRPC peer (``ipv4:10.0.0.1:5555``, ``ipv6:[::1]:5555``) count against."""
    family, _, rest = peer.partition(":")
    if family not in ("ipv4", "ipv6"):
        return peer
    host = rest.rpartition(":")[0].strip("[]").split("%")[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return peer
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX_LENGTH), strict=False))
    return str(address)
