"""Trillet active calls: list, detail, insights, end-call and remove-agent,
walked through a call's life under a manual clock."""

from __future__ import annotations

import re

import pytest

from .conftest import TRILLET, TRILLET_KEY, TRILLET_OTHER_KEY, TRILLET_OTHER_WORKSPACE, TRILLET_WORKSPACE, Driver, make_app
from .trillet_helpers import history, place, place_answered, place_unanswered, plan_of, to_answer, to_turn

OTHER = {"x-api-key": TRILLET_OTHER_KEY, "x-workspace-id": TRILLET_OTHER_WORKSPACE}


@pytest.fixture
def docs_moment():
    """Frozen at the docs' example instant: room call-abc123 is live."""
    return Driver(make_app(now="2024-06-01T10:02:25Z"))


def active(driver, headers=TRILLET):
    r = driver.http.get("/v2/api/active-calls", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def detail(driver, room, headers=TRILLET):
    return driver.http.get(f"/v2/api/active-calls/{room}", headers=headers)


# --- list -------------------------------------------------------------------


def test_list_shows_the_live_call_with_the_documented_fields(docs_moment):
    body = active(docs_moment)
    assert list(body) == ["data", "count", "timestamp"]
    assert body["count"] == 1 and body["timestamp"] == "2024-06-01T10:02:25.000Z"
    (item,) = body["data"]
    assert list(item) == [
        "id", "roomName", "customerPhone", "customerName", "aiAgentName", "duration", "status",
        "sentiment", "lastMessage", "transferRequested", "type", "participants",
    ]
    assert item["roomName"] == "call-abc123" and item["status"] == "active" and item["type"] == "phone"
    assert item["duration"] == 145 and item["transferRequested"] is False
    # The last thing said by 10:02:25 (the customer, at 10:02:19).
    assert item["lastMessage"] == "I need help with my account."
    assert item["participants"] == [{"identity": "agent-001", "isAgent": True, "joinedAt": "2024-06-01T10:00:00.000Z"}]


def test_list_is_per_workspace_and_only_live_calls(docs_moment):
    assert active(docs_moment, OTHER) == {"data": [], "count": 0, "timestamp": "2024-06-01T10:02:25.000Z"}
    docs_moment.at("2024-06-01T10:05:00Z")  # the call's end
    assert active(docs_moment)["count"] == 0
    docs_moment.at("2024-06-01T09:59:59.500Z")  # created, not yet connecting
    assert active(docs_moment)["count"] == 0


def test_list_item_agrees_with_the_detail_at_every_moment(driver):
    placed, plan = place_answered(driver)
    for moment in (lambda: driver.clock.set_now(plan.start_at + 0.1), lambda: to_answer(driver, plan, 0.5), lambda: to_turn(driver, plan, 3)):
        moment()
        (item,) = [c for c in active(driver)["data"] if c["roomName"] == placed["roomName"]]
        d = detail(driver, placed["roomName"]).json()
        for field in ("id", "customerPhone", "customerName", "aiAgentName", "duration", "sentiment"):
            assert item[field] == d[field]
        assert [p["identity"] for p in item["participants"]] == [p["identity"] for p in d["participants"]]
        assert item["lastMessage"] == (d["transcript"][-1]["content"] if d["transcript"] else "")


def test_list_shows_newest_call_first(driver):
    first = place(driver)
    driver.advance(1)
    second = place(driver)
    driver.advance(3)  # both connecting (queued 2 s)
    rooms = [c["roomName"] for c in active(driver)["data"]]
    assert rooms.index(second["roomName"]) < rooms.index(first["roomName"])


# --- insights ---------------------------------------------------------------


def insights(driver, room, headers=TRILLET):
    return driver.http.get(f"/v2/api/active-calls/{room}/insights", headers=headers)


def test_insights_follow_the_conversation(docs_moment):
    docs_moment.at("2024-06-01T10:02:20Z")
    early = insights(docs_moment, "call-abc123").json()
    assert list(early) == ["sentiment", "topics", "summary", "suggestions"]
    assert early == {
        "sentiment": "positive",
        "topics": ["greeting", "account inquiry"],
        "summary": "Customer needs help with their account.",
        "suggestions": [],
    }
    docs_moment.at("2024-06-01T10:03:05Z")
    later = insights(docs_moment, "call-abc123").json()
    assert later["sentiment"] == "positive"
    assert later["topics"] == ["greeting", "account inquiry", "billing", "payment options"]
    assert later["summary"] == "Customer needs help with their account. Customer asks about a higher invoice and instalment options."
    assert later["suggestions"] == [
        "Ask which invoice the question is about",
        "Offer to email a detailed invoice breakdown",
        "Mention the available payment plans",
    ]


def test_insights_are_deterministic_for_a_seed_and_instant():
    bodies = []
    for _ in range(2):
        d = Driver(make_app())
        placed, plan = place_answered(d, dynamic_variables={"firstName": "Ada"})
        to_turn(d, plan, len(plan.turns) - 2)
        bodies.append(insights(d, placed["roomName"]).text)
    assert bodies[0] == bodies[1]


def test_insights_before_answer_are_empty_and_neutral(driver):
    placed, plan = place_answered(driver)
    driver.clock.set_now(plan.start_at + 0.1)
    assert insights(driver, placed["roomName"]).json() == {"sentiment": "neutral", "topics": [], "summary": "", "suggestions": []}


@pytest.mark.parametrize("path", ["", "/insights"])
def test_unknown_ended_and_foreign_rooms_are_404(docs_moment, path):
    r = docs_moment.http.get(f"/v2/api/active-calls/no-such-room{path}", headers=TRILLET)
    assert r.status_code == 404 and r.json() == {"error": "Not Found", "message": "Active call not found: no-such-room"}
    assert docs_moment.http.get(f"/v2/api/active-calls/call-abc123{path}", headers=OTHER).status_code == 404
    docs_moment.at("2024-06-01T10:05:00Z")
    r = docs_moment.http.get(f"/v2/api/active-calls/call-abc123{path}", headers=TRILLET)
    assert r.status_code == 404 and "has already ended" in r.json()["message"]


# --- end-call ---------------------------------------------------------------


def end(driver, room, headers=TRILLET):
    return driver.http.post(f"/v2/api/active-calls/{room}/end-call", headers=headers)


def test_end_call_ends_an_answered_call_now(driver):
    placed, plan = place_answered(driver)
    to_turn(driver, plan, 2)
    now = driver.clock.now()
    r = end(driver, placed["roomName"])
    assert r.status_code == 200
    body = r.json()
    assert list(body) == ["success", "message", "roomName", "endTime"]
    assert body["success"] is True and body["roomName"] == placed["roomName"]
    assert body["endTime"] == driver.http.get("/v2/api/active-calls", headers=TRILLET).json()["timestamp"]
    # The room is gone, from the detail and from the list.
    assert detail(driver, placed["roomName"]).status_code == 404
    assert placed["roomName"] not in [c["roomName"] for c in active(driver)["data"]]
    # History has it ended now, with what was said so far.
    rec = driver.http.get(f"/v2/api/call-history/{placed['callId']}", headers=TRILLET).json()
    assert rec["status"] == "completed" and rec["endTime"] == int(now)
    driver.advance(600)
    (item,) = [c for c in history(driver)[0] if c["_id"] == placed["callId"]]
    assert item["status"] == "completed" and len(item["transcript"]) == 3
    assert item["duration"] == int(now - plan.start_at)


def test_end_call_before_answer_cancels(driver):
    placed, plan = place_answered(driver)
    driver.clock.set_now(plan.start_at + plan.ring_at + 0.5)  # ringing
    assert end(driver, placed["roomName"]).status_code == 200
    rec = driver.http.get(f"/v2/api/call-history/{placed['callId']}", headers=TRILLET).json()
    assert rec["status"] == "cancelled"


def test_end_call_twice_unknown_or_foreign_is_404_and_changes_nothing(docs_moment):
    assert end(docs_moment, "no-such-room").status_code == 404
    r = end(docs_moment, "call-abc123", OTHER)
    assert r.status_code == 404
    assert detail(docs_moment, "call-abc123").status_code == 200  # still live for its own workspace
    assert end(docs_moment, "call-abc123").status_code == 200
    again = end(docs_moment, "call-abc123")
    assert again.status_code == 404 and again.json()["message"] == "Call in room call-abc123 has already ended (completed)"
    record = docs_moment.engine.store.by_room("call-abc123")
    assert len(record.interventions) == 1


def test_end_call_on_a_queued_call_is_404(driver):
    placed = place(driver)
    r = end(driver, placed["roomName"])
    assert r.status_code == 404 and "not live yet (queued)" in r.json()["message"]


# --- remove-agent -----------------------------------------------------------


def remove(driver, room, body, headers=TRILLET, **kw):
    return driver.http.post(f"/v2/api/active-calls/{room}/remove-agent", headers=headers, json=body, **kw)


def test_remove_agent_mutes_the_agent_and_a_human_takes_over(driver):
    placed, plan = place_answered(driver)
    room = placed["roomName"]
    to_turn(driver, plan, 1)
    spoken = detail(driver, room).json()["transcript"]
    r = remove(driver, room, {"participantIdentity": "agent-001"})
    assert r.status_code == 200
    body = r.json()
    assert list(body) == ["success", "message", "roomName", "mutedTracks"]
    assert body["success"] is True and body["roomName"] == room
    (track,) = body["mutedTracks"]
    assert re.fullmatch(r"TR_[A-Za-z0-9]{12}", track)

    driver.advance(60)
    d = detail(driver, room).json()
    after = d["transcript"][len(spoken):]
    assert d["transcript"][: len(spoken)] == spoken
    assert after and all(t["role"] != "agent" for t in after)
    assert after[0]["role"] == "human"
    identities = {p["identity"]: p["isAgent"] for p in d["participants"]}
    assert identities["agent-001"] is True  # muted, still in the room
    assert identities["human-001"] is False
    (item,) = [c for c in active(driver)["data"] if c["roomName"] == room]
    assert item["transferRequested"] is True


def test_remove_agent_again_is_the_same_answer_and_changes_nothing(driver):
    placed, plan = place_answered(driver)
    to_turn(driver, plan, 1)
    first = remove(driver, placed["roomName"], {"participantIdentity": "agent-001"})
    driver.advance(2)
    second = remove(driver, placed["roomName"], {"participantIdentity": "agent-001"})
    assert first.json() == second.json()
    assert len(driver.engine.store.by_room(placed["roomName"]).interventions) == 1


def test_muted_track_ids_are_deterministic():
    tracks = []
    for _ in range(2):
        d = Driver(make_app())
        placed, plan = place_answered(d)
        to_turn(d, plan, 0)
        tracks.append(remove(d, placed["roomName"], {"participantIdentity": "agent-001"}).json()["mutedTracks"])
    assert tracks[0] == tracks[1]


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"participantIdentity": "customer-001"}, 400, "Participant customer-001 is not an AI agent"),
        ({"participantIdentity": "agent-999"}, 404, "Participant agent-999 is not in room {room}"),
        ({}, 400, "Missing required field 'participantIdentity'"),
        ({"participantIdentity": ""}, 400, None),
        (None, 400, "Request body is required (a JSON object)"),
        ("{not json", 400, None),
    ],
)
def test_remove_agent_refuses_bad_input_and_changes_nothing(driver, body, status, message):
    placed, plan = place_answered(driver)
    room = placed["roomName"]
    to_turn(driver, plan, 0)
    if isinstance(body, str):
        r = driver.http.post(f"/v2/api/active-calls/{room}/remove-agent", headers={**TRILLET, "content-type": "application/json"}, content=body)
    else:
        r = remove(driver, room, body)
    assert r.status_code == status
    assert set(r.json()) == {"error", "message"}
    if message:
        assert r.json()["message"] == message.format(room=room)
    if isinstance(body, str):
        assert r.json()["message"].startswith("Malformed JSON in request body")
    assert list(driver.engine.store.by_room(room).interventions) == []
    to_turn(driver, plan, 3)
    assert [t["role"] for t in detail(driver, room).json()["transcript"]] == [t.role for t in plan.turns[:4]]


