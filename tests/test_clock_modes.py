"""Every write route and a call's whole life under each clock mode, over a
real HTTP server with one keep-alive client.

The default mode (realtime, demo on, not strict) is the one users run;
under a running clock a request that read the clock twice answered 500
after storing its call. Each case checks the answer and that what it wrote
reads back the same, so a route that breaks under any mode fails here. A new write route must be
added to WRITES (test_every_write_route_is_covered)."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi.routing import APIRoute

from emulator.app import PROVIDERS, create_app
from emulator.control.routes import ROUTERS
from emulator.settings import Settings

from .conftest import HEPPU, TRILLET, TRILLET_WORKSPACE
from .live import serving

MODES = ["realtime", "scaled", "manual"]
SUPPORT = "550e8400-e29b-41d4-a716-446655440000"  # Heppu agent with a number
TRILLET_AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"
ENDED = {"completed", "failed", "cancelled", "no_answer", "busy"}


@pytest.fixture(params=[(mode, strict) for mode in MODES for strict in (False, True)],
                ids=lambda p: p[0] + ("-strict" if p[1] else ""))
def http(request):
    """A client of a served emulator in one clock mode; realtime runs the
    default configuration (demo traffic on), the others start now. Each
    mode runs as served by default (the polled reads and the creates take
    the short path) and under --strict (every request the full path, every
    answer checked against the spec)."""
    mode, strict = request.param
    settings = {"strict": strict} if mode == "realtime" else {"clock": mode, "demo": False, "strict": strict}
    with serving(create_app(Settings(**settings))) as base, httpx.Client(base_url=base, timeout=10) as client:
        client.mode = mode
        yield client


def ok(r: httpx.Response, status: int = 200) -> httpx.Response:
    assert r.status_code == status, f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}"
    return r


def heppu_get(http, call_id):
    return ok(http.get(f"/api/v1/calls/{call_id}", headers=HEPPU)).json()["data"]


def control_get(http, call_id):
    return ok(http.get(f"/_emulator/calls/{call_id}")).json()


def live_trillet_call(http) -> dict:
    """A Trillet call answered now through the control plane that talks for
    an hour: live for the whole case, whatever the clock does."""
    body = {"tenant": TRILLET_WORKSPACE, "startDelay": 0, "ringAt": None, "answerAt": None, "giveUpAt": None, "talkFor": "1h"}
    created = ok(http.post("/_emulator/calls", json=body), 201).json()
    ok(http.post(f"/_emulator/calls/{created['id']}/actions", json={"action": "answer"}))
    return {"callId": created["id"], "roomName": created["plan"]["room"]}


# --- One case per write route ------------------------------------------------


def schedule_call(http):
    r = ok(http.post("/api/v1/calls/schedule", headers=HEPPU, json={"agentId": SUPPORT, "contactPhone": "+14155552671"}), 201)
    data = r.json()["data"]
    assert data["status"] == "initiated"
    assert heppu_get(http, data["id"])["createdAt"] == data["createdAt"]


def batch_schedule(http):
    calls = [{"contactPhone": "+14155550101"}, {"contactPhone": "+14155550102"}]
    r = ok(http.post("/api/v1/calls/batch", headers=HEPPU, json={"agentId": SUPPORT, "calls": calls}), 201)
    for result in r.json()["data"]["results"]:
        assert heppu_get(http, result["callId"])["status"] not in ENDED


def outbound_call(http):
    r = ok(http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SUPPORT, "phoneNumber": "+14155550123"}), 201)
    data = r.json()["data"]
    assert data["status"] == "queued"
    assert heppu_get(http, data["id"])["status"] in ("queued", "connecting", "ringing", "active")


def cancel_call(http):
    later = ok(http.post("/api/v1/calls/schedule", headers=HEPPU, json={"agentId": SUPPORT, "contactPhone": "+14155550104", "scheduledAt": "9000-01-01T00:00:00Z"}), 201)
    call_id = later.json()["data"]["id"]
    assert ok(http.delete(f"/api/v1/calls/{call_id}", headers=HEPPU)).json()["data"]["status"] == "cancelled"
    assert heppu_get(http, call_id)["status"] == "cancelled"


def trillet_outbound(http):
    placed = ok(http.post("/v1/api/call", headers=TRILLET, json={"to": "+14155550123", "call_agent_id": TRILLET_AGENT})).json()
    assert control_get(http, placed["callId"])["snapshot"]["status"] not in ENDED


def end_active_call(http):
    placed = live_trillet_call(http)
    r = ok(http.post(f"/v2/api/active-calls/{placed['roomName']}/end-call", headers=TRILLET)).json()
    assert control_get(http, placed["callId"])["snapshot"]["endedAt"] == r["endTime"]
    ok(http.get(f"/v2/api/active-calls/{placed['roomName']}", headers=TRILLET), 404)


def remove_agent(http):
    placed = live_trillet_call(http)
    room = placed["roomName"]
    ok(http.post(f"/v2/api/active-calls/{room}/remove-agent", headers=TRILLET, json={"participantIdentity": "agent-001"}))
    snap = control_get(http, placed["callId"])["snapshot"]
    assert [p["muted"] for p in snap["participants"] if p["identity"] == "agent-001"] == [True]


def create_call(http):
    r = ok(http.post("/_emulator/calls", json={"tenant": "org_abc123", "contactPhone": "+14155550105"}), 201).json()
    assert r["snapshot"] is not None and r["snapshot"]["status"] not in ENDED
    assert heppu_get(http, r["id"])["createdAt"]


def force_transition(http):
    created = ok(http.post("/_emulator/calls", json={"tenant": "org_abc123", "startDelay": 0, "ringAt": None}), 201).json()
    ok(http.post(f"/_emulator/calls/{created['id']}/actions", json={"action": "answer"}))
    r = ok(http.post(f"/_emulator/calls/{created['id']}/actions", json={"action": "hangup"})).json()
    assert r["snapshot"]["status"] == "completed"
    assert heppu_get(http, created["id"])["status"] == "completed"


def inject_turn(http):
    placed = live_trillet_call(http)
    r = ok(http.post(f"/_emulator/calls/{placed['callId']}/turns", json={"role": "customer", "text": "Is anyone there?"})).json()
    assert r["snapshot"]["transcript"][-1]["text"] == "Is anyone there?"


def set_clock(http):
    r = ok(http.put("/_emulator/clock", json={"mode": http.mode})).json()
    assert r["mode"] == http.mode


def advance_clock(http):
    before = ok(http.get("/_emulator/clock")).json()["epoch"]
    assert ok(http.post("/_emulator/clock/advance", json={"by": "1h"})).json()["epoch"] >= before + 3600


def tenant_clock(http):
    ok(http.put("/_emulator/tenants/org_abc123/clock", json={"mode": http.mode}))
    ok(http.post("/_emulator/tenants/org_abc123/clock/advance", json={"by": 30}))
    schedule_call(http)  # writes still agree under the tenant's own clock
    ok(http.delete("/_emulator/tenants/org_abc123/clock"))


def tenants(http):
    body = {"vendor": "heppu", "id": "org_modes", "name": "Modes", "keys": ["modes_key"], "agents": [{"id": "agent-m", "name": "M", "phoneNumbers": ["+14155550100"]}]}
    ok(http.post("/_emulator/tenants", json=body), 201)
    ok(http.delete("/_emulator/tenants/org_modes"), 204)


def faults(http):
    rule = ok(http.post("/_emulator/faults", json={"vendor": "heppu", "status": 429, "times": 1}), 201).json()
    ok(http.delete(f"/_emulator/faults/{rule['id']}"), 204)
    ok(http.delete("/_emulator/faults"), 204)


def clear_journal(http):
    ok(http.delete("/_emulator/journal"), 204)


def reset(http):
    ok(http.post("/_emulator/reset", json={}))
    schedule_call(http)


def import_state(http):
    schedule_call(http)
    state = ok(http.get("/_emulator/state")).json()
    ok(http.put("/_emulator/state", json=state))
    schedule_call(http)


def web_call(http):
    """The web SDK's connect and disconnect, and the public-agent route."""
    sdk = {"X-API_KEY": "tk_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"}
    got = ok(http.post("/v1/api/calls/web/connect", headers=sdk, json={"agentId": TRILLET_AGENT, "mode": "voice"})).json()
    live = ok(http.get(f"/v2/api/active-calls/{got['roomName']}", headers=TRILLET)).json()
    assert live["roomName"] == got["roomName"]
    ok(http.post("/v1/api/calls/web/disconnect", headers=sdk, json={"roomName": got["roomName"]}))
    assert ok(http.get(f"/v2/api/call-history/{got['callId']}", headers=TRILLET)).json()["status"] == "completed"
    public = {"x-workspace-id": TRILLET_WORKSPACE}
    got = ok(http.post("/v1/api/web-call/public", headers=public, json={"call_agent_id": "64f8e3b1c12d8e9a4f3c2d1e", "mode": "voice"})).json()
    ok(http.get(f"/v2/api/active-calls/{got['roomName']}", headers=TRILLET))


