"""Instants are floats (seconds since the Unix epoch, UTC) inside core; these
convert at the edges."""

from __future__ import annotations

from datetime import datetime, timezone


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
    d = to_datetime(ts)
    return f"{d.year:04d}" + d.strftime("-%m-%dT%H:%M:%SZ")  # %Y does not pad years before 1000


def iso_millis(ts: float) -> str:
    """2024-06-01T10:00:00.000Z: milliseconds, truncated."""
    d = to_datetime(ts)
    return f"{d.year:04d}" + d.strftime("-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"