def test_remove_agent_before_answer_is_409(driver):
    placed, plan = place_unanswered(driver)
    driver.clock.set_now(plan.start_at + plan.ring_at + 0.1)
    r = remove(driver, placed["roomName"], {"participantIdentity": "agent-001"})
    assert r.status_code == 409 and "has not been answered" in r.json()["message"]
    assert plan_of(driver, placed) is not None and list(driver.engine.store.by_room(placed["roomName"]).interventions) == []


# --- auth on every route ----------------------------------------------------

ROUTES = [
    ("get", "/v2/api/active-calls"),
    ("get", "/v2/api/active-calls/call-abc123"),
    ("get", "/v2/api/active-calls/call-abc123/insights"),
    ("post", "/v2/api/active-calls/call-abc123/end-call"),
    ("post", "/v2/api/active-calls/call-abc123/remove-agent"),
    ("post", "/v1/api/call"),
    ("get", "/v2/api/call-history"),
    ("get", "/v1/api/call-history"),
    ("get", "/v2/api/call-history/665a1b2c3d4e5f6a7b8c9d0e"),
    ("get", "/v1/api/call-history/665a1b2c3d4e5f6a7b8c9d0e"),
]


@pytest.mark.parametrize("method, path", ROUTES)
@pytest.mark.parametrize(
    "headers, status, message",
    [
        ({}, 401, "Missing x-api-key header"),
        ({"x-api-key": "tk_nope", "x-workspace-id": TRILLET_WORKSPACE}, 401, "Invalid API key"),
        ({"x-api-key": TRILLET_KEY}, 400, "Missing x-workspace-id header"),
        ({"x-api-key": TRILLET_KEY, "x-workspace-id": TRILLET_OTHER_WORKSPACE}, 403, "API key does not have access to this workspace"),
    ],
)
def test_every_route_needs_the_key_and_its_workspace(docs_moment, method, path, headers, status, message):
    kwargs = {"json": {"participantIdentity": "agent-001"}} if path.endswith("remove-agent") else {}
    if path == "/v1/api/call":
        kwargs = {"json": {"to": "+14155550123", "call_agent_id": "a1b2c3d4e5f6a7b8c9d0e1f2"}}
    r = getattr(docs_moment.http, method)(path, headers=headers, **kwargs)
    assert r.status_code == status
    assert r.json() == {"error": r.json()["error"], "message": message}
    assert list(docs_moment.engine.store.by_room("call-abc123").interventions) == []
    assert len(docs_moment.engine.store.for_tenant(TRILLET_WORKSPACE)) == 1
