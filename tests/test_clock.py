"""The three clock modes, with a fake wall so nothing depends on real time."""

from __future__ import annotations

import pytest

from emulator.core.clock import Clock, Clocks


class Wall:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_realtime_follows_the_wall():
    wall = Wall()
    c = Clock("realtime", now=50.0, wall=wall)
    wall.t += 3
    assert c.now() == 53.0


def test_scaled_runs_a_four_minute_call_in_four_seconds():
    wall = Wall()
    c = Clock("scaled", speed=60, now=0.0, wall=wall)
    wall.t += 4
    assert c.now() == 240.0


def test_manual_is_frozen_until_advanced():
    wall = Wall()
    c = Clock("manual", now=10.0, wall=wall)
    wall.t += 100
    assert c.now() == 10.0
    assert c.advance(5) == 15.0
    c.set_now(100.0)
    assert c.now() == 100.0
    with pytest.raises(ValueError):
        c.advance(-1)


def test_changing_mode_keeps_the_current_instant():
    wall = Wall()
    c = Clock("scaled", speed=10, now=0.0, wall=wall)
    wall.t += 2
    c.configure(mode="manual")
    assert c.now() == 20.0
    wall.t += 50
    c.configure(mode="realtime")
    wall.t += 1
    assert c.now() == 21.0
    with pytest.raises(ValueError):
        c.configure(speed=0)


def test_per_tenant_clock_is_independent():
    clocks = Clocks(Clock("manual", now=100.0))
    own = clocks.own("t1")
    own.advance(50)
    assert clocks.for_tenant("t1").now() == 150.0
    assert clocks.for_tenant("t2").now() == 100.0
    clocks.drop("t1")
    assert clocks.for_tenant("t1").now() == 100.0
