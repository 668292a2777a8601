"""Instants are floats (seconds since the Unix epoch, UTC) inside core; these
convert at the edges."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
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


# The clock's range (the control plane's clock and state): from the Unix
# epoch up to the start of year 9999, so a call's life never runs past what
# an ISO 8601 timestamp can say.
MIN_INSTANT = 0.0  # 1970-01-01T00:00:00Z
MAX_INSTANT = 253_370_764_800.0  # 9999-01-01T00:00:00Z, excluded

# A date-time a vendor request gives (a body field, a query filter) must be
# written with a year from 1970 to 9998: whatever its UTC offset, it then
# lies where the emulator holds and prints instants exactly. Said once as a
# spec pattern (the same in ECMA and Python regexes) and checked the same.
INSTANT_YEARS = (1970, 9998)
INSTANT_RANGE = "in the years 1970 to 9998"
INSTANT_PATTERN = r"^(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-.*$"


class InstantOutOfRange(ValueError):
    pass


def parse_bounded_instant(value: str | datetime) -> float:
    """parse_instant for a date-time a request gives, refusing
    (InstantOutOfRange) one written outside INSTANT_YEARS rather than
    moving it."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if not INSTANT_YEARS[0] <= value.year <= INSTANT_YEARS[1]:
        raise InstantOutOfRange(f"must be {INSTANT_RANGE}")
    return parse_instant(value)


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
    """2024-06-01T10:00:00.000Z: milliseconds, truncated (of the instant
    rounded to microseconds, as datetime.fromtimestamp rounds it)."""
    if not 0.0 <= ts < MAX_INSTANT:  # NaN too: datetime says what is wrong
        return _iso_millis_datetime(ts)
    # A transcript formats a few dozen instants per call, most in the same
    # few minutes: the minute comes from a cache, the rest is arithmetic.
    # fromtimestamp splits with modf and rounds the fraction to
    # microseconds half to even (round()); so does this.
    frac, whole = math.modf(ts)
    us = round(frac * 1e6)
    second = int(whole)
    if us >= 1_000_000:
        second += 1
        us -= 1_000_000
    minute, s = divmod(second, 60)
    return f"{_iso_minute(minute)}{s:02d}.{us // 1000:03d}Z"


@lru_cache(maxsize=4096)
def _iso_minute(minute: int) -> str:
    """YYYY-MM-DDTHH:MM: of the `minute`-th minute since the epoch."""
    d = _EPOCH + timedelta(minutes=minute)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:"


_EPOCH = datetime(1970, 1, 1)


def _iso_millis_datetime(ts: float) -> str:
    d = to_datetime(ts)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}.{d.microsecond // 1000:03d}Z"
