"""GET /api/v1/calls/{callId}: the seed page, to the letter, and a call's whole life."""

from __future__ import annotations

import pytest

from .conftest import EXAMPLES, HEPPU, HEPPU_OTHER_KEY, make_app, ordered, Driver

EXAMPLE_INSTANTS = {
    "completed": ("call_abc123", "2025-12-01T14:04:05Z"),
    "active": ("call_def456", "2025-12-01T15:30:10Z"),
    "failed": ("call_ghi789", "2025-12-01T16:00:15Z"),
}


@pytest.mark.parametrize("name", EXAMPLE_INSTANTS)
def test_docs_examples_byte_equivalent(name):
    call_id, instant = EXAMPLE_INSTANTS[name]
    d = Driver(make_app(now=instant))
    r = d.http.get(f"/api/v1/calls/{call_id}", headers=HEPPU)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    # Same keys, same order, same values.
    import json

    assert ordered(r.text) == ordered(json.dumps(EXAMPLES["heppu"][name]))


def test_bearer_token_works_like_x_api_key():
    d = Driver(make_app(now="2025-12-01T14:04:05Z"))
    a = d.http.get("/api/v1/calls/call_abc123", headers=HEPPU)
    b = d.http.get("/api/v1/calls/call_abc123", headers={"Authorization": "Bearer YOUR_API_KEY"})
    assert a.status_code == b.status_code == 200 and a.json() == b.json()


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic WU9VUl9BUElfS0VZ"}, {"x-api-key": ""}],
    ids=["none", "unknown-key", "unknown-bearer", "basic", "empty"],
)
def test_401_unauthorized_exactly_as_documented(client, headers):
    r = client.get("/api/v1/calls/call_abc123", headers=headers)
    assert r.status_code == 401
    assert r.json() == EXAMPLES["heppu"]["unauthorized"]


def test_403_for_another_organisations_call(client):
    r = client.get("/api/v1/calls/call_abc123", headers={"x-api-key": HEPPU_OTHER_KEY})
    assert r.status_code == 403
    assert r.json() == EXAMPLES["heppu"]["forbidden"]


def test_404_unknown_call(client):
    r = client.get("/api/v1/calls/call_nope", headers=HEPPU)
    assert r.status_code == 404
    assert r.json() == EXAMPLES["heppu"]["not_found"]


def test_404_before_the_call_is_created():
    d = Driver(make_app(now="2025-12-01T15:29:49Z"))
    assert d.http.get("/api/v1/calls/call_def456", headers=HEPPU).status_code == 404
    d.advance(1)
    assert d.http.get("/api/v1/calls/call_def456", headers=HEPPU).json()["data"]["status"] == "initiated"


def test_active_call_moves_through_its_life():
    d = Driver(make_app(now="2025-12-01T15:29:50Z"))

    def get():
        return d.http.get("/api/v1/calls/call_def456", headers=HEPPU).json()["data"]

    c = get()
    assert (c["status"], c["startedAt"], c["roomId"], c["liveRoomStatus"], c["transcript"]) == ("initiated", None, None, None, None)
    d.at("2025-12-01T15:30:00Z")
    c = get()
    assert c["status"] == "connecting" and c["roomId"] == "room_live123" and c["sipParticipantId"] is None
    assert c["liveRoomStatus"] == {"roomExists": True, "numParticipants": 1, "participants": [{"identity": "agent", "name": "Sales Agent"}]}
    d.at("2025-12-01T15:30:01Z")
    assert get()["status"] == "ringing" and get()["sipParticipantId"] == "sip_live789"
    d.at("2025-12-01T15:30:04Z")
    c = get()
    assert c["status"] == "active" and c["transcript"] is None and c["liveRoomStatus"]["numParticipants"] == 2
    d.at("2025-12-01T15:30:30Z")
    c = get()
    assert len(c["transcript"]) == 5 and c["duration"] is None and c["summary"] is None
    assert c["updatedAt"] == c["transcript"][-1]["timestamp"] == "2025-12-01T15:30:30Z"
    d.at("2025-12-01T15:31:30Z")
    c = get()
    assert c["status"] == "completed" and c["duration"] == 90 and c["endedAt"] == "2025-12-01T15:31:30Z"
    assert c["liveRoomStatus"] is None and c["summary"].startswith("Sales Agent called Jane Smith")
    assert len(c["transcript"]) == 12


def test_failed_call_before_it_fails_is_ringing():
    d = Driver(make_app(now="2025-12-01T16:00:10Z"))
    c = d.http.get("/api/v1/calls/call_ghi789", headers=HEPPU).json()["data"]
    assert c["status"] == "ringing" and c["failureReason"] is None and c["endedAt"] is None
    assert c["liveRoomStatus"]["roomExists"] is True


def test_cancelled_call_reads_cancelled_with_room_closed(driver):
    record = driver.engine.store.get("call_def456")
    driver.engine.intervene(record, "end", now=driver.engine.now(), status="cancelled")
    driver.advance(5)
    c = driver.http.get("/api/v1/calls/call_def456", headers=HEPPU).json()["data"]
    assert c["status"] == "cancelled" and c["endedAt"] == "2025-12-01T15:30:10Z"
    assert c["liveRoomStatus"] is None and c["duration"] is None and len(c["transcript"]) == 2


def test_unknown_paths_and_methods_answer_in_heppu_shape(client):
    r = client.get("/api/v1/nothing-here", headers=HEPPU)
    assert r.status_code == 404 and r.json() == {"error": {"message": "Not found", "code": 404}}
    r = client.put("/api/v1/calls/call_abc123", headers=HEPPU)
    assert r.status_code == 405 and r.json() == {"error": {"message": "Method not allowed", "code": 405}}
    assert "GET" in r.headers["allow"]


def test_cors_allows_local_frontends(client):
    r = client.options(
        "/api/v1/calls/call_abc123",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://localhost:5173"
    r = client.get("/api/v1/calls/call_abc123", headers={**HEPPU, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
