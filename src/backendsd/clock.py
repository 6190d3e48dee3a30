"""Wall-clock time as the store keeps it: integer microseconds since the Unix epoch, UTC."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def now_us() -> int:
    return time.time_ns() // 1_000


def datetime_from_us(microseconds: int) -> datetime:
    return datetime.fromtimestamp(microseconds / 1_000_000, tz=timezone.utc)
