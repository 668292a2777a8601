"""iso_millis formats without building a datetime: the same digits as
datetime.fromtimestamp gives (its microsecond rounding included)."""

from __future__ import annotations

import math
import random

import pytest

from emulator.core.timeutil import MAX_INSTANT, _iso_millis_datetime, iso_millis


def _edges() -> list[float]:
    out = [0.0, 5e-7, 4.999999e-7, 1e-6, 0.0005, 0.0015, 0.9995, 0.9999995, 0.99999949, 59.9999995, 86399.9999995,
           951782400.0, 951868799.9999996, 1764603010.0005, 1764603010.9999995, MAX_INSTANT - 1e-4, MAX_INSTANT - 0.001]
    for base in (0.0, 1.0, 1.7e9, 1764603010.0, 4102444800.0, 2.5e11):
        for k in range(-3, 4):
            x = base + k * 1e-6 + 5e-7  # microsecond halves: rounding to even
            out += [x, math.nextafter(x, 0.0), math.nextafter(x, math.inf)]
        out += [base + 0.001 * k for k in range(3)]
    return [x for x in out if 0 <= x < MAX_INSTANT]


def test_same_digits_as_datetime_at_edges():
    for ts in _edges():
        assert iso_millis(ts) == _iso_millis_datetime(ts), ts


def test_same_digits_as_datetime_at_random_instants():
    rng = random.Random(7)
    for _ in range(100_000):
        ts = rng.choice((rng.uniform(0, MAX_INSTANT), rng.uniform(1.6e9, 1.9e9), round(rng.uniform(1.6e9, 1.9e9), 3),
                         rng.randrange(0, 2**38) / 1024, rng.uniform(0, 100)))
        assert iso_millis(ts) == _iso_millis_datetime(ts), ts


def test_integers_and_the_range_edges():
    assert iso_millis(0) == "1970-01-01T00:00:00.000Z"
    assert iso_millis(1764603010) == "2025-12-01T15:30:10.000Z"
    assert iso_millis(MAX_INSTANT - 0.0004) == "9998-12-31T23:59:59.999Z"
    assert iso_millis(-1.5) == "1969-12-31T23:59:58.500Z"  # outside the range: as datetime says it
    with pytest.raises((ValueError, OverflowError)):
        iso_millis(float("nan"))
