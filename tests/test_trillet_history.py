"""Call history: every call of the workspace that exists now, with its state
now; paging, filters and the JSON query parameters."""

from __future__ import annotations

import json

import pytest

from .conftest import TRILLET, TRILLET_OTHER_KEY, TRILLET_OTHER_WORKSPACE, Driver, make_app
from .trillet_helpers import AGENT, history, history_ids, place, place_answered, plan_of

OTHER = {"x-api-key": TRILLET_OTHER_KEY, "x-workspace-id": TRILLET_OTHER_WORKSPACE}
DOCS_CALL = "665a1b2c3d4e5f6a7b8c9d0e"
ITEM_FIELDS = [
    "_id", "timestamp", "callId", "fromPhoneNumber", "toPhoneNumber", "direction", "duration", "agent", "status",
    "callFlowName", "cost", "recordingUrl", "summary", "analyzedData", "variables", "transcript",
]


def test_a_call_appears_once_it_exists_and_shows_its_state_now():
    d = Driver(make_app(now="2024-06-01T09:59:58Z"))
    assert history(d) == ([], 0)  # not created yet: an empty array, not an error
    d.at("2024-06-01T10:02:25Z")
    (live,), total = history(d)
    assert total == 1
    assert list(live) == [f for f in ITEM_FIELDS if f != "duration"]  # no duration while live, as the docs' example
    assert live["_id"] == DOCS_CALL and live["callId"] == "call-abc123" and live["status"] == "active"
    assert live["timestamp"] == 1717235999.0 and live["recordingUrl"] is None
    assert live["analyzedData"] == {}
    d.at("2024-06-01T10:06:00Z")
    (done,), _ = history(d)
    assert list(done) == ITEM_FIELDS
    assert done["status"] == "completed" and done["duration"] == 300 and done["cost"] == 0.1
    assert done["analyzedData"] == {"answered_by_voicemail": False}
    assert done["summary"].startswith("Customer asked about a higher than usual invoice")
    assert [t["role"] for t in done["transcript"]] == ["agent", "customer"] * 4


def test_get_one_record_with_the_documented_fields():
    d = Driver(make_app(now="2024-06-01T10:06:00Z"))
    r = d.http.get(f"/v2/api/call-history/{DOCS_CALL}", headers=TRILLET)
    assert r.status_code == 200
    body = r.json()
    assert list(body) == [
        "_id", "workspaceId", "agentId", "callFlowId", "roomName", "direction", "fromPhoneNumber", "toPhoneNumber",
        "status", "startTime", "endTime", "cost", "metadata", "functionCalls", "summary", "analyzedData", "createdAt", "updatedAt",
    ]
    assert body["workspaceId"] == "69cf4b468d2a8a6a8e39b684" and body["roomName"] == "call-abc123"
    assert body["startTime"] == 1717236000 and body["endTime"] == 1717236300
    assert body["cost"] == {"customer_charge": 0.1}
    assert body["createdAt"] == "2024-06-01T09:59:59Z" and body["updatedAt"] == "2024-06-01T10:05:00Z"
    assert d.http.get(f"/v1/api/call-history/{DOCS_CALL}", headers=TRILLET).json() == body


def test_get_unknown_or_foreign_record_is_404(driver):
    r = driver.http.get("/v2/api/call-history/nope", headers=TRILLET)
    assert r.status_code == 404 and r.json() == {"error": "Not Found", "message": "Call history not found: nope"}
    assert driver.http.get(f"/v2/api/call-history/{DOCS_CALL}", headers=OTHER).status_code == 404
    placed = place(driver)
    assert driver.http.get(f"/v2/api/call-history/{placed['callId']}", headers=OTHER).status_code == 404
    assert history(driver, headers=OTHER) == ([], 0)


@pytest.fixture
def five(driver):
    """Five calls a second apart, plus the docs' call from 2024."""
    placed = []
    for i in range(5):
        placed.append(place(driver, to=f"+1415555010{i}"))
        driver.advance(1)
    return placed


def test_newest_first_with_page_limit_and_total(driver, five):
    ids = [p["callId"] for p in reversed(five)] + [DOCS_CALL]
    assert history_ids(driver) == ids
    body, total = history(driver, page=1, limit=2)
    assert total == 6 and [c["_id"] for c in body] == ids[:2]
    assert [c["_id"] for c in history(driver, page=3, limit=2)[0]] == ids[4:]
    assert history(driver, page=4, limit=2) == ([], 6)
    assert len(history(driver)[0]) == 6  # default limit 10


