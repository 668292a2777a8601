"""The engine: one emulator's clocks, store, tenants and generator, and the
few operations every provider and the control plane share."""

from __future__ import annotations

from emulator.core.bodies import BodyCache
from emulator.core.clock import Clock, Clocks
from emulator.core.demo import DemoTraffic
from emulator.core.generate import CallStyle, Generator, Script
from emulator.core.lifecycle import CallSnapshot
from emulator.core.magic import with_magic
from emulator.core.plan import CallPlan, Intervention, Turn
from emulator.core.store import CallRecord, Store
from emulator.core.tenants import Agent, Tenant, Tenants


class Engine:
    def __init__(
        self,
        *,
        seed: int,
        clock: Clock,
        tenants: Tenants,
        scripts: dict[str, Script],
        fixture_calls: list[CallPlan] = (),
    ) -> None:
        self.seed = seed
        self.clocks = Clocks(clock)
        self.store = Store()
        self.bodies = BodyCache()
        self.tenants = tenants
        self.scripts = scripts
        self.generator = Generator(seed, scripts)
        self.demo: DemoTraffic | None = None
        self._fixture_calls = list(fixture_calls)
        self.load_fixture_calls()

    def load_fixture_calls(self, tenant_id: str | None = None) -> None:
        for plan in self._fixture_calls:
            if (tenant_id is None or plan.tenant == tenant_id) and self.store.get(plan.id) is None:
                self.store.add(plan)

    def now(self, tenant_id: str | None = None) -> float:
        """The tenant's virtual now. Reading time is also when demo traffic
        due by then is materialised (nothing runs in the background)."""
        if self.demo is not None:
            self.demo.catch_up(self.clocks.global_clock.now())
        if tenant_id is None:
            return self.clocks.global_clock.now()
        return self.clocks.for_tenant(tenant_id).now()

    def snapshot(self, record: CallRecord, now: float | None = None) -> CallSnapshot | None:
        return record.at(self.now(record.plan.tenant) if now is None else now)

    def create_call(
        self,
        *,
        tenant: Tenant,
        agent: Agent,
        style: CallStyle,
        seed_stream: tuple[str, int] | None = None,
        now: float | None = None,
        **plan_args,
    ) -> CallRecord:
        """A new call for `tenant`, created at its now, drawn from the seed
        with `plan_args` given by the request. `seed_stream` (stream, index)
        draws from a stream of the caller's choosing instead of the tenant's
        counter, for calls whose identity must not depend on when they were
        materialised (a retry drawn from its chain). `now` is the request's
        (read once by its context); the tenant's clock is read otherwise. A magic contact number
        forces its outcome unless the request says otherwise."""
        plan_args = with_magic(plan_args.get("contact_phone"), plan_args)
        stream, index = seed_stream if seed_stream is not None else (tenant.id, self.store.next_index(tenant.id))
        created_at = plan_args.pop("created_at", None)
        plan = self.generator.plan(
            stream=stream,
            index=index,
            tenant=tenant.id,
            agent=agent,
            style=style,
            created_at=created_at if created_at is not None else now if now is not None else self.now(tenant.id),
            **plan_args,
        )
        return self.store.add(plan)

    def intervene(self, record: CallRecord, kind: str, *, now: float | None = None, **fields) -> Intervention:
        """Record `kind` happening to the call at `now` (the request's), else
        at its tenant's now."""
        at = self.now(record.plan.tenant) if now is None else now
        iv = Intervention(at=at, kind=kind, **fields)  # type: ignore[arg-type]
        self.store.intervene(record.plan.id, iv)
        return iv

    def say(self, record: CallRecord, role: str, text: str, **fields) -> Intervention:
        return self.intervene(record, "say", turn=Turn(at=0.0, role=role, text=text, **fields))  # type: ignore[arg-type]

    def reset(self, tenant_id: str | None = None) -> None:
        """Forget calls (all, or one tenant's) and reload the fixture calls."""
        self.store.clear(tenant_id)
        if tenant_id is None and self.demo is not None:
            self.demo._next = 0
        self.load_fixture_calls(tenant_id)
