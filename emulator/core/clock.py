"""Virtual time.

A clock is an anchor (virtual instant, wall instant) and a rate: 1 for
realtime, the speed factor for scaled, 0 for manual. Reading it is one
multiplication; changing mode re-anchors at the current virtual instant so
time never jumps unless told to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from typing import Callable


class ClockMode(str, Enum):
    realtime = "realtime"
    scaled = "scaled"
    manual = "manual"


@dataclass(frozen=True)
class ClockState:
    mode: ClockMode
    speed: float
    now: float


class Clock:
    def __init__(
        self,
        mode: ClockMode | str = ClockMode.realtime,
        speed: float = 1.0,
        now: float | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._wall = wall
        # Told after every change (set by whoever persists the clock).
        self.on_change: Callable[["Clock"], None] | None = None
        self._mode = ClockMode.realtime
        self._speed = 1.0
        self._rate = 1.0
        self._anchor_wall = wall()
        self._anchor_virtual = self._anchor_wall if now is None else now
        self.configure(mode=mode, speed=speed, now=self._anchor_virtual)

    @property
    def mode(self) -> ClockMode:
        return self._mode

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def rate(self) -> float:
        """Virtual seconds per wall second: 1, the speed, or 0 (manual)."""
        return self._rate

    def now(self) -> float:
        return self._anchor_virtual + (self._wall() - self._anchor_wall) * self._rate

    def state(self) -> ClockState:
        return ClockState(self._mode, self._speed, self.now())

    def configure(
        self,
        mode: ClockMode | str | None = None,
        speed: float | None = None,
        now: float | None = None,
    ) -> None:
        mode = ClockMode(mode) if mode is not None else self._mode
        if speed is not None and not speed > 0:
            raise ValueError("speed must be greater than 0")
        current = self.now() if now is None else now
        self._mode = mode
        if speed is not None:
            self._speed = float(speed)
        if mode is ClockMode.scaled and speed is None and self._speed == 1.0:
            self._speed = 60.0
        self._rate = {ClockMode.realtime: 1.0, ClockMode.scaled: self._speed, ClockMode.manual: 0.0}[mode]
        self._anchor_virtual = current
        self._anchor_wall = self._wall()
        self._changed()

    def anchor(self) -> tuple[float, float]:
        """(virtual instant, wall instant) the clock counts from."""
        return self._anchor_virtual, self._anchor_wall

    def restore(self, mode: ClockMode | str, speed: float, virtual: float, wall: float) -> None:
        """Back to a stored anchor: a realtime or scaled clock has moved on
        by the wall time since, a manual one has not."""
        self._mode = ClockMode(mode)
        self._speed = float(speed)
        self._rate = {ClockMode.realtime: 1.0, ClockMode.scaled: self._speed, ClockMode.manual: 0.0}[self._mode]
        self._anchor_virtual = virtual
        self._anchor_wall = wall
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def set_now(self, now: float) -> None:
        self.configure(now=now)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock only advances forward")
        self._anchor_virtual += seconds
        self._changed()
        return self.now()


class Clocks:
    """The emulator's clock plus optional per-tenant clocks, so one test suite
    can freeze its own time while others share the global one."""

    def __init__(self, global_clock: Clock) -> None:
        self.global_clock = global_clock
        self._by_tenant: dict[str, Clock] = {}
        # Told (tenant id or None, clock or None when dropped) after every
        # change to any clock, by whoever persists them.
        self.on_change: Callable[[str | None, Clock | None], None] | None = None
        global_clock.on_change = lambda c: self._changed(None, c)

    def _changed(self, tenant_id: str | None, clock: Clock | None) -> None:
        if self.on_change is not None:
            self.on_change(tenant_id, clock)

    def for_tenant(self, tenant_id: str) -> Clock:
        return self._by_tenant.get(tenant_id, self.global_clock)

    def has_own(self, tenant_id: str) -> bool:
        return tenant_id in self._by_tenant

    def own(self, tenant_id: str) -> Clock:
        """The tenant's own clock, created frozen at the global now on first use."""
        clock = self._by_tenant.get(tenant_id)
        if clock is None:
            clock = Clock(ClockMode.manual, now=self.global_clock.now())
            self._by_tenant[tenant_id] = clock
            clock.on_change = lambda c: self._changed(tenant_id, c)
            self._changed(tenant_id, clock)
        return clock

    def drop(self, tenant_id: str) -> None:
        if self._by_tenant.pop(tenant_id, None) is not None:
            self._changed(tenant_id, None)

    def tenants(self) -> dict[str, Clock]:
        return dict(self._by_tenant)
