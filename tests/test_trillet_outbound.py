"""POST /v1/api/call: a placed call is queued, then lives its life and is
visible at active-calls/{roomName} while live."""

from __future__ import annotations

import re

import pytest

from .conftest import TRILLET, TRILLET_WORKSPACE, Driver, make_app
from .trillet_helpers import AGENT, history, place, place_answered, plan_of, to_turn


def test_response_has_the_documented_fields(driver):
    r = driver.http.post("/v1/api/call", headers=TRILLET, json={"to": "+14155550123", "call_agent_id": AGENT})
    assert r.status_code == 200
    body = r.json()
    assert list(body) == ["status", "message", "callId", "roomName", "jobId"]
    assert body["status"] == "success"
    assert body["message"] == f"Outbound call job scheduled for agent {AGENT} to number +14155550123"
    assert re.fullmatch(r"[0-9a-f]{24}", body["callId"])
    assert re.fullmatch(AGENT + r"-[a-z0-9]{10}", body["roomName"])
    assert body["jobId"]


def test_the_call_is_queued_then_live_then_in_history(driver):
    placed, plan = place_answered(driver)
    room, call_id = placed["roomName"], placed["callId"]
    rec = driver.http.get(f"/v2/api/call-history/{call_id}", headers=TRILLET).json()
    assert rec["status"] == "queued" and rec["startTime"] is None and rec["roomName"] == room
    assert driver.http.get(f"/v2/api/active-calls/{room}", headers=TRILLET).status_code == 404

    driver.clock.set_now(plan.start_at)  # dialling: the room opens, the agent joins
    live = driver.http.get(f"/v2/api/active-calls/{room}", headers=TRILLET)
    assert live.status_code == 200 and live.json()["transcript"] == []
    assert [p["identity"] for p in live.json()["participants"]] == ["agent-001"]
    assert driver.http.get(f"/v2/api/call-history/{call_id}", headers=TRILLET).json()["status"] == "ringing"

    to_turn(driver, plan, 1)
    d = driver.http.get(f"/v2/api/active-calls/{room}", headers=TRILLET).json()
    assert [p["identity"] for p in d["participants"]] == ["agent-001", "customer-001"]
    assert len(d["transcript"]) == 2
    assert driver.http.get(f"/v2/api/call-history/{call_id}", headers=TRILLET).json()["status"] == "active"

    driver.clock.set_now(plan.natural_end)
    assert driver.http.get(f"/v2/api/active-calls/{room}", headers=TRILLET).status_code == 404
    rec = driver.http.get(f"/v2/api/call-history/{call_id}", headers=TRILLET).json()
    assert rec["status"] == {"completed": "completed", "failed": "failed"}[plan.outcome]
    assert rec["endTime"] == int(plan.natural_end)


def test_dynamic_variables_fill_the_conversation(driver):
    placed, plan = place_answered(driver, dynamic_variables={"firstName": "Zelda", "lastName": "Quill"})
    to_turn(driver, plan, 0)
    d = driver.http.get(f"/v2/api/active-calls/{placed['roomName']}", headers=TRILLET).json()
    assert d["customerName"] == "Zelda Quill"
    assert "Zelda" in d["transcript"][0]["content"] and "{firstName}" not in d["transcript"][0]["content"]


def test_metadata_and_variables_are_kept(driver):
    placed = place(driver, dynamic_variables={"firstName": "Ada", "Zipcode": 94107}, metadata={"crm": {"id": 42}},
                   callback_url="https://example.com/hook")
    rec = driver.http.get(f"/v2/api/call-history/{placed['callId']}", headers=TRILLET).json()
    assert rec["metadata"] == {"crm": {"id": 42}}
    (item,) = [c for c in history(driver)[0] if c["_id"] == placed["callId"]]
    assert item["variables"] == {"firstName": "Ada", "Zipcode": 94107}


def test_same_seed_and_requests_give_the_same_calls():
    runs = []
    for _ in range(2):
        d = Driver(make_app(seed=7))
        runs.append([d.http.post("/v1/api/call", headers=TRILLET, json={"to": "+14155550123", "call_agent_id": AGENT}).text for _ in range(3)])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 3


BAD = [
    ({"to": "4155550123", "call_agent_id": AGENT}, 400, "Invalid phone number in 'to': expected E.164 format, e.g. +14155551234"),
    ({"to": "+0155550123", "call_agent_id": AGENT}, 400, "Invalid phone number in 'to': expected E.164 format, e.g. +14155551234"),
    ({"call_agent_id": AGENT}, 400, "Missing required field 'to'"),
    ({"to": "+14155550123"}, 400, "Missing required field 'call_agent_id'"),
    ({"to": "+14155550123", "call_agent_id": "000000000000000000000000"}, 404, "Agent not found: 000000000000000000000000"),
    # An agent of another workspace is unknown here.
    ({"to": "+14155550123", "call_agent_id": "0f1e2d3c4b5a69788796a5b4"}, 404, "Agent not found: 0f1e2d3c4b5a69788796a5b4"),
    ({"to": "+14155550123", "call_agent_id": AGENT, "callback_url": "not a url"}, 400, "Invalid field 'callback_url': must be an absolute http(s) URL"),
    ({"to": "+14155550123", "call_agent_id": AGENT, "dynamic_variables": {"a": {"nested": 1}}}, 400, None),
    ({"to": "+14155550123", "call_agent_id": AGENT, "metadata": []}, 400, None),
    ([], 400, "Request body must be a JSON object"),
]


@pytest.mark.parametrize("body, status, message", BAD)
def test_bad_requests_are_refused_and_store_nothing(driver, body, status, message):
    before = len(driver.engine.store.for_tenant(TRILLET_WORKSPACE))
    r = driver.http.post("/v1/api/call", headers=TRILLET, json=body)
    assert r.status_code == status, r.text
    assert set(r.json()) == {"error", "message"}
    if message:
        assert r.json()["message"] == message
    assert len(driver.engine.store.for_tenant(TRILLET_WORKSPACE)) == before


@pytest.mark.parametrize("raw", ['{"to": "+14155550123",', "to=+14155550123", ""])
def test_malformed_json_is_400(driver, raw):
    r = driver.http.post("/v1/api/call", headers={**TRILLET, "content-type": "application/json"}, content=raw)
    assert r.status_code == 400
    assert r.json()["error"] == "Bad Request"
    assert r.json()["message"].startswith(("Malformed JSON in request body", "Request body is required"))
    assert len(driver.engine.store.for_tenant(TRILLET_WORKSPACE)) == 1


def test_oversized_body_is_413(driver):
    body = {"to": "+14155550123", "call_agent_id": AGENT, "metadata": {"blob": "x" * (1024 * 1024)}}
    r = driver.http.post("/v1/api/call", headers=TRILLET, json=body)
    assert r.status_code == 413
    assert r.json()["error"] == "Payload Too Large" and "limit 1048576" in r.json()["message"]
    assert len(driver.engine.store.for_tenant(TRILLET_WORKSPACE)) == 1


def test_placed_call_follows_its_plan_to_the_end_and_a_failed_one_leaves_history_failed():
    d = Driver(make_app())
    failed = None
    for _ in range(40):
        placed = place(d)
        plan = plan_of(d, placed)
        if plan.outcome in ("busy", "no_answer"):
            failed = (placed, plan)
            break
    assert failed is not None
    placed, plan = failed
    d.clock.set_now(plan.natural_end + 1)
    rec = d.http.get(f"/v2/api/call-history/{placed['callId']}", headers=TRILLET).json()
    assert rec["status"] == {"busy": "busy", "no_answer": "no-answer"}[plan.outcome]
