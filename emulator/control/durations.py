"""Durations and instants as the control plane accepts them."""

from __future__ import annotations

import re
from datetime import datetime

from emulator.core.timeutil import MAX_INSTANT, MIN_INSTANT, parse_instant

MAX_DURATION = 100 * 365 * 86400.0

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIMPLE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_ISO = re.compile(r"P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?")


def parse_duration(value: float | int | str) -> float:
    """Seconds from a number, "90", "90s", "1h30m", "250ms", "2d" or ISO 8601
    "PT1M30S". Raises ValueError on anything else, negative or huge."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("a duration is a number of seconds or a string like 90s, 5m, 1h30m, PT1M30S")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = value.strip()
        seconds = None
        try:
            seconds = float(text)
        except ValueError:
            if text[:1] in ("P", "p"):
                m = _ISO.fullmatch(text.upper())
                if m and text.upper() not in ("P", "PT") and not text.upper().endswith("T"):
                    d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
                    seconds = d * 86400 + h * 3600 + mi * 60 + s
            elif text and _SIMPLE.sub("", text.lower()) == "":
                seconds = sum(float(n) * _UNITS[u] for n, u in _SIMPLE.findall(text.lower()))
        if seconds is None:
            raise ValueError(f"{value!r} is not a duration (use seconds or e.g. 90s, 5m, 1h30m, PT1M30S)")
    if seconds != seconds or seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds > MAX_DURATION:
        raise ValueError("a duration cannot exceed 100 years")
    return seconds


def parse_control_instant(value: str | float | int | datetime) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("an instant is ISO 8601 or epoch seconds")
    try:
        ts = parse_instant(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"{value!r} is not an ISO 8601 instant or epoch seconds") from exc
    if not MIN_INSTANT <= ts < MAX_INSTANT:
        raise ValueError("an instant must lie between 1970-01-01T00:00:00Z and 9998-12-31T23:59:59Z")
    return ts