def webhooks(http):
    """Register an endpoint (its receiver is not listening: deliveries fail
    and are kept), end a call, redeliver one delivery, delete the endpoint."""
    hook = ok(http.post("/_emulator/webhooks", json={"url": "http://127.0.0.1:9/hooks", "tenant": "org_abc123", "maxAttempts": 1, "events": ["call.started", "call.completed", "call.cancelled"]}), 201).json()
    call = ok(http.post("/_emulator/calls", json={"tenant": "org_abc123", "startDelay": 0, "ringAt": 0, "answerAt": 1, "talkFor": "1h"}), 201).json()
    ok(http.post(f"/_emulator/calls/{call['id']}/actions", json={"action": "hangup"}))
    deliveries = []
    for _ in range(50):  # delivery runs off the request path
        deliveries = ok(http.get("/_emulator/webhooks/deliveries", params={"webhook": hook["id"]})).json()["deliveries"]
        if deliveries:
            break
        time.sleep(0.1)
    assert deliveries and deliveries[0]["callId"] == call["id"]
    ok(http.post(f"/_emulator/webhooks/deliveries/{deliveries[0]['id']}/redeliver"), 202)
    ok(http.delete(f"/_emulator/webhooks/{hook['id']}"), 204)


WRITES = {
    "scheduleCall": schedule_call,
    "batchScheduleCalls": batch_schedule,
    "outboundCall": outbound_call,
    "cancelCall": cancel_call,
    "initiateOutboundCall": trillet_outbound,
    "endActiveCall": end_active_call,
    "removeAgent": remove_agent,
    "createCall": create_call,
    "forceTransition": force_transition,
    "injectTurn": inject_turn,
    "setClock": set_clock,
    "advanceClock": advance_clock,
    "setTenantClock": tenant_clock,
    "advanceTenantClock": tenant_clock,
    "dropTenantClock": tenant_clock,
    "createTenant": tenants,
    "deleteTenant": tenants,
    "addFault": faults,
    "removeFault": faults,
    "clearFaults": faults,
    "clearJournal": clear_journal,
    "reset": reset,
    "importState": import_state,
    "connectWebCall": web_call,
    "disconnectWebCall": web_call,
    "connectPublicWebCall": web_call,
    "addWebhook": webhooks,
    "redeliver": webhooks,
    "deleteWebhook": webhooks,
}
CASES = list(dict.fromkeys(WRITES.values()))


