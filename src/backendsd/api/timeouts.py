"""How long a call may wait for a manager's response."""

from __future__ import annotations

import grpc
from google.protobuf.duration_pb2 import Duration

from backendsd.api.well_known import duration_to_timedelta
from backendsd.errors import InvalidArgumentError


def response_timeout(
    field: str, requested: Duration, has_requested: bool, context: grpc.aio.ServicerContext, default: float
) -> float:
    """Return the request's timeout if set, else the time left before the call's deadline, else ``default``."""
    if has_requested:
        seconds = duration_to_timedelta(field, requested).total_seconds()
        if seconds <= 0:
            raise InvalidArgumentError.for_field(field, f"{field}: {seconds:g} s is not a positive duration")
        return seconds
    remaining = context.time_remaining()
    if remaining is not None:
        return max(float(remaining), 0.001)
    return default
