"""The status logged for a cancelled call: DEADLINE_EXCEEDED near its deadline, else CANCELLED."""

from __future__ import annotations

import grpc
import pytest

from backendsd.api.interceptor import _cancellation_code


class StoppedClock:
    """The one method of a servicer context that the rule reads: seconds left before the deadline."""

    def __init__(self, remaining: float | None) -> None:
        self.remaining = remaining

    def time_remaining(self) -> float | None:
        return self.remaining


@pytest.mark.parametrize(
    ("elapsed", "remaining", "expected"),
    [
        # No deadline: always the client's cancel.
        (5.0, None, grpc.StatusCode.CANCELLED),
        # Past the deadline on the server's clock.
        (2.0, -0.01, grpc.StatusCode.DEADLINE_EXCEEDED),
        # A 2 s call reset by the client 20 ms before the server's deadline.
        (1.98, 0.02, grpc.StatusCode.DEADLINE_EXCEEDED),
        # A long call: the margin is at most 250 ms.
        (59.8, 0.2, grpc.StatusCode.DEADLINE_EXCEEDED),
        (59.0, 1.0, grpc.StatusCode.CANCELLED),
        # A 300 ms call cancelled after 50 ms is the client's cancel, not its deadline.
        (0.05, 0.25, grpc.StatusCode.CANCELLED),
        # A short call still gets at least 50 ms of margin.
        (0.26, 0.04, grpc.StatusCode.DEADLINE_EXCEEDED),
    ],
)
def test_cancellation_code_by_time_left(elapsed: float, remaining: float | None, expected: grpc.StatusCode) -> None:
    context = StoppedClock(remaining)

    assert _cancellation_code(context, elapsed=elapsed) is expected  # type: ignore[arg-type]
