"""GET /v2/api/active-calls/{roomName}: the seed page, to the letter, while live."""

from __future__ import annotations

import json

import pytest

from .conftest import EXAMPLES, TRILLET, TRILLET_OTHER_KEY, TRILLET_OTHER_WORKSPACE, TRILLET_WORKSPACE, Driver, make_app, ordered

URL = "/v2/api/active-calls/call-abc123"


@pytest.fixture
def d():
    return Driver(make_app(now="2024-06-01T10:02:25Z"))


def test_docs_example_byte_equivalent(d):
    r = d.http.get(URL, headers=TRILLET)
    assert r.status_code == 200
    assert ordered(r.text) == ordered(json.dumps(EXAMPLES["trillet"]["active_call"]))


def test_duration_and_transcript_move_with_the_clock(d):
    d.advance(10)
    c = d.http.get(URL, headers=TRILLET).json()
    assert c["duration"] == 155 and len(c["transcript"]) == 4  # turns at :12, :19, :27, :34


@pytest.mark.parametrize(
    "instant,message",
    [
        ("2024-06-01T09:59:58Z", "Active call not found: call-abc123"),
        ("2024-06-01T09:59:59.500Z", "Call in room call-abc123 is not live yet (queued)"),
        ("2024-06-01T10:05:00Z", "Call in room call-abc123 has already ended (completed)"),
        ("2024-06-01T11:00:00Z", "Call in room call-abc123 has already ended (completed)"),
    ],
)
def test_404_when_the_room_is_not_live(instant, message):
    d = Driver(make_app(now=instant))
    r = d.http.get(URL, headers=TRILLET)
    assert r.status_code == 404
    assert r.json() == {"error": "Not Found", "message": message}


def test_live_from_connect(d):
    d.at("2024-06-01T10:00:00Z")
    c = d.http.get(URL, headers=TRILLET).json()
    assert c["duration"] == 0 and c["transcript"] == [] and len(c["participants"]) == 1


def test_ended_by_intervention_is_gone(d):
    d.engine.intervene(d.engine.store.by_room("call-abc123"), "end", now=d.engine.now(), status="completed")
    assert d.http.get(URL, headers=TRILLET).status_code == 404


def test_unknown_room_404(d):
    r = d.http.get("/v2/api/active-calls/no-such-room", headers=TRILLET)
    assert r.status_code == 404 and r.json()["message"] == "Active call not found: no-such-room"


def test_another_workspaces_room_is_404(d):
    r = d.http.get(URL, headers={"x-api-key": TRILLET_OTHER_KEY, "x-workspace-id": TRILLET_OTHER_WORKSPACE})
    assert r.status_code == 404


@pytest.mark.parametrize(
    "headers,status,message",
    [
        ({}, 401, "Missing x-api-key header"),
        ({"x-workspace-id": TRILLET_WORKSPACE}, 401, "Missing x-api-key header"),
        ({"x-api-key": "tk_wrong", "x-workspace-id": TRILLET_WORKSPACE}, 401, "Invalid API key"),
        ({"x-api-key": "YOUR_API_KEY"}, 400, "Missing x-workspace-id header"),
        ({"x-api-key": "YOUR_API_KEY", "x-workspace-id": TRILLET_OTHER_WORKSPACE}, 403, "API key does not have access to this workspace"),
        ({"x-api-key": TRILLET_OTHER_KEY, "x-workspace-id": TRILLET_WORKSPACE}, 403, "API key does not have access to this workspace"),
    ],
)
def test_auth_errors_in_trillet_shape(d, headers, status, message):
    r = d.http.get(URL, headers=headers)
    assert r.status_code == status
    body = r.json()
    assert body["message"] == message and set(body) == {"error", "message"}


def test_unknown_paths_and_methods_answer_in_trillet_shape(d):
    r = d.http.get("/v2/api/nothing", headers=TRILLET)
    assert r.status_code == 404 and r.json() == {"error": "Not Found", "message": "Not found"}
    r = d.http.delete(URL, headers=TRILLET)
    assert r.status_code == 405 and r.json() == {"error": "Method Not Allowed", "message": "Method not allowed"}
