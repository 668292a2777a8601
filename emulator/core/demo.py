"""Demo traffic: each demo tenant gets its own steady stream of generated
calls (call k at origin + k * every), released by the scheduler at its
instant whoever reads, plus a history so a frontend sees calls in every
state from the first second: completed, failed, no answer, busy and
cancelled ones, one scheduled, one ringing and one live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.core.generate import CallStyle
from emulator.core.plan import Intervention
from emulator.core.scheduler import DemoStream
from emulator.core.tenants import Agent, Tenant

if TYPE_CHECKING:
    from emulator.core.engine import Engine


@dataclass
class DemoTarget:
    tenant: Tenant
    style: CallStyle


# (seconds before start, plan overrides, intervention (seconds after creation, status) or None)
_HISTORY: tuple[tuple[float, dict, tuple[float, str] | None], ...] = (
    (1800, dict(start_delay=1.0, ring_at=1.0, answer_at=6.0, talk_for=150.0, give_up_at=None, outcome="completed", failure_reason=None), None),
    (1500, dict(start_delay=1.0, ring_at=None, answer_at=None, give_up_at=3.0, outcome="failed", failure_reason="network_error"), None),
    (1200, dict(start_delay=1.0, ring_at=1.0, answer_at=None, give_up_at=31.0, outcome="no_answer", failure_reason=None), None),
    (900, dict(start_delay=1.0, ring_at=1.0, answer_at=None, give_up_at=4.0, outcome="busy", failure_reason=None), None),
    (600, dict(start_delay=1800.0, waiting_status="scheduled"), (30.0, "cancelled")),
    (120, dict(start_delay=3600.0, waiting_status="scheduled"), None),
    (20, dict(start_delay=1.0, ring_at=1.0, answer_at=None, give_up_at=60.0, outcome="no_answer", failure_reason=None), None),
    (45, dict(start_delay=1.0, ring_at=1.0, answer_at=5.0, talk_for=300.0, give_up_at=None, outcome="completed", failure_reason=None), None),
)


class Demo:
    def __init__(self, engine: "Engine", targets: list[DemoTarget]) -> None:
        self.engine = engine
        self.targets = {t.tenant.id: t for t in targets if self._agents(t.tenant)}
        engine.scheduler.demo_maker = self.make

    @staticmethod
    def _agents(tenant: Tenant) -> list[Agent]:
        return [a for a in tenant.agents if a.type == "voice" and a.phone_numbers]

    def start(self, now: float, every: float) -> None:
        """The history up to `now`, then a call every `every` seconds per tenant."""
        for tenant_id in self.targets:
            self.history(tenant_id, now)
            self.engine.scheduler.add_demo(DemoStream(tenant_id, now, every))

    def restore(self, streams: dict[str, DemoStream]) -> None:
        for tenant_id, stream in streams.items():
            if tenant_id in self.targets:
                self.engine.scheduler.add_demo(stream)

    def _plan(self, tenant_id: str, stream: str, index: int, created_at: float, **overrides):
        target = self.targets[tenant_id]
        agents = self._agents(target.tenant)
        gen = self.engine.generator
        agent = agents[gen.rng(stream, index).randrange(len(agents))]
        return gen.plan(
            stream=stream, index=index, tenant=tenant_id, agent=agent, style=target.style,
            created_at=created_at, attributes={"source": "demo"}, **overrides,
        )

    def history(self, tenant_id: str, now: float) -> None:
        store = self.engine.store
        for i, (ago, overrides, touch) in enumerate(_HISTORY):
            plan = self._plan(tenant_id, f"demo-history:{tenant_id}", i, now - ago, **overrides)
            if store.get(plan.id) is not None:
                continue
            record = store.add(plan)
            if touch is not None:
                store.intervene(plan.id, Intervention(plan.created_at + touch[0], "end", status=touch[1], source="demo"))
            self.engine.scheduler.track(record, since=now)

    def make(self, stream: DemoStream, k: int) -> None:
        """Demo call k of a tenant's stream (the scheduler calls this at its instant)."""
        if stream.tenant not in self.targets:
            return
        plan = self._plan(stream.tenant, f"demo:{stream.tenant}", k, stream.origin + k * stream.every)
        if self.engine.store.get(plan.id) is None:
            self.engine.scheduler.track(self.engine.store.add(plan))
