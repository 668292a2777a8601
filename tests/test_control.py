"""The /_emulator control plane, through HTTP, under a manual clock."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from emulator.core.magic import MAGIC_NUMBERS
from emulator.openapi import control_spec, render

from .conftest import HEPPU, ROOT, TRILLET, TRILLET_WORKSPACE, make_app

ORG = "org_abc123"
NOW = "2025-12-01T15:30:10.000Z"


@pytest.fixture
def c():
    with TestClient(make_app()) as client:
        yield client


def error(r, status):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == status and body["error"]["message"]
    return body["error"]["message"]


def new_call(c, tenant=ORG, **plan):
    r = c.post("/_emulator/calls", json={"tenant": tenant, **plan})
    assert r.status_code == 201, r.text
    return r.json()


def heppu_call(c, call_id):
    return c.get(f"/api/v1/calls/{call_id}", headers=HEPPU)


# -- clock -------------------------------------------------------------------


def test_global_clock_read_set_advance(c):
    assert c.get("/_emulator/clock").json() == {"tenant": None, "own": False, "mode": "manual", "speed": 60.0, "now": NOW, "epoch": 1764603010.0}
    assert c.post("/_emulator/clock/advance", json={"by": "1h30m"}).json()["now"] == "2025-12-01T17:00:10.000Z"
    assert c.post("/_emulator/clock/advance", json={"by": 0.5}).json()["now"] == "2025-12-01T17:00:10.500Z"
    assert c.post("/_emulator/clock/advance", json={"by": "PT1M"}).json()["now"] == "2025-12-01T17:01:10.500Z"
    r = c.put("/_emulator/clock", json={"now": "2030-01-01T00:00:00Z", "mode": "scaled", "speed": 10})
    assert r.json()["mode"] == "scaled" and r.json()["speed"] == 10 and r.json()["now"].startswith("2030-01-01T00:00:0")


@pytest.mark.parametrize("by", ["-5s", -1, "soon", "5 parsecs", "", True, "P"])
def test_bad_durations_are_400_and_change_nothing(c, by):
    assert "by" in error(c.post("/_emulator/clock/advance", json={"by": by}), 400)
    assert c.get("/_emulator/clock").json()["now"] == NOW


@pytest.mark.parametrize("body", [{"mode": "warp"}, {"speed": 0}, {"now": "yesterday"}, {"now": "10000-01-01T00:00:00Z"}, {"tick": 1}])
def test_bad_clock_settings_are_400(c, body):
    error(c.put("/_emulator/clock", json=body), 400)
    assert c.get("/_emulator/clock").json()["mode"] == "manual"


def test_tenant_clock_moves_alone(c):
    first = new_call(c, contactPhone="+15005550001")  # answered 5 s after starting 1 s in
    trillet_clock = c.get(f"/_emulator/tenants/{TRILLET_WORKSPACE}/clock").json()
    assert trillet_clock["own"] is False
    r = c.post(f"/_emulator/tenants/{ORG}/clock/advance", json={"by": "30s"})
    assert r.json() == {"tenant": ORG, "own": True, "mode": "manual", "speed": 60.0, "now": "2025-12-01T15:30:40.000Z", "epoch": 1764603040.0} | {"speed": r.json()["speed"]}
    assert heppu_call(c, first["id"]).json()["data"]["status"] == "active"
    assert c.get("/_emulator/clock").json()["now"] == NOW
    assert c.get(f"/_emulator/tenants/{TRILLET_WORKSPACE}/clock").json()["now"] == NOW
    dropped = c.delete(f"/_emulator/tenants/{ORG}/clock").json()
    assert dropped["own"] is False and dropped["now"] == NOW
    assert heppu_call(c, first["id"]).json()["data"]["status"] == "initiated"


def test_unknown_tenant_clock_is_404(c):
    assert "org_nope" in error(c.get("/_emulator/tenants/org_nope/clock"), 404)
    error(c.post("/_emulator/tenants/org_nope/clock/advance", json={"by": 1}), 404)


# -- tenants -----------------------------------------------------------------


def test_create_use_and_delete_a_tenant(c):
    body = {"vendor": "heppu", "id": "org_ci", "keys": ["ci_key"], "agents": [{"id": "a1", "name": "CI Agent", "phoneNumbers": ["+14155550100"]}]}
    r = c.post("/_emulator/tenants", json=body)
    assert r.status_code == 201 and r.json()["id"] == "org_ci" and r.json()["calls"] == 0
    call = new_call(c, "org_ci")
    assert c.get(f"/api/v1/calls/{call['id']}", headers={"x-api-key": "ci_key"}).status_code == 200
    assert c.get(f"/api/v1/calls/{call['id']}", headers=HEPPU).status_code == 403
    assert "already exists" in error(c.post("/_emulator/tenants", json=body), 409)
    assert "already opens" in error(c.post("/_emulator/tenants", json={**body, "id": "org_ci2"}), 409)
    assert c.delete("/_emulator/tenants/org_ci").status_code == 204
    assert c.get(f"/api/v1/calls/{call['id']}", headers={"x-api-key": "ci_key"}).status_code == 401
    error(c.get(f"/_emulator/calls/{call['id']}"), 404)
    error(c.delete("/_emulator/tenants/org_ci"), 404)


def test_generated_tenant_and_bad_tenants(c):
    t = c.post("/_emulator/tenants", json={"vendor": "trillet"}).json()
    assert len(t["id"]) == 24 and len(t["keys"]) == 1 and t["agents"][0]["phoneNumbers"]
    error(c.post("/_emulator/tenants", json={"vendor": "acme"}), 400)
    error(c.post("/_emulator/tenants", json={"vendor": "heppu", "keys": []}), 400)
    error(c.post("/_emulator/tenants", json={"vendor": "heppu", "agents": [{"id": "a", "name": "A", "script": "nope"}]}), 400)
    assert {x["id"] for x in c.get("/_emulator/tenants").json()["tenants"]} >= {ORG, TRILLET_WORKSPACE, t["id"]}


# -- calls -------------------------------------------------------------------


def test_create_a_call_from_a_partial_plan_and_walk_it(c):
    call = new_call(c, outcome="completed", startDelay="2s", answerAt="6s", talkFor="40s", contactName="Ada Lovelace", metadata={"k": "v"})
    assert call["vendor"] == "heppu" and call["snapshot"]["status"] == "initiated"
    assert call["plan"]["answer_at"] == 6.0 and call["plan"]["metadata"] == {"k": "v"}
    c.post("/_emulator/clock/advance", json={"by": "10s"})
    snap = c.get(f"/_emulator/calls/{call['id']}").json()["snapshot"]
    assert snap["status"] == "active" and snap["answeredAt"] == "2025-12-01T15:30:18.000Z" and snap["roomOpen"]
    c.post("/_emulator/clock/advance", json={"by": "1m"})
    data = heppu_call(c, call["id"]).json()["data"]
    assert data["status"] == "completed" and data["endedAt"] == "2025-12-01T15:30:58Z"


def test_explicit_turns_and_trillet_call(c):
    turns = [{"at": 1, "role": "agent", "text": "Hello from the test."}, {"at": 4, "role": "customer", "text": "Hi there."}]
    call = new_call(c, TRILLET_WORKSPACE, startDelay=0, ringAt=0.5, answerAt=2, turns=turns)
    assert call["vendor"] == "trillet"
    c.post("/_emulator/clock/advance", json={"by": "4s"})
    live = c.get(f"/v2/api/active-calls/{call['plan']['room']}", headers=TRILLET).json()
    assert "Hello from the test." in json.dumps(live["transcript"]) and "Hi there." not in json.dumps(live["transcript"])


@pytest.mark.parametrize(
    "body, words",
    [
        ({"tenant": "org_nope"}, "org_nope"),
        ({"tenant": ORG, "agentId": "nope"}, "agent"),
        ({"tenant": ORG, "vendor": "trillet"}, "heppu"),
        ({"tenant": ORG, "outcome": "exploded"}, "outcome"),
        ({"tenant": ORG, "talkFor": "long"}, "talkFor"),
        ({"tenant": ORG, "script": "nope"}, "script"),
        ({"tenant": ORG, "ringAt": 10, "answerAt": 5}, "answered before it rings"),
        ({"tenant": ORG, "startAt": "2020-01-01T00:00:00Z", "startDelay": 3}, "not both"),
    ],
)
def test_bad_call_plans_are_rejected(c, body, words):
    status = 404 if body["tenant"] == "org_nope" else 400
    assert words in error(c.post("/_emulator/calls", json=body), status)
    assert all(x["contactPhone"] != "+15005550001" for x in c.get("/_emulator/calls").json()["calls"])


@pytest.mark.parametrize(
    "phone, status, reason, after",
    [
        ("+15005550001", "completed", None, 120),
        ("+15005550002", "busy", None, 10),
        ("+15005550003", "no_answer", None, 60),
        ("+15005550004", "failed", "no_answer", 60),
        ("+15005550005", "failed", "network_error", 10),
        ("+15005550006", "failed", "call_dropped", 60),
        ("+15005550007", "completed", None, 600),
        ("+15005550008", "active", None, 1800),
        ("+15005550009", "ringing", None, 86400),
    ],
)
def test_magic_numbers_force_outcomes(c, phone, status, reason, after):
    call = new_call(c, contactPhone=phone)
    c.post("/_emulator/clock/advance", json={"by": after})
    data = heppu_call(c, call["id"]).json()["data"]
    assert (data["status"], data["failureReason"]) == (status, reason)
    if phone == "+15005550006":  # starts 1 s in, answered 5 s later, dropped 20 s into the talk
        snap = c.get(f"/_emulator/calls/{call['id']}").json()["snapshot"]
        assert data["transcript"] and snap["duration"] == 25
    if phone == "+15005550007":
        assert "voicemail" in json.dumps(data["transcript"])


def test_magic_numbers_are_published():
    table = c_table = {m["phone"]: m for m in TestClient(make_app()).get("/_emulator/magic-numbers").json()["numbers"]}
    assert set(c_table) == {m.phone for m in MAGIC_NUMBERS}
    assert table["+15005550004"]["failureReason"] == "no_answer"
    spec = control_spec()
    readme = (ROOT / "README.md").read_text()
    for m in MAGIC_NUMBERS:
        assert m.phone in spec["info"]["description"] and m.phone in readme


def test_explicit_fields_win_over_a_magic_number(c):
    call = new_call(c, contactPhone="+15005550002", outcome="completed", answerAt=3, giveUpAt=None)
    assert call["plan"]["outcome"] == "completed" and call["plan"]["answer_at"] == 3


@pytest.mark.parametrize(
    "phone, action, reason, status, failure",
    [
        ("+15005550009", "answer", None, "active", None),
        ("+15005550009", "busy", None, "busy", None),
        ("+15005550009", "no_answer", None, "no_answer", None),
        ("+15005550009", "fail", "carrier_rejected", "failed", "carrier_rejected"),
        ("+15005550009", "fail", None, "failed", "network_error"),
        ("+15005550009", "hangup", None, "cancelled", None),
        ("+15005550008", "drop", None, "failed", "call_dropped"),
        ("+15005550008", "hangup", None, "completed", None),
        ("+15005550008", "cancel", None, "cancelled", None),
    ],
)
def test_force_transitions(c, phone, action, reason, status, failure):
    call = new_call(c, contactPhone=phone)
    c.post("/_emulator/clock/advance", json={"by": 10})
    r = c.post(f"/_emulator/calls/{call['id']}/actions", json={"action": action, **({"reason": reason} if reason else {})})
    assert r.status_code == 200, r.text
    assert (r.json()["snapshot"]["status"], r.json()["snapshot"]["failureReason"]) == (status, failure)
    assert r.json()["interventions"][-1]["source"] == "control"
    data = heppu_call(c, call["id"]).json()["data"]
    assert data["status"] == status


def test_start_a_waiting_call_and_bad_actions(c):
    call = new_call(c, contactPhone="+15005550009", startDelay="1h")
    assert "only a connecting or ringing" in error(c.post(f"/_emulator/calls/{call['id']}/actions", json={"action": "answer"}), 409)
    r = c.post(f"/_emulator/calls/{call['id']}/actions", json={"action": "start"})
    assert r.json()["snapshot"]["status"] == "connecting"
    error(c.post(f"/_emulator/calls/{call['id']}/actions", json={"action": "drop"}), 409)
    error(c.post(f"/_emulator/calls/{call['id']}/actions", json={"action": "explode"}), 400)
    error(c.post(f"/_emulator/calls/{call['id']}/actions", json={"action": "busy", "reason": "x"}), 400)
    error(c.post("/_emulator/calls/call_nope/actions", json={"action": "answer"}), 404)
    c.post(f"/_emulator/calls/{call['id']}/actions", json={"action": "busy"})
    assert "already ended" in error(c.post(f"/_emulator/calls/{call['id']}/actions", json={"action": "hangup"}), 409)
    assert len(c.get(f"/_emulator/calls/{call['id']}").json()["interventions"]) == 2


def test_inject_a_turn(c):
    call = new_call(c, contactPhone="+15005550008")
    error(c.post(f"/_emulator/calls/{call['id']}/turns", json={"role": "customer", "text": "Hello?"}), 409)
    c.post("/_emulator/clock/advance", json={"by": "7s"})
    r = c.post(f"/_emulator/calls/{call['id']}/turns", json={"role": "customer", "text": "Can I talk to a person?", "sentiment": "negative"})
    assert r.status_code == 200
    c.post("/_emulator/clock/advance", json={"by": "1s"})
    transcript = heppu_call(c, call["id"]).json()["data"]["transcript"]
    assert "Can I talk to a person?" in json.dumps(transcript)
    error(c.post(f"/_emulator/calls/{call['id']}/turns", json={"role": "robot", "text": "x"}), 400)
    error(c.post("/_emulator/calls/nope/turns", json={"role": "agent", "text": "x"}), 404)


def test_list_calls_by_tenant_and_status(c):
    busy = new_call(c, contactPhone="+15005550002")
    c.post("/_emulator/clock/advance", json={"by": 10})
    found = c.get("/_emulator/calls", params={"tenant": ORG, "status": "busy"}).json()["calls"]
    assert [x["id"] for x in found] == [busy["id"]]
    error(c.get("/_emulator/calls", params={"status": "sleeping"}), 400)


# -- faults ------------------------------------------------------------------


def test_fault_rules_answer_in_each_vendors_shape(c):
    r = c.post("/_emulator/faults", json={"vendor": "heppu", "route": "/api/v1/calls/{callId}", "method": "GET", "status": 429, "times": 2})
    assert r.status_code == 201 and r.json()["routes"] == ["GET /api/v1/calls/{callId}"]
    first = heppu_call(c, "call_abc123")
    assert first.status_code == 429 and first.headers["retry-after"] == "1"
    assert first.json() == {"error": {"message": "Too Many Requests", "code": 429}}
    assert heppu_call(c, "call_abc123").status_code == 429
    assert heppu_call(c, "call_abc123").status_code == 200
    assert c.get("/_emulator/faults").json()["faults"][0]["hits"] == 2
    c.post("/_emulator/faults", json={"vendor": "trillet", "status": 503, "message": "Upstream down", "retryAfter": 30})
    r = c.get("/v2/api/active-calls/call-abc123", headers=TRILLET)
    assert r.status_code == 503 and r.headers["retry-after"] == "30"
    assert r.json() == {"error": "Service Unavailable", "message": "Upstream down"}


def test_fault_scoped_to_a_tenant(c):
    c.post("/_emulator/faults", json={"tenant": "org_xyz789", "status": 500})
    assert heppu_call(c, "call_abc123").status_code == 200
    other = c.get("/api/v1/calls/call_abc123", headers={"x-api-key": "heppu_other_key"})
    assert other.status_code == 500 and other.json()["error"]["code"] == 500


def test_fault_probability_is_seeded(c):
    def pattern():
        c.delete("/_emulator/faults")
        c.post("/_emulator/faults", json={"vendor": "heppu", "status": 502, "probability": 0.5})
        return [heppu_call(c, "call_abc123").status_code for _ in range(20)]

    first = pattern()
    assert set(first) == {200, 502}
    assert pattern() == first


def test_latency_fault(c):
    c.post("/_emulator/faults", json={"vendor": "heppu", "delay": "50ms", "times": 1})
    assert heppu_call(c, "call_abc123").status_code == 200
    (entry,) = c.get("/_emulator/journal").json()["entries"]
    # asyncio may wake up to its clock resolution early: allow a few ms
    assert entry["fault"] == "fault_1" and entry["latencyMs"] >= 45


@pytest.mark.parametrize(
    "rule, words",
    [
        ({"vendor": "heppu", "route": "/v2/api/active-calls/{roomName}", "status": 500}, "matches no route"),
        ({"vendor": "heppu", "route": "/nowhere", "status": 500}, "matches no route"),
        ({"vendor": "trillet", "method": "DELETE", "route": "/v2/api/active-calls/{roomName}", "status": 500}, "matches no route"),
        ({"vendor": "trillet", "tenant": ORG, "status": 500}, "matches nothing"),
        ({"tenant": "org_nope", "status": 500}, "org_nope"),
        ({"vendor": "heppu"}, "status, a delay"),
        ({"vendor": "heppu", "status": 200}, "status"),
        ({"vendor": "heppu", "delay": "2m"}, "delay"),
        ({"vendor": "heppu", "status": 500, "probability": 2}, "probability"),
    ],
)
def test_bad_fault_rules_are_400(c, rule, words):
    assert words in error(c.post("/_emulator/faults", json=rule), 400)
    assert c.get("/_emulator/faults").json()["faults"] == []


def test_remove_and_clear_faults(c):
    a = c.post("/_emulator/faults", json={"vendor": "heppu", "status": 500}).json()["id"]
    c.post("/_emulator/faults", json={"vendor": "trillet", "status": 500})
    assert c.delete(f"/_emulator/faults/{a}").status_code == 204
    error(c.delete(f"/_emulator/faults/{a}"), 404)
    assert heppu_call(c, "call_abc123").status_code == 200
    assert c.delete("/_emulator/faults").status_code == 204
    assert c.get("/_emulator/faults").json()["faults"] == []


# -- journal -----------------------------------------------------------------


def test_journal_records_and_filters():
    with TestClient(make_app(journal_size=3)) as c:
        heppu_call(c, "call_abc123")
        heppu_call(c, "call_nope")
        c.get("/api/v1/calls/call_abc123", headers={"x-api-key": "heppu_other_key"})
        c.get("/v2/api/active-calls/call-abc123", headers=TRILLET)
        page = c.get("/_emulator/journal").json()
        assert page["capacity"] == 3 and page["total"] == 3
        assert [e["status"] for e in page["entries"]] == [404, 403, 404]
        e = page["entries"][0]
        assert (e["method"], e["path"], e["vendor"], e["tenant"], e["route"]) == ("GET", "/api/v1/calls/call_nope", "heppu", ORG, "/api/v1/calls/{callId}")
        assert c.get("/_emulator/journal", params={"tenant": TRILLET_WORKSPACE}).json()["total"] == 1
        assert c.get("/_emulator/journal", params={"route": "/api/v1/calls/{callId}", "limit": 1}).json()["entries"][0]["tenant"] == "org_xyz789"
        assert c.delete("/_emulator/journal", params={"tenant": ORG}).status_code == 204
        assert c.get("/_emulator/journal").json()["total"] == 2
        c.delete("/_emulator/journal")
        assert c.get("/_emulator/journal").json()["entries"] == []
        error(c.get("/_emulator/journal", params={"status": 42}), 400)


# -- reset, state ------------------------------------------------------------


def test_reset_one_tenant_or_everything(c):
    mine = new_call(c)
    theirs = new_call(c, TRILLET_WORKSPACE)
    c.post("/_emulator/faults", json={"tenant": ORG, "status": 500})
    c.post(f"/_emulator/tenants/{ORG}/clock/advance", json={"by": 5})
    r = c.post("/_emulator/reset", json={"tenant": ORG})
    assert r.status_code == 200
    error(c.get(f"/_emulator/calls/{mine['id']}"), 404)
    assert c.get("/_emulator/calls/call_abc123").status_code == 200  # fixture call back
    assert c.get(f"/_emulator/calls/{theirs['id']}").status_code == 200
    assert c.get("/_emulator/faults").json()["faults"] == []
    c.post("/_emulator/tenants", json={"vendor": "heppu", "id": "org_tmp"})
    c.post("/_emulator/clock/advance", json={"by": 60})
    body = c.post("/_emulator/reset", json={"seed": 7}).json()
    assert body["seed"] == 7 and body["tenants"] == 4
    error(c.get(f"/_emulator/calls/{theirs['id']}"), 404)
    assert c.get("/_emulator/clock").json()["now"] == "2025-12-01T15:31:10.000Z"  # time kept
    assert c.get(f"/_emulator/tenants/{ORG}/clock").json()["own"] is False
    error(c.post("/_emulator/reset", json={"tenant": "org_nope"}), 404)
    error(c.post("/_emulator/reset", json={"tenant": ORG, "seed": 3}), 400)


def test_reseed_makes_the_same_calls_again(c):
    c.post("/_emulator/reset", json={"seed": 11})
    a = new_call(c)["plan"]
    c.post("/_emulator/reset", json={"seed": 11})
    assert new_call(c)["plan"] == a


def test_export_import_round_trip_is_exact(c):
    busy = new_call(c, contactPhone="+15005550002")
    live = new_call(c, TRILLET_WORKSPACE, contactPhone="+15005550008")
    c.post("/_emulator/tenants", json={"vendor": "trillet", "id": "aaaaaaaaaaaaaaaaaaaaaaaa", "keys": ["k1"]})
    c.post(f"/_emulator/tenants/{TRILLET_WORKSPACE}/clock/advance", json={"by": "8.25s"})
    c.post(f"/_emulator/calls/{live['id']}/turns", json={"role": "customer", "text": "Still there?"})
    c.post(f"/_emulator/calls/{live['id']}/actions", json={"action": "drop"})
    exported = c.get("/_emulator/state")
    assert exported.status_code == 200
    with TestClient(make_app(now="2001-01-01T00:00:00Z", seed=99)) as fresh:
        assert fresh.put("/_emulator/state", json=exported.json()).status_code == 200
        again = fresh.get("/_emulator/state")
        assert again.content == exported.content
        # and the imported emulator serves the same call
        assert fresh.get(f"/_emulator/calls/{busy['id']}").json() == c.get(f"/_emulator/calls/{busy['id']}").json()
        # and keeps generating where the exporter would have
        assert new_call(fresh)["plan"] == new_call(c)["plan"]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s["calls"].append(dict(s["calls"][0])),
        lambda s: s["calls"][0]["plan"].update(tenant="org_nope"),
        lambda s: s["calls"][0]["plan"].update(created_at=1e300),
        lambda s: s["tenantClocks"].update(org_nope={"mode": "manual", "speed": 1, "now": 0}),
        lambda s: s.update(version=2),
        lambda s: s["clock"].update(mode="warp"),
    ],
)
def test_bad_state_documents_change_nothing(c, mutate):
    state = c.get("/_emulator/state").json()
    mutate(state)
    error(c.put("/_emulator/state", json=state), 400)
    assert c.get("/_emulator/calls/call_abc123").status_code == 200


# -- errors, token, spec ------------------------------------------------------


def test_framework_errors_use_the_control_shape(c):
    error(c.get("/_emulator/nothing-here"), 404)
    error(c.delete("/_emulator/clock"), 405)
    error(c.post("/_emulator/clock/advance", content=b"{not json", headers={"content-type": "application/json"}), 400)
    error(c.get("/_emulator/openapi/nope.json"), 404)


def test_control_token():
    with TestClient(make_app(control_token="s3cret")) as c:
        assert "x-emulator-token" in error(c.get("/_emulator/clock"), 401)
        error(c.get("/_emulator/clock", headers={"x-emulator-token": "wrong"}), 401)
        assert c.get("/_emulator/clock", headers={"x-emulator-token": "s3cret"}).status_code == 200
        assert c.get("/_emulator/ready").status_code == 200
        assert c.get("/_emulator/openapi/control.json").status_code == 200
        assert heppu_call(c, "call_abc123").status_code == 200


def test_control_spec_is_committed_and_served(c):
    committed = (ROOT / "openapi" / "control.json").read_text()
    assert committed == render(control_spec()), "run `call-emulator openapi` and commit openapi/"
    spec = c.get("/_emulator/openapi/control.json").json()
    assert spec == json.loads(committed)
    assert all(path.startswith("/_emulator/") for path in spec["paths"])
    assert "422" not in committed and spec["components"]["securitySchemes"]["ControlToken"]["name"] == "x-emulator-token"
