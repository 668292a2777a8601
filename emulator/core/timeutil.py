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


# The instants the emulator takes and prints exactly, everywhere (vendor
# bodies, query filters, the control plane): from the Unix epoch up to the
# start of year 9999. The last year is left free so a call's life and its
# retries never run past what an ISO 8601 timestamp can say.
MIN_INSTANT = 0.0  # 1970-01-01T00:00:00Z
MAX_INSTANT = 253_370_764_800.0  # 9999-01-01T00:00:00Z, excluded
INSTANT_RANGE = "between 1970-01-01T00:00:00Z and 9998-12-31T23:59:59Z"


class InstantOutOfRange(ValueError):
    pass


def parse_bounded_instant(value: str | datetime | float | int) -> float:
    """parse_instant, refusing (InstantOutOfRange) an instant outside
    MIN_INSTANT..MAX_INSTANT rather than moving it."""
    try:
        ts = parse_instant(value)
    except (OverflowError, OSError):  # beyond what a timestamp holds
        raise InstantOutOfRange(f"must lie {INSTANT_RANGE}") from None
    if not MIN_INSTANT <= ts < MAX_INSTANT:
        raise InstantOutOfRange(f"must lie {INSTANT_RANGE}")
    return ts


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
