"""FailureLimiter and SessionAdmission with a fake clock."""

from __future__ import annotations

import pytest

from backendsd.auth.failures import FailureLimiter, FailureLimits, peer_key
from backendsd.errors import ResourceExhaustedError
from backendsd.managers.admission import AdmissionLimits, SessionAdmission


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_rejects_after_max_failures() -> None:
    clock = FakeClock()
    limiter = FailureLimiter(FailureLimits(max_failures=3, window=60), clock=clock)
    for _ in range(2):
        limiter.record_failure("ipv4:10.0.0.1:1000")
    assert limiter.retry_after("ipv4:10.0.0.1:2000") == 0

    limiter.record_failure("ipv4:10.0.0.1:3000")

    assert limiter.retry_after("ipv4:10.0.0.1:4000") == 60
    assert limiter.retry_after("ipv4:10.0.0.2:4000") == 0


def test_limiter_window_ends() -> None:
    clock = FakeClock()
    limiter = FailureLimiter(FailureLimits(max_failures=1, window=60), clock=clock)
    limiter.record_failure("ipv4:10.0.0.1:1000")

    clock.now += 60

    assert limiter.retry_after("ipv4:10.0.0.1:1000") == 0


def test_limiter_zero_turns_off() -> None:
    limiter = FailureLimiter(FailureLimits(max_failures=0))
    for _ in range(100):
        limiter.record_failure("ipv4:10.0.0.1:1000")
    assert limiter.retry_after("ipv4:10.0.0.1:1000") == 0


def test_limiter_tracks_bounded_peers() -> None:
    limiter = FailureLimiter(FailureLimits(max_failures=1, max_tracked_peers=100), clock=FakeClock())
    for index in range(1000):
        limiter.record_failure(f"ipv4:10.0.{index // 256}.{index % 256}:1")
    assert len(limiter._windows) <= 100  # noqa: SLF001 - the bound is the behaviour under test


@pytest.mark.parametrize(
    ("peer", "key"),
    [
        ("ipv4:10.0.0.1:5555", "10.0.0.1"),
        ("ipv6:[2001:db8::1]:5555", "2001:db8::/64"),
        ("ipv6:[2001:db8::ffff:1]:5555", "2001:db8::/64"),
        ("ipv6:[::ffff:10.0.0.1]:5555", "10.0.0.1"),
        ("unix:/tmp/socket", "unix:/tmp/socket"),
    ],
)
def test_peer_key(peer: str, key: str) -> None:
    """IPv6 peers count per /64, IPv4-mapped ones as IPv4, other peers as given."""
    assert peer_key(peer) == key


def test_admission_rejects_when_all_slots_taken() -> None:
    admission = SessionAdmission(
        AdmissionLimits(max_concurrent=1), session_count=lambda: 0, has_session=lambda _: False
    )
    with admission.admitting("p1"):
        with pytest.raises(ResourceExhaustedError):
            with admission.admitting("p2"):
                pass
    with admission.admitting("p3"):
        assert admission.in_progress == 1


def test_admission_session_limit_spares_live_backend() -> None:
    """At max_sessions a new backend is rejected, but a connected one may replace its session."""
    admission = SessionAdmission(
        AdmissionLimits(max_sessions=2), session_count=lambda: 2, has_session=lambda backend: backend == "live"
    )
    admission.check_capacity("live", "p1")
    with pytest.raises(ResourceExhaustedError):
        admission.check_capacity("new", "p2")