def test_v1_path_answers_the_same(driver, five):
    assert history(driver, path="/v1/api/call-history", limit=3) == history(driver, limit=3)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"page": 0}, "Invalid query parameter 'page'"),
        ({"page": "two"}, "Invalid query parameter 'page'"),
        ({"limit": 101}, "Invalid query parameter 'limit'"),
        ({"direction": "sideways"}, "Invalid query parameter 'direction'"),
        ({"callType": "pstn"}, "Invalid query parameter 'callType'"),
        ({"status": "done"}, "Invalid query parameter 'status'"),
        ({"callIds": "[abc"}, "Query parameter 'callIds' is not valid JSON"),
        ({"callIds": '{"a": 1}'}, "Query parameter 'callIds' must be a JSON array of strings"),
        ({"callIds": "[1, 2]"}, "Query parameter 'callIds' must be a JSON array of strings"),
        ({"dateRange": "{from: 1}"}, "Query parameter 'dateRange' is not valid JSON"),
        ({"dateRange": '["2024-01-01"]'}, "Query parameter 'dateRange' must be a JSON object"),
        ({"dateRange": '{"from": "yesterday"}'}, "dateRange.from is not an ISO 8601 date-time"),
        ({"dateRange": '{"to": 5}'}, "dateRange.to must be an ISO 8601 date-time string"),
        ({"dateRange": '{"to": null}'}, "dateRange.to must be an ISO 8601 date-time string"),
        ({"agentId": ["a", "b"]}, "Query parameter 'agentId' is given more than once"),
        ({"dateRange": '{"from": "2025-01-01T00:00:00Z", "startDate": ""}'}, "dateRange.startDate is not an ISO 8601 date-time"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_problem(driver, params, message):
    r = driver.http.get("/v2/api/call-history", headers=TRILLET, params=params)
    assert r.status_code == 400
    assert r.json()["error"] == "Bad Request" and r.json()["message"].startswith(message)


def test_filters(driver, five):
    ids = [p["callId"] for p in five]
    # agentId: the five are the support agent's; the docs' call too.
    assert len(history_ids(driver, agentId=AGENT)) == 6
    assert history_ids(driver, agentId="64f8e3b1c12d8e9a4f3c2d1e") == []
    # direction and callType
    assert len(history_ids(driver, direction="outbound")) == 6
    assert history_ids(driver, direction="inbound") == []
    assert len(history_ids(driver, callType="sip")) == 6 and history_ids(driver, callType="web") == []
    # search: a number, a room name
    assert history_ids(driver, search="+14155550102") == [ids[2]]
    assert history_ids(driver, search="call-ABC") == [DOCS_CALL]
    # callIds by _id or by callId (the room)
    assert history_ids(driver, callIds=json.dumps([ids[0], "call-abc123"])) == [ids[0], DOCS_CALL]
    assert history_ids(driver, callIds="[]") == []
    # pathwayId: the call flow id shown on the record
    flow = driver.http.get(f"/v2/api/call-history/{ids[0]}", headers=TRILLET).json()["callFlowId"]
    assert ids[0] in history_ids(driver, pathwayId=flow)


def test_status_filter_follows_the_clock(driver, five):
    ids = [p["callId"] for p in five]
    # Now: the last call was placed 1 s ago (queued 2 s); the others dial.
    assert history_ids(driver, status="queued") == [ids[4]]
    assert history_ids(driver, status="completed") == [DOCS_CALL]
    live = set(history_ids(driver, status="ringing,active"))
    assert live == set(history_ids(driver, status="in-progress")) == set(history_ids(driver, status="ongoing"))
    assert live == set(ids[:4])
    driver.advance(3600)
    statuses = {c["_id"]: c["status"] for c in history(driver, limit=100)[0]}
    for p in five:
        plan = plan_of(driver, p)
        assert statuses[p["callId"]] == {"completed": "completed", "failed": "failed", "busy": "busy", "no_answer": "no-answer"}[plan.outcome]
    assert history_ids(driver, status="queued") == []


def test_date_range_bounds_when_calls_were_made(driver, five):
    ids = [p["callId"] for p in five]
    first = plan_of(driver, five[1]).created_at
    last = plan_of(driver, five[3]).created_at
    iso = lambda t: __import__("emulator.core.timeutil", fromlist=["iso_millis"]).iso_millis(t)  # noqa: E731
    assert history_ids(driver, dateRange=json.dumps({"from": iso(first), "to": iso(last)})) == [ids[3], ids[2], ids[1]]
    assert history_ids(driver, dateRange=json.dumps({"startDate": iso(last)})) == [ids[4], ids[3]]
    assert history_ids(driver, dateRange=json.dumps({"to": "2024-12-31T00:00:00Z"})) == [DOCS_CALL]
    assert history_ids(driver, dateRange=json.dumps({"from": iso(last), "to": iso(first)})) == []


def test_total_counts_filtered_calls_across_pages(driver, five):
    body, total = history(driver, agentId=AGENT, limit=2, page=2)
    assert total == 6 and len(body) == 2


def test_a_taken_over_call_shows_what_was_said_not_the_planned_summary(driver):
    placed, plan = place_answered(driver)
    driver.clock.set_now(plan.start_at + plan.answer_at + plan.turns[1].at + 0.1)
    r = driver.http.post(f"/v2/api/active-calls/{placed['roomName']}/remove-agent", headers=TRILLET, json={"participantIdentity": "agent-001"})
    assert r.status_code == 200
    driver.advance(3600)
    rec = driver.http.get(f"/v2/api/call-history/{placed['callId']}", headers=TRILLET).json()
    assert rec["summary"] != plan.summary
    said = " ".join(t.note for t in plan.turns[:2] if t.note)
    assert rec["summary"].startswith(said)