def test_every_write_route_is_covered():
    routers = [p.router for p in PROVIDERS] + ROUTERS
    writes = {r.operation_id for router in routers for r in router.routes if isinstance(r, APIRoute) and r.methods - {"GET", "HEAD"}}
    assert writes - set(WRITES) == set(), "write routes without a clock-mode case"


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_write_route(http, case):
    case(http)
    # The connection survived: a 500 from the server would have closed it.
    ok(http.get("/api/v1/calls", headers=HEPPU))


def test_the_same_request_twice_on_one_connection(http):
    """What a client does: two writes in a row on a kept-alive connection."""
    for phone in ("+14155550110", "+14155550111"):
        ok(http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SUPPORT, "phoneNumber": phone}), 201)


# --- A whole life -----------------------------------------------------------


def test_a_scheduled_call_lives_and_ends(http):
    """Schedule a minute ahead, move time through the control plane, and read
    every status on the way through both the vendor and the control plane."""
    call = ok(
        http.post("/api/v1/calls/schedule", headers=HEPPU, json={"agentId": SUPPORT, "contactPhone": "+14155550120", "scheduledAt": "2099-01-01T00:00:00Z"}),
        201,
    ).json()["data"]
    assert call["status"] == "scheduled"
    ok(http.put("/_emulator/clock", json={"now": "2098-12-31T23:58:00Z"}))
    order = ["scheduled", "connecting", "ringing", "active"]
    seen = [heppu_get(http, call["id"])["status"]]
    for _ in range(1200):
        if seen[-1] in ENDED:
            break
        ok(http.post("/_emulator/clock/advance", json={"by": 1}))
        now = heppu_get(http, call["id"])
        # The control plane reads later: the same status or one further on.
        later = control_get(http, call["id"])["snapshot"]["status"]
        assert later in ENDED or order.index(later) >= order.index(now["status"]), (now["status"], later)
        if now["status"] != seen[-1]:
            seen.append(now["status"])
    assert seen[0] == "scheduled" and "ringing" in seen and seen[-1] in ENDED, seen
    assert [order.index(s) for s in seen[:-1]] == sorted(order.index(s) for s in seen[:-1]), seen
    final = heppu_get(http, call["id"])
    assert final["endedAt"] and final["startedAt"] >= "2099-01-01T00:00:00"


