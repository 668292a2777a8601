"""Instants are floats (seconds since the Unix epoch, UTC) inside core; these
convert at the edges."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from functools import lru_cache


def parse_instant(value: str | datetime | float | int) -> float:
    """ISO 8601 (a trailing Z or an offset; naive means UTC) or epoch seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def to_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


def iso_seconds(ts: float) -> str:
    """2025-12-01T14:00:00Z: whole seconds, truncated."""
    return _iso_second(math.floor(ts))


@lru_cache(maxsize=1 << 16)
def _iso_second(second: int) -> str:
    # Responses repeat the same few instants (a call's turns, its phases):
    # each is formatted once. No strftime: %Y does not pad years before 1000.
    d = to_datetime(second)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}Z"


def iso_millis(ts: float) -> str:
    """2024-06-01T10:00:00.000Z: milliseconds, truncated."""
    d = to_datetime(ts)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}.{d.microsecond // 1000:03d}Z"
