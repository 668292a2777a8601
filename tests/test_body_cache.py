"""A call's body is kept until its next change: `next_change` must bound
every difference between snapshots, and a polled body must always equal a
fresh render, whatever happens to the call or the clock in between."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from emulator.core.lifecycle import snapshot
from emulator.core.plan import Intervention, Turn
from emulator.providers.heppu import render as heppu_render
from emulator.providers.heppu.models import CallResponse
from emulator.core.timeutil import iso_millis
from emulator.providers.trillet import render as trillet_render
from emulator.providers.trillet.models import ActiveCallList

from .conftest import HEPPU, TRILLET, TRILLET_WORKSPACE, make_app
from .test_lifecycle import T0, plan

STEP = 0.25
TIMELINES = {
    "answered": (plan(), []),
    "unanswered": (plan(answer_at=None, give_up_at=30.0, outcome="no_answer"), []),
    "waiting": (plan(start_at=T0 + 40, waiting_status="scheduled"), []),
    "cancelled": (plan(), [Intervention(T0 + 14, "end", status="cancelled")]),
    "muted": (plan(), [Intervention(T0 + 17, "mute", identity="agent")]),
    "said": (plan(), [Intervention(T0 + 14, "say", turn=Turn(0.0, "customer", "Injected"))]),
    "answered early": (plan(answer_at=None, give_up_at=None), [Intervention(T0 + 9, "answer")]),
    "started early": (plan(start_at=T0 + 40), [Intervention(T0 + 3, "start")]),
}


def _what_shows(s):
    """Everything of a snapshot a body can show, but the running clock."""
    return None if s is None else dataclasses.replace(s, now=0.0, duration=0.0 if not s.ended else s.duration, next_change=None)


@pytest.mark.parametrize("name", TIMELINES)
def test_nothing_changes_before_next_change(name):
    p, ivs = TIMELINES[name]
    t = T0 - 2
    while t < T0 + 120:
        s = snapshot(p, ivs, t)
        if s is not None:
            until = s.next_change if s.next_change is not None else T0 + 120
            assert until > t
            u = t
            while u < until and u < T0 + 120:
                assert _what_shows(snapshot(p, ivs, u)) == _what_shows(s), (name, t, u)
                u += STEP
        t += STEP


def _heppu_fresh(app, call_id):
    engine = app.state.engine
    record = engine.store.get(call_id)
    return CallResponse(data=heppu_render.call(record.at(engine.now()))).model_dump_json().encode()


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "short path"])
def test_polled_heppu_call_is_always_a_fresh_render(strict):
    app = make_app(strict=strict)  # strict: every response also checked against the spec
    engine = app.state.engine
    with TestClient(app) as c:
        r = c.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": "550e8400-e29b-41d4-a716-446655440000", "phoneNumber": "+14155550123"})
        call_id = r.json()["data"]["id"]
        for i in range(400):
            if i == 150:
                assert c.delete(f"/api/v1/calls/{call_id}", headers=HEPPU).status_code in (200, 409)
            if i == 200:
                engine.clocks.global_clock.set_now(engine.now() - 100)  # back before the cancel
            for _ in range(2):  # a miss, then a hit
                assert c.get(f"/api/v1/calls/{call_id}", headers=HEPPU).content == _heppu_fresh(app, call_id), i
            engine.clocks.global_clock.advance(0.7)


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "short path"])
def test_polled_trillet_active_call_is_always_a_fresh_render(strict):
    app = make_app(strict=strict)
    engine = app.state.engine
    clock = engine.clocks.own(TRILLET_WORKSPACE)
    clock.set_now(T0)
    with TestClient(app) as c:
        r = c.post("/v1/api/call", headers=TRILLET, json={"to": "+14155550123", "call_agent_id": "a1b2c3d4e5f6a7b8c9d0e1f2"})
        room = r.json()["roomName"]
        c.post("/v1/api/call", headers=TRILLET, json={"to": "+14155550124", "call_agent_id": "a1b2c3d4e5f6a7b8c9d0e1f2"})
        seen_live = 0
        for _ in range(600):
            record = engine.store.by_room(room)
            snap = record.at(clock.now())
            for _ in range(2):
                got = c.get(f"/v2/api/active-calls/{room}", headers=TRILLET)
                if snap is not None and snap.room_open:
                    seen_live += 1
                    assert got.status_code == 200 and got.content == trillet_render.active_call(snap).model_dump_json().encode()
                else:
                    assert got.status_code == 404
                listed = c.get("/v2/api/active-calls", headers=TRILLET).content
                now = clock.now()
                live = [s for rec in reversed(engine.store.for_tenant(TRILLET_WORKSPACE)) if (s := rec.at(now)) is not None and s.room_open]
                fresh = ActiveCallList(data=[trillet_render.active_call_item(s) for s in live], count=len(live), timestamp=iso_millis(now))
                assert listed == fresh.model_dump_json().encode()
            clock.advance(0.3)
        assert seen_live > 100
