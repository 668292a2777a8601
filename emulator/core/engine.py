"""The engine: one emulator's clocks, store, tenants and generator, and the
few operations every provider and the control plane share."""

from __future__ import annotations

from emulator.core.bodies import BodyCache
from emulator.core.changes import ChangeLog
from emulator.core.clock import Clock, Clocks
from emulator.core.generate import CallStyle, Generator, Script
from emulator.core.lifecycle import CallSnapshot
from emulator.core.magic import with_magic
from emulator.core.plan import CallPlan, Intervention, Turn
from emulator.core.scheduler import Scheduler
from emulator.core.records import pack_args
from emulator.core.store import CallRecord, Store
from emulator.core.timeline import timeline
from emulator.core.tenants import Agent, Tenant, Tenants, tenant_to_dict


def clock_fields(clock: Clock | None) -> dict:
    """A clock as stored: mode, speed and its anchor (virtual and wall
    instants), so a realtime clock keeps real time across a restart."""
    if clock is None:
        return {"mode": None}
    virtual, wall = clock.anchor()
    return {"mode": clock.mode.value, "speed": clock.speed, "now": virtual, "wall": wall}


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
        self.generator = Generator(seed, scripts)
        self.clocks = Clocks(clock)
        self.store = Store()
        self.store.plans.generator = self.generator
        self.bodies = BodyCache()
        self.tenants = tenants
        self.scripts = scripts
        self.scheduler = Scheduler(self)
        self.demo = None  # core.demo.Demo when demo traffic is configured
        self._fixture_calls = list(fixture_calls)
        self.load_fixture_calls()

    def load_fixture_calls(self, tenant_id: str | None = None) -> None:
        for plan in self._fixture_calls:
            if (tenant_id is None or plan.tenant == tenant_id) and self.store.get(plan.id) is None:
                # Loaded as the state at now: only what happens later is an event.
                self.scheduler.track(self.store.add(plan), since=self.now(plan.tenant))

    def attach(self, log: ChangeLog) -> None:
        """From now on every change to the calls, clocks, tenants and demo
        stream goes to `log` too (the engine is built, or replayed, first
        with nothing logged)."""
        self.store.log = log
        if not log.enabled:
            self.clocks.on_change = None
            self.tenants.on_change = None
            return
        self.clocks.on_change = lambda tenant_id, clock: log.append("clock.set", tenant=tenant_id, **clock_fields(clock))
        self.tenants.on_change = lambda tenant_id, tenant: log.append(
            "tenant.put" if tenant is not None else "tenant.removed", id=tenant_id, tenant=tenant_to_dict(tenant) if tenant else None
        )

    def now(self, tenant_id: str | None = None) -> float:
        """The tenant's virtual now."""
        if tenant_id is None:
            return self.clocks.global_clock.now()
        return self.clocks.for_tenant(tenant_id).now()

    def snapshot(self, record: CallRecord, now: float) -> CallSnapshot | None:
        return record.at(now)

    def create_call(
        self,
        *,
        tenant: Tenant,
        agent: Agent,
        style: CallStyle,
        now: float,
        seed_stream: tuple[str, int] | None = None,
        **plan_args,
    ) -> CallRecord:
        """A new call for `tenant`, created at `now` (the instant the request
        read from the tenant's clock: a request reads it once, so everything it
        answers agrees with what it stored), drawn from the seed
        with `plan_args` given by the request. `seed_stream` (stream, index)
        draws from a stream of the caller's choosing instead of the tenant's
        counter, for calls whose identity must not depend on when they were
        materialised (a retry drawn from its chain). `now` is the request's
        (read once by its context); the tenant's clock is read otherwise. A magic contact number
        forces its outcome unless the request says otherwise."""
        plan_args = with_magic(plan_args.get("contact_phone"), plan_args)
        stream, index = seed_stream if seed_stream is not None else (tenant.id, self.store.next_index(tenant.id))
        created_at = plan_args.pop("created_at", None)
        created_at = now if created_at is None else created_at
        plan = self.generator.plan(stream=stream, index=index, tenant=tenant.id, agent=agent, style=style, created_at=created_at, **plan_args)
        # Stored as what it was drawn from; the plan is redrawn if evicted.
        recipe = self.store.plans.recipe(stream, index, agent, style, created_at, pack_args(plan_args))
        tl = timeline(plan, ())  # one timeline for the store's row and the scheduler
        record = self.store.add(plan, recipe=recipe, tl=tl)
        self.scheduler.start(record, tl)
        return record

    def intervene(self, record: CallRecord, kind: str, *, now: float, **fields) -> Intervention:
        """Something happens to the call at `now`, the request's instant."""
        iv = Intervention(at=now, kind=kind, **fields)  # type: ignore[arg-type]
        self.store.intervene(record.plan.id, iv)
        self.scheduler.touch(record)
        return iv

    def say(self, record: CallRecord, role: str, text: str, *, now: float, **fields) -> Intervention:
        return self.intervene(record, "say", now=now, turn=Turn(at=0.0, role=role, text=text, **fields))  # type: ignore[arg-type]

    def reset(self, tenant_id: str | None = None) -> None:
        """Forget calls (all, or one tenant's) and reload the fixture calls."""
        self.store.clear(tenant_id)
        self.scheduler.forget(tenant_id)
        self.load_fixture_calls(tenant_id)
