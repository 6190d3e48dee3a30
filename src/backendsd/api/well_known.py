"""Checked conversion of google.protobuf Duration and Timestamp fields.

protobuf lets a client send any int64 seconds and int32 nanos, but its
``ToTimedelta``, ``ToDatetime`` and ``ToMicroseconds`` fail or overflow
outside the ranges that the types define. Every request field of these
types goes through here, so such values are INVALID_ARGUMENT, not INTERNAL.
"""

from __future__ import annotations

import datetime

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from backendsd.errors import InvalidArgumentError

# The ranges that google/protobuf/duration.proto and timestamp.proto define:
# about ±10,000 years, and 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
MAX_DURATION_SECONDS = 315_576_000_000
MIN_TIMESTAMP_SECONDS = -62_135_596_800
MAX_TIMESTAMP_SECONDS = 253_402_300_799
MAX_NANOS = 999_999_999


def duration_to_timedelta(field: str, duration: Duration) -> datetime.timedelta:
    """Return ``duration`` as a timedelta; raise InvalidArgumentError if it is outside the Duration range."""
    seconds, nanos = duration.seconds, duration.nanos
    sign_conflict = (seconds > 0 and nanos < 0) or (seconds < 0 and nanos > 0)
    if abs(seconds) > MAX_DURATION_SECONDS or abs(nanos) > MAX_NANOS or sign_conflict:
        raise InvalidArgumentError.for_field(
            field,
            f"{field}: seconds={seconds} nanos={nanos} is not a valid duration; seconds must be within "
            f"±{MAX_DURATION_SECONDS}, nanos within ±{MAX_NANOS} and of the same sign",
        )
    return datetime.timedelta(seconds=seconds, microseconds=nanos // 1000)


def timestamp_to_us(field: str, timestamp: Timestamp) -> int:
    """Return ``timestamp`` in microseconds since the epoch; raise InvalidArgumentError if it is outside the range."""
    seconds, nanos = timestamp.seconds, timestamp.nanos
    if not MIN_TIMESTAMP_SECONDS <= seconds <= MAX_TIMESTAMP_SECONDS or not 0 <= nanos <= MAX_NANOS:
        raise InvalidArgumentError.for_field(
            field,
            f"{field}: seconds={seconds} nanos={nanos} is not a valid timestamp; it must lie between "
            "0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, with nanos from 0 to 999999999",
        )
    return seconds * 1_000_000 + nanos // 1000
