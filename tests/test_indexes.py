"""Lists and filters come from the store's indexes: they agree with a scan of
every stored call at every instant (the clock moved back included), and the
work they do does not grow with the number of stored calls."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from emulator.core.store import CallRecord
from emulator.providers.heppu import STYLE as HEPPU_STYLE
from emulator.providers.trillet.render import HISTORY_STATUS
from emulator.providers.trillet.style import STYLE as TRILLET_STYLE

from .conftest import HEPPU, TRILLET, TRILLET_WORKSPACE, make_app

ORG = "org_abc123"
STATUSES = ["scheduled", "queued", "initiated", "connecting", "ringing", "active", "completed", "failed", "cancelled", "no_answer", "busy"]


@pytest.fixture(scope="module")
def world():
    """An emulator holding 400 generated calls per vendor, created 3 s apart,
    some cancelled or ended early, under a manual clock."""
    app = make_app(strict=False)
    engine = app.state.engine
    clock = engine.clocks.global_clock
    start = clock.now()
    for i in range(400):
        for tenant_id, style in ((ORG, HEPPU_STYLE), (TRILLET_WORKSPACE, TRILLET_STYLE)):
            tenant = engine.tenants.get(tenant_id)
            agent = [a for a in tenant.agents if a.type == "voice" and a.phone_numbers][i % 2]
            # Every fifth call scheduled an hour ahead (Heppu sorts by that); every
            # eleventh inbound (both vendors filter by direction).
            scheduled = {"scheduled_at": clock.now() + 3600, "start_delay": 3600.0} if i % 5 == 0 else {}
            record = engine.create_call(tenant=tenant, agent=agent, style=style, now=clock.now(), contact_phone=f"+1415555{i % 7:04d}",
                                        direction="inbound" if i % 11 == 0 else "outbound", **scheduled)
            if i % 9 == 0:
                engine.intervene(record, "end", status="cancelled", source="api", now=clock.now())
        clock.advance(3)
    with TestClient(app) as client:
        yield app, client, start


def scan(app, tenant_id: str, now: float) -> list:
    """Every call of the tenant that exists at `now`, newest first: the truth."""
    snaps = [r.at(now) for r in app.state.engine.store.for_tenant(tenant_id)]
    return [s for s in reversed(snaps) if s is not None]


def heppu_ids(client, **params) -> tuple[list[str], int]:
    ids, offset = [], 0
    while True:
        body = client.get("/api/v1/calls", params={**params, "limit": 100, "offset": offset}, headers=HEPPU).json()["data"]
        ids += [c["id"] for c in body["calls"]]
        if not body["pagination"]["hasMore"]:
            return ids, body["pagination"]["total"]
        offset += 100


def history_ids(client, **params) -> tuple[list[str], int]:
    ids, page = [], 1
    while True:
        r = client.get("/v2/api/call-history", params={**params, "limit": 100, "page": page}, headers=TRILLET)
        ids += [c["_id"] for c in r.json()]
        if len(ids) >= int(r.headers["x-total-count"]):
            return ids, int(r.headers["x-total-count"])
        page += 1


# Instants: while calls are being created, just after, long after; then back.
OFFSETS = [30, 600, 1205, 1500, 100_000, 900, 10]


@pytest.mark.parametrize("offset", OFFSETS)
def test_lists_agree_with_a_scan_of_every_call(world, offset):
    app, client, start = world
    now = start + offset
    app.state.engine.clocks.global_clock.set_now(now)
    heppu = scan(app, ORG, now)
    for status in STATUSES:
        want = [s.plan.id for s in heppu if s.status == status]
        assert heppu_ids(client, status=status) == (want, len(want)), status
    for phone in ("+14155550003", "+14155551234"):
        want = [s.plan.id for s in heppu if phone in (s.plan.contact_phone, s.plan.agent_phone)]
        assert heppu_ids(client, phoneNumber=phone) == (want, len(want))
        want = [s.plan.id for s in heppu if phone in (s.plan.contact_phone, s.plan.agent_phone) and s.status == "completed"]
        assert heppu_ids(client, phoneNumber=phone, status="completed") == (want, len(want))

    agent = next(s.plan.agent_id for s in heppu)
    for params, keep in [
        ({"agentId": agent}, lambda s: s.plan.agent_id == agent),
        ({"agentId": agent, "status": "completed"}, lambda s: s.plan.agent_id == agent and s.status == "completed"),
        ({"agentId": agent, "status": "active"}, lambda s: s.plan.agent_id == agent and s.status == "active"),
        ({"agentId": agent, "phoneNumber": "+14155550003"}, lambda s: s.plan.agent_id == agent and s.plan.contact_phone == "+14155550003"),
        ({"direction": "inbound"}, lambda s: s.plan.direction == "inbound"),
        ({"direction": "outbound", "status": "scheduled"}, lambda s: s.plan.direction == "outbound" and s.status == "scheduled"),
        ({"phoneNumber": "+14155550003", "status": "cancelled", "direction": "outbound"},
         lambda s: s.plan.contact_phone == "+14155550003" and s.status == "cancelled" and s.plan.direction == "outbound"),
    ]:
        want = [s.plan.id for s in heppu if keep(s)]
        assert heppu_ids(client, **params) == (want, len(want)), params
    # By scheduledAt: scheduled calls in that order (then creation), unscheduled ones last.
    timed = sorted((s for s in heppu if s.plan.scheduled_at is not None), key=lambda s: (s.plan.scheduled_at, s.plan.created_at))
    rest = [s.plan.id for s in heppu if s.plan.scheduled_at is None]
    for order, want in (("asc", [s.plan.id for s in timed] + rest[::-1]), ("desc", [s.plan.id for s in timed[::-1]] + rest)):
        assert heppu_ids(client, sortBy="scheduledAt", sortOrder=order) == (want, len(want)), order

    trillet = scan(app, TRILLET_WORKSPACE, now)
    agent = next(s.plan.agent_id for s in trillet)
    for params, keep in [
        ({"agentId": agent}, lambda s: s.plan.agent_id == agent),
        ({"direction": "inbound"}, lambda s: s.plan.direction == "inbound"),
        ({"agentId": agent, "status": "completed,in-progress"},
         lambda s: s.plan.agent_id == agent and HISTORY_STATUS[s.status] in ("completed", "ringing", "active")),
        ({"direction": "outbound", "status": "queued"}, lambda s: s.plan.direction == "outbound" and HISTORY_STATUS[s.status] == "queued"),
    ]:
        want = [s.plan.id for s in trillet if keep(s)]
        assert history_ids(client, **params) == (want, len(want)), params
    live = [s.plan.id for s in trillet if s.room_open]
    body = client.get("/v2/api/active-calls", headers=TRILLET).json()
    assert [c["id"] for c in body["data"]] == live and body["count"] == len(live)
    for words in ("completed", "ringing,active", "in-progress", "queued,cancelled", "no-answer,busy,failed"):
        wanted = {w for word in words.split(",") for w in (("ringing", "active") if word == "in-progress" else (word,))}
        want = [s.plan.id for s in trillet if HISTORY_STATUS[s.status] in wanted]
        assert history_ids(client, status=words) == (want, len(want)), words

    for tenant, truth in ((ORG, heppu), (TRILLET_WORKSPACE, trillet)):
        # Unfiltered, the newest calls by creation, those created later included (status null).
        calls = client.get("/_emulator/calls", params={"tenant": tenant, "limit": 5}).json()["calls"]
        assert [c["id"] for c in calls] == [r.plan.id for r in app.state.engine.store.for_tenant(tenant)[-5:]]
        for status in ("active", "completed", "cancelled"):
            calls = client.get("/_emulator/calls", params={"tenant": tenant, "status": status, "limit": 3}).json()["calls"]
            assert [c["id"] for c in calls] == [s.plan.id for s in truth if s.status == status][:3][::-1]


def counted(monkeypatch, cls, name: str) -> dict:
    """{"n": how many times cls.name has been called} from now on."""
    count = {"n": 0}
    method = getattr(cls, name)

    def counting(self, *args):
        count["n"] += 1
        return method(self, *args)

    monkeypatch.setattr(cls, name, counting)
    return count


@pytest.fixture
def reads(monkeypatch):
    """How many call snapshots requests take."""
    return counted(monkeypatch, CallRecord, "at")


def test_pages_and_filters_do_not_read_every_call(world, reads):
    app, client, start = world
    app.state.engine.clocks.global_clock.set_now(start + 100_000)  # every call over
    for path, params, headers, most in [
        ("/_emulator/calls", {"limit": 1}, {}, 5),
        ("/_emulator/calls", {"limit": 1, "status": "active"}, {}, 0),
        ("/_emulator/calls", {"limit": 2, "status": "completed"}, {}, 10),
        ("/api/v1/calls", {"limit": 1, "status": "active"}, HEPPU, 0),
        ("/api/v1/calls", {"limit": 1, "status": "completed"}, HEPPU, 1),
        ("/v2/api/active-calls", {}, TRILLET, 0),
        ("/v2/api/call-history", {"limit": 1, "status": "busy"}, TRILLET, 1),
    ]:
        reads["n"] = 0
        assert client.get(path, params=params, headers=headers).status_code == 200
        assert reads["n"] <= most, (path, params, reads["n"])
    # A phone number reads only that number's calls.
    reads["n"] = 0
    client.get("/api/v1/calls", params={"phoneNumber": "+14155550003", "agentId": "x"}, headers=HEPPU)
    assert reads["n"] == 0  # agentId is checked on the record before any snapshot


def test_filters_on_a_calls_agent_direction_or_schedule_expand_no_plan_but_the_page(world, monkeypatch):
    """Agent, direction and scheduled instant are on every record: a list
    filtered or sorted by them redraws no evicted plan but the page's."""
    from emulator.core.records import PlanCache

    app, client, start = world
    engine = app.state.engine
    engine.clocks.global_clock.set_now(start + 100_000)  # every call over: no plan pinned
    engine.store.plans.clear()
    engine.bodies.clear()
    drawn = counted(monkeypatch, PlanCache, "_expand")
    heppu_agent = engine.tenants.get(ORG).agents[0].id
    trillet_agent = engine.tenants.get(TRILLET_WORKSPACE).agents[0].id
    for path, params, headers in [
        ("/api/v1/calls", {"limit": 3, "agentId": heppu_agent}, HEPPU),
        ("/api/v1/calls", {"limit": 3, "direction": "inbound"}, HEPPU),
        ("/api/v1/calls", {"limit": 3, "sortBy": "scheduledAt"}, HEPPU),
        ("/api/v1/calls", {"limit": 3, "agentId": heppu_agent, "status": "cancelled", "phoneNumber": "+14155550003"}, HEPPU),
        ("/v2/api/call-history", {"limit": 3, "agentId": trillet_agent}, TRILLET),
        ("/v2/api/call-history", {"limit": 3, "direction": "outbound", "status": "completed,busy"}, TRILLET),
    ]:
        drawn["n"] = 0
        r = client.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
        assert drawn["n"] <= 3, (path, params, drawn["n"])


def test_the_state_export_is_streamed_in_chunks(world):
    app, client, _ = world
    with client.stream("GET", "/_emulator/state") as r:
        assert "content-length" not in r.headers
        chunks = list(r.iter_raw())
    assert len(chunks) > 1
    doc = b"".join(chunks)
    import json

    state = json.loads(doc)
    assert len(state["calls"]) == len(app.state.engine.store)
    assert list(state) == ["version", "seed", "clock", "tenantClocks", "tenants", "calls", "streams", "scheduler", "webhooks"]