# --- Filtered lists ---------------------------------------------------------


def test_filtered_lists_and_a_polled_path(http):
    """Lists filtered or sorted by what each call's record keeps (agent,
    direction, scheduled instant), and one path polled twice (the front
    keeps where it routes), under each mode."""
    scheduled = [ok(http.post("/api/v1/calls/schedule", headers=HEPPU, json={"agentId": SUPPORT, "contactPhone": f"+1415555013{i}",
                                                                              "scheduledAt": at}), 201).json()["data"]["id"]
                 for i, at in enumerate(("2099-01-02T00:00:00Z", "2099-01-01T00:00:00Z"))]
    placed = ok(http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SUPPORT, "phoneNumber": "+14155550140"}), 201).json()["data"]["id"]

    page = ok(http.get("/api/v1/calls", params={"agentId": SUPPORT, "sortBy": "scheduledAt", "sortOrder": "asc", "limit": 100},
                       headers=HEPPU)).json()["data"]
    ids = [c["id"] for c in page["calls"]]
    assert all(c["agent"]["id"] == SUPPORT for c in page["calls"]) and page["pagination"]["total"] >= 3
    assert ids.index(scheduled[1]) < ids.index(scheduled[0]) < ids.index(placed)  # scheduled first, by instant
    assert ok(http.get("/api/v1/calls", params={"agentId": "no-such-agent"}, headers=HEPPU)).json()["data"]["pagination"]["total"] == 0
    outbound = ok(http.get("/api/v1/calls", params={"direction": "outbound", "limit": 100}, headers=HEPPU)).json()["data"]["calls"]
    assert placed in [c["id"] for c in outbound] and all(c["direction"] == "outbound" for c in outbound)
    assert ok(http.get("/api/v1/calls", params={"direction": "inbound"}, headers=HEPPU)).json()["data"]["calls"] == []

    ok(http.post("/v1/api/call", headers=TRILLET, json={"call_agent_id": TRILLET_AGENT, "to": "+14155550141"}))
    history = ok(http.get("/v2/api/call-history", params={"agentId": TRILLET_AGENT, "direction": "outbound", "limit": 100},
                          headers=TRILLET)).json()
    assert history and all(h["direction"] == "outbound" for h in history)
    assert "+14155550141" in [h["toPhoneNumber"] for h in history]
    assert ok(http.get("/v2/api/call-history", params={"agentId": "no-such-agent"}, headers=TRILLET)).json() == []

    first, again = (heppu_get(http, placed) for _ in range(2))
    assert first["id"] == again["id"] == placed
