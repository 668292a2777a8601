"""Demo traffic: a steady stream of generated calls so a frontend sees calls
move with no setup. Derived, not ticked: call k is created at
origin + k * every, and calls are materialised lazily when someone reads,
so an idle emulator does no work."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.core.generate import CallStyle, Generator
from emulator.core.store import Store
from emulator.core.tenants import Tenant

# A jump of the clock far ahead materialises at most this many calls.
_MAX_BACKLOG = 200


@dataclass
class DemoTarget:
    tenant: Tenant
    style: CallStyle


class DemoTraffic:
    def __init__(self, store: Store, generator: Generator, targets: list[DemoTarget], origin: float, every: float = 8.0) -> None:
        self.store = store
        self.generator = generator
        self.targets = [t for t in targets if any(a.type == "voice" and a.phone_numbers for a in t.tenant.agents)]
        self.origin = origin
        self.every = every
        self._next = 0

    def catch_up(self, now: float) -> int:
        """Create every demo call due by `now`; returns how many were made."""
        if not self.targets or now < self.origin:
            return 0
        last = int((now - self.origin) // self.every)
        first = max(self._next, last - _MAX_BACKLOG + 1)
        for k in range(first, last + 1):
            target = self.targets[k % len(self.targets)]
            agents = [a for a in target.tenant.agents if a.type == "voice" and a.phone_numbers]
            rng = self.generator.rng("demo", k)
            plan = self.generator.plan(
                stream="demo",
                index=k,
                tenant=target.tenant.id,
                agent=agents[rng.randrange(len(agents))],
                style=target.style,
                created_at=self.origin + k * self.every,
                attributes={"source": "demo"},
            )
            if self.store.get(plan.id) is None:
                self.store.add(plan)
        made = max(0, last + 1 - first)
        if last + 1 > self._next:
            self.restart(last + 1)
        return made

    def restart(self, next_index: int = 0) -> None:
        """The next demo call to materialise is `next_index`."""
        self.store.log.append("demo.counted", next=next_index)
        self._next = next_index
