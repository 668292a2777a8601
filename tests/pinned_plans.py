"""Plans, timelines and instants drawn for a fixed set of seeds, styles and
request arguments, reduced to one digest (tests/test_pinned_plans.py): the
generator and the timeline may get faster, never different. Plans are
serialised as the change log stores them (orjson), timelines as their
events."""

from __future__ import annotations

import hashlib
import random

import orjson

from emulator.core.fixtures import default_dir
from emulator.core.generate import Generator, load_scripts
from emulator.core.plan import Intervention, Participant, Turn
from emulator.core.tenants import Agent
from emulator.core.timeline import timeline
from emulator.providers.heppu import STYLE as HEPPU
from emulator.providers.trillet import STYLE as TRILLET

SCRIPTS = load_scripts(default_dir() / "scripts")
AGENTS = (
    Agent("550e8400-e29b-41d4-a716-446655440000", "Customer Support Agent", phone_numbers=("+14155551234",)),
    Agent("a-2", "Sales Bot", phone_numbers=()),
)


def _args(rng: random.Random, now: float) -> dict:
    """Request arguments as the create routes pass them (or none)."""
    kind = rng.randrange(7)
    if kind == 0:
        return {}
    if kind == 1:  # Heppu outbound / schedule (place_call)
        name = rng.choice((None, "John Doe", "Ada"))
        return dict(
            start_delay=rng.choice((None, 0.5, 3600.0)), contact_phone="+14155552671", contact_name=name,
            contact_email=rng.choice((None, "a@b.c")), fill_contact=False, waiting_status=rng.choice(("queued", "scheduled", "initiated")),
            scheduled_at=rng.choice((None, now + 3600.0)), agent_phone="+14155551234",
            metadata={"caller_id": "+14155551234", "priority": 5, "contact": {"firstName": "John", "lastName": "Doe"}},
            attributes={"priority": 5, "retry": None, "attempt": 1, "source": "outbound"},
        )
    if kind == 2:
        return dict(contact_phone=rng.choice(("", "+12125551234")), variables={"firstName": "Zed", "orderNumber": 4242})
    if kind == 3:
        return dict(script=rng.choice(sorted(SCRIPTS)), contact_name="Mary Ann Smith", outcome=rng.choice(("completed", "busy", "no_answer")))
    if kind == 5:  # inconsistent plans fail as they always did (the control plane quotes the message)
        return dict(ring_at=5.0, answer_at=rng.choice((1.0, 9.0)), start_delay=rng.choice((-1.0, 2.0)), start_at=now + 10.0)
    if kind == 6:  # a control-plane plan: turns and participants given
        return dict(turns=(Turn(at=1.0, role="agent", text="Hi"), Turn(at=4.5, role="customer", text="Hello")), talk_for=9.0,
                    participants=(Participant("agent", "A", "agent"), Participant("caller", "C", "caller", "answer")), summary="S")
    return dict(answer_at=None, give_up_at=rng.choice((None, 30.0)), outcome="no_answer", ring_at=rng.choice((None, 2.0)))


def _interventions(rng: random.Random, plan) -> list[Intervention]:
    out = []
    for _ in range(rng.randrange(4)):
        at = plan.created_at + rng.uniform(0, 400)
        kind = rng.choice(("end", "answer", "mute", "leave", "say", "start", "update"))
        identity = rng.choice([p.identity for p in plan.participants])
        out.append(Intervention(
            at=at, kind=kind, status="cancelled" if kind == "end" else None, identity=identity,
            turn=Turn(at=0.0, role="human", text="Hello there") if kind == "say" else None,
            changes={"name": "New"} if kind == "update" else None,
        ))
    return sorted(out, key=lambda iv: iv.at)


def digest(n: int = 400, errors: list | None = None) -> str:
    h = hashlib.sha256()
    rng = random.Random(13)
    for k in range(n):
        seed = rng.choice((0, 1, 7, 2**40 + 3))
        # Instants with every kind of fraction, up to the clock's range.
        created = rng.choice((1.7e9, 1764603010.0, rng.uniform(0, 2e9), rng.uniform(0, 2.5e11), 1764603010.0005))
        style = rng.choice((HEPPU, TRILLET))
        args = _args(rng, created)
        try:
            plan = Generator(seed, SCRIPTS).plan(
                stream=rng.choice(("org_abc123", "retry:call_x")), index=rng.randrange(10_000), tenant="t",
                agent=rng.choice(AGENTS), style=style, created_at=created, **args,
            )
        except ValueError as exc:
            h.update(f"error {exc}".encode())
            if errors is not None:
                errors.append(str(exc))
            continue
        h.update(orjson.dumps(plan))
        h.update(repr(plan).encode())
        for ivs in ((), _interventions(rng, plan)):
            tl = timeline(plan, ivs)
            h.update(orjson.dumps([(e.at, e.type, e.data) for e in tl.events]))
            h.update(repr(list(tl.instants)).encode())
            h.update(repr(tl.ended).encode())
    return h.hexdigest()



def engine_digest(n: int = 150) -> str:
    """Calls created through the engine (Heppu's place_call arguments and
    plain ones), some cancelled at their creation instant or later, the
    clock moved on in steps: every event emitted and every snapshot read."""
    from emulator.app import create_app
    from emulator.providers.heppu import PROVIDER
    from emulator.settings import Settings

    engine = create_app(Settings(demo=False, clock="manual", now="2025-12-01T15:30:10Z")).state.engine
    h = hashlib.sha256()
    emitted = []
    engine.scheduler.listeners.append(lambda e: emitted.append(e))
    tenant = engine.tenants.get("org_abc123")
    agent = tenant.agent("550e8400-e29b-41d4-a716-446655440000")
    clock = engine.clocks.for_tenant(tenant.id)
    rng = random.Random(5)
    records = []
    for k in range(n):
        now = engine.now(tenant.id)
        args = _args(rng, now) if k % 3 else {}
        args.pop("start_at", None)  # a request never moves the start itself
        if (args.get("start_delay") or 0) < 0:
            del args["start_delay"]
        try:
            record = engine.create_call(tenant=tenant, agent=agent, style=PROVIDER.style, now=now, **args)
        except ValueError as exc:
            h.update(str(exc).encode())
            continue
        records.append(record)
        if k % 7 == 0:
            engine.intervene(record, "end", now=now, status="cancelled", reason="api")
        if k % 11 == 0 and len(records) > 3:
            engine.intervene(records[-3], rng.choice(("answer", "end", "mute")), now=now, status="cancelled", identity="agent")
        for r in records[-5:]:
            h.update(repr(r.at(now)).encode())
        clock.advance(rng.choice((0.0, 0.5, 3.0, 40.0)))
        engine.scheduler.release()
    clock.advance(86400.0)
    engine.scheduler.release()
    for r in records:
        h.update(repr(r.at(engine.now(tenant.id))).encode())
    assert len(emitted) > 10 * len(records)
    h.update(orjson.dumps([[e.seq, e.at, e.tenant, e.call_id, e.room, e.type, e.data] for e in emitted]))
    return h.hexdigest()


if __name__ == "__main__":
    print(digest(1500), engine_digest())
