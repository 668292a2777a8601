"""Heppu's Calls API beyond Get Call: list, cancel, schedule, batch,
outbound and retries, walked through under a manual clock."""

from __future__ import annotations

import pytest

from emulator.core.timeutil import iso_seconds, parse_instant

from .conftest import HEPPU, HEPPU_OTHER_KEY

NOW = "2025-12-01T15:30:10Z"
SUPPORT = "550e8400-e29b-41d4-a716-446655440000"
SALES = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
CHAT = "9b2d7c1e-5a4f-4e8b-8c3d-2f1a6b7c8d9e"
NO_NUMBER = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70"
GLOBEX = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
OTHER = {"x-api-key": HEPPU_OTHER_KEY}
FIXTURES = ("call_abc123", "call_def456", "call_ghi789")  # ghi789 exists from 15:59:55
ENDED = {"completed", "failed", "cancelled", "no_answer", "busy"}


def at(offset: float) -> str:
    return iso_seconds(parse_instant(NOW) + offset)


def get(d, call_id, headers=HEPPU):
    r = d.http.get(f"/api/v1/calls/{call_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def listing(d, headers=HEPPU, **params):
    r = d.http.get("/api/v1/calls", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def schedule(d, **body):
    body = {"agentId": SUPPORT, "contactPhone": "+14155550100", **body}
    r = d.http.post("/api/v1/calls/schedule", headers=HEPPU, json=body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def outbound(d, **body):
    r = d.http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SUPPORT, "phoneNumber": "+14155550199", **body})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def error(r, status):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == status
    return body["error"]["message"]


def until(d, call_id, statuses, step=0.25, limit=2400):
    """Advance the clock until the call's status is one of `statuses`."""
    for _ in range(limit):
        call = get(d, call_id)
        if call["status"] in statuses:
            return call
        d.advance(step)
    raise AssertionError(f"{call_id} never reached {statuses}")


def total(d):
    return listing(d)["pagination"]["total"]


# --- List Calls -------------------------------------------------------------


def test_list_shows_the_organisations_calls_newest_first_at_now(driver):
    data = listing(driver)
    ids = [c["id"] for c in data["calls"]]
    # call_ghi789 is created at 15:59:55: it does not exist yet at 15:30:10.
    assert ids == ["call_def456", "call_abc123"]
    assert data["pagination"] == {"total": 2, "limit": 50, "offset": 0, "hasMore": False}
    live = data["calls"][0]
    assert live["status"] == "active" and live["duration"] is None and live["outcome"] is None
    assert list(live) == ["id", "status", "direction", "scheduledAt", "duration", "outcome", "twilioCallSid", "agent",
                          "contact", "phoneNumber", "createdAt"]
    done = data["calls"][1]
    assert done["duration"] == 245 and done["outcome"] == "resolved"
    assert done["contact"] == {"phone": "+14155552671", "name": "John Doe", "email": "john.doe@acme.example"}
    assert done["agent"] == {"id": SUPPORT, "name": "Customer Support Agent"}
    # The other organisation sees none of them.
    assert listing(driver, headers=OTHER)["calls"] == []


def test_list_items_follow_the_clock(driver):
    driver.at("2025-12-01T16:10:00Z")
    calls = {c["id"]: c for c in listing(driver)["calls"]}
    assert calls["call_ghi789"]["status"] == "failed"
    assert calls["call_def456"]["status"] == "completed"


@pytest.fixture
def populated(driver):
    """Six calls of our own beside the fixtures, spread over time."""
    made = []
    for i in range(6):
        agent = SUPPORT if i % 2 == 0 else SALES
        when = at(3600 * (6 - i)) if i < 4 else None  # scheduled in reverse order; two immediate
        body = {"agentId": agent, "contactPhone": f"+1415555{i:04d}"}
        if when:
            body["scheduledAt"] = when
        made.append(schedule(driver, **body))
        driver.advance(10)
    return made


def test_list_filters(driver, populated):
    ours = {c["id"] for c in populated}
    sales = {c["id"] for c in populated if c["agentId"] == SALES}
    assert {c["id"] for c in listing(driver, agentId=SALES)["calls"]} == sales
    assert listing(driver, agentId=GLOBEX)["calls"] == []
    assert {c["id"] for c in listing(driver, status="scheduled")["calls"]} == {c["id"] for c in populated[:4]}
    every = [c["id"] for c in populated] + ["call_abc123", "call_def456"]
    for status in ("active", "completed", "initiated", "connecting", "ringing", "no_answer"):
        expected = {i for i in every if get(driver, i)["status"] == status}
        assert {c["id"] for c in listing(driver, status=status)["calls"]} == expected
    assert "call_def456" in {c["id"] for c in listing(driver, status="active")["calls"]}
    assert len(listing(driver, direction="outbound")["calls"]) == 8
    assert listing(driver, direction="inbound")["calls"] == []
    # phoneNumber matches the contact's number, or the agent's (caller ID).
    assert [c["id"] for c in listing(driver, phoneNumber="+14155550003")["calls"]] == [populated[3]["id"]]
    assert {c["id"] for c in listing(driver, phoneNumber="+14155551236")["calls"]} == sales
    # A '+' sent unencoded arrives as a space and still matches.
    r = driver.http.get("/api/v1/calls?phoneNumber=+14155550003", headers=HEPPU)
    assert [c["id"] for c in r.json()["data"]["calls"]] == [populated[3]["id"]]
    # startDate / endDate bound createdAt, inclusive.
    first, last = populated[0]["createdAt"], populated[-1]["createdAt"]
    assert {c["id"] for c in listing(driver, startDate=first)["calls"]} == ours
    assert {c["id"] for c in listing(driver, startDate=first, endDate=first)["calls"]} == {populated[0]["id"]}
    assert {c["id"] for c in listing(driver, endDate="2025-12-01T15:00:00Z")["calls"]} == {"call_abc123"}
    assert listing(driver, startDate=last, endDate=first)["calls"] == []
    # Filters combine.
    assert [c["id"] for c in listing(driver, agentId=SALES, status="scheduled", startDate=populated[2]["createdAt"])["calls"]] == [populated[3]["id"]]


def test_list_sorts(driver, populated):
    created = [c["id"] for c in listing(driver, sortOrder="asc", limit=100)["calls"]]
    assert created == ["call_abc123", "call_def456"] + [c["id"] for c in populated]
    assert [c["id"] for c in listing(driver, limit=100)["calls"]] == created[::-1]
    # scheduledAt: earliest first (asc) or latest first (desc); unscheduled calls last either way.
    scheduled = [c["id"] for c in sorted(populated[:4], key=lambda c: c["scheduledAt"])]
    asc = [c["id"] for c in listing(driver, sortBy="scheduledAt", sortOrder="asc")["calls"]]
    desc = [c["id"] for c in listing(driver, sortBy="scheduledAt")["calls"]]
    assert asc[:4] == scheduled and desc[:4] == scheduled[::-1]
    assert set(asc[4:]) == set(desc[4:]) == {"call_abc123", "call_def456", populated[4]["id"], populated[5]["id"]}


def test_list_pagination_edges(driver, populated):
    everything = [c["id"] for c in listing(driver, limit=100)["calls"]]
    assert len(everything) == 8
    page = listing(driver, limit=3, offset=0)
    assert [c["id"] for c in page["calls"]] == everything[:3]
    assert page["pagination"] == {"total": 8, "limit": 3, "offset": 0, "hasMore": True}
    page = listing(driver, limit=3, offset=6)
    assert [c["id"] for c in page["calls"]] == everything[6:]
    assert page["pagination"]["hasMore"] is False
    page = listing(driver, limit=3, offset=5)
    assert len(page["calls"]) == 3 and page["pagination"]["hasMore"] is False
    beyond = listing(driver, offset=50)
    assert beyond["calls"] == [] and beyond["pagination"] == {"total": 8, "limit": 50, "offset": 50, "hasMore": False}
    assert [c["id"] for c in listing(driver, limit=1, offset=7, sortOrder="asc")["calls"]] == [everything[0]]
    # Paging works the same through a filter.
    filtered = [c["id"] for c in listing(driver, direction="outbound", limit=2, offset=2)["calls"]]
    assert filtered == everything[2:4]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
        ({"status": "finished"}, "status"),
        ({"direction": "sideways"}, "direction"),
        ({"sortBy": "duration"}, "sortBy"),
        ({"sortOrder": "up"}, "sortOrder"),
        ({"startDate": "yesterday"}, "startDate"),
        ({"endDate": "2025-13-01"}, "endDate"),
    ],
)
def test_list_rejects_bad_parameters(driver, params, field):
    message = error(driver.http.get("/api/v1/calls", headers=HEPPU, params=params), 400)
    assert repr(field) in message


def test_list_needs_a_key(driver):
    assert error(driver.http.get("/api/v1/calls"), 401) == "Unauthorized"


# --- Cancel Call ------------------------------------------------------------


def _assert_cancelled(d, call_id, transcript_len=None):
    r = d.http.delete(f"/api/v1/calls/{call_id}", headers=HEPPU)
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"id": call_id, "status": "cancelled"}, "message": "Call cancelled successfully"}
    now = get(d, call_id)
    assert now["status"] == "cancelled" and now["liveRoomStatus"] is None and now["duration"] is None
    d.advance(120)
    later = get(d, call_id)
    assert later["status"] == "cancelled" and later["endedAt"] == now["endedAt"]
    assert later["transcript"] == now["transcript"]
    assert [c["status"] for c in listing(d, limit=100)["calls"] if c["id"] == call_id] == ["cancelled"]
    return later


def test_cancel_a_scheduled_call(driver):
    call = schedule(driver, scheduledAt=at(3600))
    assert call["status"] == "scheduled"
    after = _assert_cancelled(driver, call["id"])
    driver.at(at(7200))
    assert get(driver, call["id"])["startedAt"] is None and after["roomId"] is None


def test_cancel_a_queued_call(driver):
    call = outbound(driver)
    assert call["status"] == "queued"
    _assert_cancelled(driver, call["id"])


def test_cancel_an_initiated_call(driver):
    call = schedule(driver)
    assert get(driver, call["id"])["status"] == "initiated"
    _assert_cancelled(driver, call["id"])


@pytest.mark.parametrize("status", ["connecting", "ringing"])
def test_cancel_a_dialling_call(driver, status):
    call = outbound(driver)
    seen = until(driver, call["id"], {status}, step=0.1)
    assert seen["liveRoomStatus"]["roomExists"] is True
    _assert_cancelled(driver, call["id"])


def test_cancel_an_active_call_stops_its_transcript_and_closes_its_room(driver):
    driver.advance(20)  # call_def456 is active and talking
    before = get(driver, "call_def456")
    assert before["status"] == "active" and before["liveRoomStatus"]["roomExists"]
    after = _assert_cancelled(driver, "call_def456")
    assert after["transcript"] == before["transcript"]
    assert after["endedAt"] == at(20)


@pytest.mark.parametrize("call_id, instant", [("call_abc123", NOW), ("call_ghi789", "2025-12-01T16:10:00Z")])
def test_cancel_an_ended_call_is_a_conflict(driver, call_id, instant):
    driver.at(instant)
    before = get(driver, call_id)
    message = error(driver.http.delete(f"/api/v1/calls/{call_id}", headers=HEPPU), 409)
    assert message == f"Cannot cancel call: it is already {before['status']}"
    assert get(driver, call_id) == before


def test_cancel_twice_is_a_conflict(driver):
    call = outbound(driver)
    _assert_cancelled(driver, call["id"])
    assert "already cancelled" in error(driver.http.delete(f"/api/v1/calls/{call['id']}", headers=HEPPU), 409)


def test_cancel_a_no_answer_or_busy_call_is_a_conflict(driver):
    ids = [schedule(driver, contactPhone=f"+1415559{i:04d}")["id"] for i in range(24)]
    driver.advance(600)
    unanswered = {i: get(driver, i)["status"] for i in ids if get(driver, i)["status"] in ("no_answer", "busy")}
    assert unanswered
    for call_id, status in unanswered.items():
        assert error(driver.http.delete(f"/api/v1/calls/{call_id}", headers=HEPPU), 409) == f"Cannot cancel call: it is already {status}"


def test_cancel_unknown_or_foreign_call(driver):
    assert error(driver.http.delete("/api/v1/calls/call_nope", headers=HEPPU), 404) == "Call not found"
    assert error(driver.http.delete("/api/v1/calls/call_def456", headers=OTHER), 403).startswith("Access denied")
    assert get(driver, "call_def456")["status"] == "active"
    assert error(driver.http.delete("/api/v1/calls/call_def456"), 401) == "Unauthorized"


# --- Schedule Call ----------------------------------------------------------


def test_schedule_a_call_and_watch_it_run(driver):
    call = schedule(
        driver,
        contactName="Ada Lovelace",
        contactEmail="ada@example.com",
        scheduledAt=at(600),
        priority=3,
        callMetadata={"company": "Analytical Engines", "timezone": "Europe/London", "tier": "gold"},
        metadata={"campaign": "winter"},
    )
    assert call["status"] == "scheduled" and call["scheduledAt"] == at(600) and call["createdAt"] == NOW
    assert call["priority"] == 3 and call["callerId"] == "+14155551234" and call["retry"] is None
    assert call["contact"] == {"phone": "+14155550100", "name": "Ada Lovelace", "email": "ada@example.com"}
    assert call["callMetadata"] == {"company": "Analytical Engines", "timezone": "Europe/London", "tier": "gold"}
    assert call["metadata"]["campaign"] == "winter" and call["metadata"]["caller_id"] == "+14155551234"
    driver.advance(599)
    assert get(driver, call["id"])["status"] == "scheduled"
    driver.advance(1)
    now = get(driver, call["id"])
    assert now["status"] == "connecting" and now["startedAt"] == at(600) and now["roomId"]
    final = until(driver, call["id"], ENDED, step=5)
    item = [c for c in listing(driver)["calls"] if c["id"] == call["id"]][0]
    assert item["status"] == final["status"] and item["scheduledAt"] == at(600)


def test_schedule_defaults(driver):
    call = schedule(driver)
    assert call["status"] == "initiated" and call["scheduledAt"] is None and call["priority"] == 0
    assert call["contact"] == {"phone": "+14155550100", "name": None, "email": None}
    assert until(driver, call["id"], {"connecting", "ringing"}, step=0.5)["status"] in ("connecting", "ringing")
    past = schedule(driver, scheduledAt="2025-12-01T09:00:00Z")
    assert past["status"] == "initiated" and past["scheduledAt"] == "2025-12-01T09:00:00Z"


def test_schedule_with_a_caller_id_and_an_agent_without_a_number(driver):
    call = schedule(driver, agentId=NO_NUMBER, callerId="+14155559999")
    assert call["callerId"] == "+14155559999"
    assert [c["id"] for c in listing(driver, phoneNumber="+14155559999")["calls"]] == [call["id"]]


@pytest.mark.parametrize(
    "body, status, needle",
    [
        ({"agentId": "not-a-uuid"}, 400, "Invalid agent ID format"),
        ({"contactPhone": "4155550100"}, 400, "Phone number must be in E.164 format (+1234567890)"),
        ({"contactPhone": "+0987654321"}, 400, "'contactPhone'"),
        ({"contactEmail": "ada-at-example"}, 400, "'contactEmail'"),
        ({"callerId": "555"}, 400, "'callerId'"),
        ({"scheduledAt": "tomorrow at nine"}, 400, "'scheduledAt'"),
        ({"priority": 11}, 400, "'priority'"),
        ({"priority": -1}, 400, "'priority'"),
        ({"priority": "5"}, 400, "'priority'"),
        ({"maxRetries": 11}, 400, "'maxRetries'"),
        ({"retryIntervals": ["soon"]}, 400, "'retryIntervals.0'"),
        ({"retrySchedule": ["later"]}, 400, "'retrySchedule.0'"),
        ({"callMetadata": "vip"}, 400, "'callMetadata'"),
        ({"metadata": [1, 2]}, 400, "'metadata'"),
        ({"agentId": None}, 400, "'agentId'"),
        ({"agentId": "00000000-0000-4000-8000-000000000000"}, 404, "Agent not found"),
        ({"agentId": GLOBEX}, 404, "Agent not found"),
        ({"agentId": CHAT}, 400, "chat agent"),
        ({"agentId": NO_NUMBER}, 400, "no phone number"),
    ],
)
def test_schedule_rejects_bad_input_and_stores_nothing(driver, body, status, needle):
    before = total(driver)
    full = {"agentId": SUPPORT, "contactPhone": "+14155550100", **body}
    message = error(driver.http.post("/api/v1/calls/schedule", headers=HEPPU, json=full), status)
    assert needle in message
    assert total(driver) == before


def test_an_inactive_agent_cannot_call(driver):
    from dataclasses import replace

    tenants = driver.engine.tenants
    org = tenants.get("org_abc123")
    tenants.add(replace(org, agents=tuple(replace(a, status="inactive") if a.id == SALES else a for a in org.agents)))
    r = driver.http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SALES, "phoneNumber": "+14155550199"})
    assert error(r, 400) == f"Agent {SALES} is inactive"


def test_missing_required_fields(driver):
    assert "'contactPhone'" in error(driver.http.post("/api/v1/calls/schedule", headers=HEPPU, json={"agentId": SUPPORT}), 400)
    assert "'phoneNumber'" in error(driver.http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SUPPORT}), 400)


@pytest.mark.parametrize("path", ["schedule", "batch", "outbound"])
def test_malformed_bodies_are_rejected_in_heppus_shape(driver, path):
    url = f"/api/v1/calls/{path}"
    before = total(driver)
    json_ct = {**HEPPU, "content-type": "application/json"}
    assert error(driver.http.post(url, headers=json_ct, content=b'{"agentId": '), 400).startswith("Malformed JSON body")
    assert error(driver.http.post(url, headers=json_ct, content=b"[1, 2]"), 400).startswith("Invalid request body")
    assert error(driver.http.post(url, headers=json_ct, content=b""), 400).startswith("Invalid request body")
    plain = {**HEPPU, "content-type": "text/plain"}
    assert error(driver.http.post(url, headers=plain, content=b'{"agentId": "x"}'), 415) == "Content-Type must be application/json"
    big = b'{"metadata": {"blob": "' + b"x" * (1024 * 1024) + b'"}}'
    assert error(driver.http.post(url, headers=json_ct, content=big), 413).startswith("Request body too large")
    assert total(driver) == before


# --- Batch Schedule Calls ---------------------------------------------------


def batch(d, calls, **body):
    return d.http.post("/api/v1/calls/batch", headers=HEPPU, json={"agentId": SUPPORT, "calls": calls, **body})


def test_batch_all_scheduled_is_201(driver):
    r = batch(
        driver,
        [
            {"contactPhone": "+14155550001", "contactName": "A One", "priority": 1},
            {"contactPhone": "+14155550002", "scheduledAt": at(7200)},
            {"phoneNumber": "+14155550003"},  # the batch guide's field name
        ],
        defaultPriority=7,
        defaultScheduledAt=at(3600),
    )
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["summary"] == {"total": 3, "scheduled": 3, "failed": 0, "skipped": 0}
    assert [x["scheduledAt"] for x in data["results"]] == [at(3600), at(7200), at(3600)]
    assert [x["index"] for x in data["results"]] == [0, 1, 2]
    ids = [x["callId"] for x in data["results"]]
    listed = {c["id"]: c for c in listing(driver, status="scheduled")["calls"]}
    assert set(ids) <= set(listed)
    assert listed[ids[0]]["contact"]["name"] == "A One"
    assert [get(driver, i)["metadata"]["priority"] for i in ids] == [1, 7, 7]


def test_batch_some_failed_is_207_with_per_call_results(driver):
    r = batch(driver, [{"contactPhone": "+14155550001"}, {"contactPhone": "+0987654321"}, {"contactName": "no phone"},
                       {"contactPhone": "+14155550004", "priority": 42}])
    assert r.status_code == 207, r.text
    data = r.json()["data"]
    assert data["summary"] == {"total": 4, "scheduled": 1, "failed": 3, "skipped": 0}
    ok, bad_phone, missing, bad_priority = data["results"]
    assert ok["status"] == "scheduled" and ok["callId"] and ok["error"] is None
    assert bad_phone == {"index": 1, "status": "failed", "callId": None, "scheduledAt": None,
                         "error": "calls[1].contactPhone: Phone number must be in E.164 format (+1234567890)"}
    assert missing["error"].startswith("calls[2].contactPhone")
    assert bad_priority["error"].startswith("calls[3].priority")
    assert get(driver, ok["callId"])["status"] == "initiated"


def test_batch_stop_on_error_skips_the_rest(driver):
    r = batch(driver, [{"contactPhone": "+14155550001"}, {"contactPhone": "bad"}, {"contactPhone": "+14155550003"}], stopOnError=True)
    assert r.status_code == 207
    assert [x["status"] for x in r.json()["data"]["results"]] == ["scheduled", "failed", "skipped"]
    assert r.json()["data"]["summary"] == {"total": 3, "scheduled": 1, "failed": 1, "skipped": 1}


def test_batch_none_scheduled_is_400_and_stores_nothing(driver):
    before = total(driver)
    message = error(batch(driver, [{"contactPhone": "bad"}, {"contactPhone": "+1"}]), 400)
    assert message.startswith("No calls were scheduled (2 of 2 failed)") and "calls[0].contactPhone" in message
    assert total(driver) == before


@pytest.mark.parametrize(
    "calls, body, status, needle",
    [
        ([{"contactPhone": "+14155550001"}] * 1001, {}, 400, "'calls'"),
        ([], {}, 400, "'calls'"),
        ("not a list", {}, 400, "'calls'"),
        ([{"contactPhone": "+14155550001"}], {"defaultPriority": 11}, 400, "'defaultPriority'"),
        ([{"contactPhone": "+14155550001"}], {"stopOnError": "yes"}, 400, "'stopOnError'"),
        ([{"contactPhone": "+14155550001"}], {"retryConfig": {"retryIntervals": ["whenever"]}}, 400, "'retryConfig.retryIntervals.0'"),
        ([{"contactPhone": "+14155550001"}], {"agentId": "agent_abc123"}, 400, "Invalid agent ID format"),
        ([{"contactPhone": "+14155550001"}], {"agentId": CHAT}, 400, "chat agent"),
        ([{"contactPhone": "+14155550001"}], {"agentId": GLOBEX}, 404, "Agent not found"),
    ],
)
def test_batch_rejects_a_bad_envelope(driver, calls, body, status, needle):
    before = total(driver)
    assert needle in error(batch(driver, calls, **body), status)
    assert total(driver) == before


def test_batch_of_a_thousand(driver):
    calls = [{"contactPhone": f"+1415556{i:04d}"} for i in range(1000)]
    r = batch(driver, calls, defaultScheduledAt=at(86400))
    assert r.status_code == 201
    assert r.json()["data"]["summary"]["scheduled"] == 1000
    assert listing(driver, status="scheduled", limit=1)["pagination"]["total"] == 1000


def test_batch_timezone_aware_local_time(driver):
    # 15:30:10Z is 10:30:10 in New York (EST) and 00:30:10 next day in Tokyo.
    r = batch(
        driver,
        [
            {"contactPhone": "+12125551234", "timezone": "America/New_York", "localScheduleTime": "09:00"},
            {"contactPhone": "+12125551235", "timezone": "America/New_York", "localScheduleTime": "11:15"},
            {"contactPhone": "+81312345678", "timezone": "Asia/Tokyo", "targetLocalTime": "09:00"},
            {"contactPhone": "+12125551236", "timezone": "Mars/Olympus", "localScheduleTime": "09:00"},
            {"contactPhone": "+12125551237", "timezone": "America/New_York", "localScheduleTime": "9am"},
            {"contactPhone": "+12125551238", "timezone": "Europe/Paris", "localScheduleTime": "09:00", "scheduledAt": at(60)},
        ],
    )
    assert r.status_code == 207
    results = r.json()["data"]["results"]
    assert [x["scheduledAt"] for x in results[:3]] == ["2025-12-02T14:00:00Z", "2025-12-01T16:15:00Z", "2025-12-02T00:00:00Z"]
    assert results[3]["error"] == "calls[3].timezone: Unknown IANA timezone"
    assert results[4]["error"].startswith("calls[4].localScheduleTime")
    assert results[5]["scheduledAt"] == at(60)  # an explicit scheduledAt wins


# --- Outbound Call ----------------------------------------------------------


def test_outbound_is_queued_then_dials_and_fills_in_room_and_sip_ids(driver):
    call = outbound(driver, metadata={"ticket": "T-1"}, callerId="+14155551235")
    assert list(call) == ["id", "status", "agentId", "phoneNumber", "callerId", "startedAt", "agent", "metadata"]
    assert call["status"] == "queued" and call["startedAt"] == NOW and call["callerId"] == "+14155551235"
    assert call["agent"] == {"id": SUPPORT, "name": "Customer Support Agent", "type": "voice"}
    assert call["metadata"]["caller_id"] == "+14155551235" and call["metadata"]["priority"] == 5
    assert call["metadata"]["ticket"] == "T-1"
    queued = get(driver, call["id"])
    assert queued["status"] == "queued" and queued["roomId"] is None and queued["jobId"] is None
    connecting = until(driver, call["id"], {"connecting"}, step=0.1)
    assert connecting["roomId"] and connecting["jobId"] and connecting["sipParticipantId"] is None
    ringing = until(driver, call["id"], {"ringing"}, step=0.1)
    assert ringing["sipParticipantId"] and ringing["roomId"] == connecting["roomId"]
    item = [c for c in listing(driver)["calls"] if c["id"] == call["id"]][0]
    assert item["twilioCallSid"].startswith("CA") and item["scheduledAt"] is None


@pytest.mark.parametrize(
    "body, needle",
    [
        ({"agentId": "agent_abc123"}, "Invalid agent ID format"),
        ({"phoneNumber": "+0987654321"}, "Phone number must be in E.164 format (+1234567890)"),
        ({"phoneNumber": "+1 415 555 0100"}, "Phone number must be in E.164 format (+1234567890)"),
        ({"priority": 11}, "'priority'"),
        ({"priority": 2.5}, "'priority'"),
        ({"priority": True}, "'priority'"),
        ({"callerId": "anonymous"}, "'callerId'"),
    ],
)
def test_outbound_validation(driver, body, needle):
    before = total(driver)
    full = {"agentId": SUPPORT, "phoneNumber": "+14155550199", **body}
    assert needle in error(driver.http.post("/api/v1/calls/outbound", headers=HEPPU, json=full), 400)
    assert total(driver) == before


def test_outbound_accepts_an_integral_float_priority(driver):
    assert outbound(driver, priority=3.0)["metadata"]["priority"] == 3


# --- Retries ----------------------------------------------------------------


def _chains(d, n, **body):
    return [schedule(d, contactPhone=f"+1415557{i:04d}", **body)["id"] for i in range(n)]


def _attempts(d, first_id):
    """Every attempt of a chain, by following the attempts' metadata."""
    calls = listing(d, limit=100, sortOrder="asc")["calls"]
    out = [first_id]
    for c in calls:
        meta = get(d, c["id"])["metadata"]
        if meta.get("retryOfCallId") == first_id:
            out.append(c["id"])
    return out


def test_no_answer_and_busy_are_retried_per_intervals(driver):
    firsts = _chains(driver, 24, retryIntervals=["10 minutes", "1 hour"])
    driver.advance(600)  # every first attempt is over by now (ringing lasts at most 20 s, talking 6 min)
    ended = {i: get(driver, i) for i in firsts}
    assert all(c["status"] in ENDED for c in ended.values())
    retried = [i for i, c in ended.items() if c["status"] in ("no_answer", "busy")]
    kept = [i for i, c in ended.items() if c["status"] not in ("no_answer", "busy")]
    assert retried and kept
    scheduled = {c["id"]: c for c in listing(driver, status="scheduled", limit=100)["calls"]}
    assert len(scheduled) == len(retried)
    for first in retried:
        (second,) = [c for c in scheduled.values() if get(driver, c["id"])["metadata"]["retryOfCallId"] == first]
        # Created when the first attempt ended, due 10 minutes later, same contact.
        assert second["createdAt"] == ended[first]["endedAt"]
        assert second["scheduledAt"] == iso_seconds(parse_instant(ended[first]["endedAt"]) + 600)
        assert second["contact"]["phone"] == [c for c in listing(driver, limit=100)["calls"] if c["id"] == first][0]["contact"]["phone"]
        meta = get(driver, second["id"])["metadata"]
        assert meta["retryAttempt"] == 2 and meta["previousCallId"] == first


def test_retries_are_the_same_whenever_they_are_read():
    from .conftest import Driver, make_app

    def run(reads):
        d = Driver(make_app())
        firsts = _chains(d, 16, retryIntervals=["5 minutes"], maxRetries=3)
        for t in reads:
            d.at(at(t))
            listing(d)
        d.at(at(4 * 3600))
        return sorted((c["id"], c["status"], c["createdAt"], c["scheduledAt"]) for c in listing(d, limit=100)["calls"]), firsts

    eager, firsts = run(range(0, 4 * 3600, 90))
    lazy, _ = run([])
    assert eager == lazy
    assert len(eager) > len(FIXTURES) + len(firsts)  # some retries happened


def test_a_chain_ends_at_max_retries(driver):
    firsts = _chains(driver, 30, retryIntervals=["1 minute"], maxRetries=2)
    driver.advance(6 * 3600)
    listing(driver)
    for first in firsts:
        chain = _attempts(driver, first)
        assert len(chain) <= 3
        statuses = [get(driver, c)["status"] for c in chain]
        # Every attempt but the last ended in a retrying outcome.
        assert all(s in ("no_answer", "busy") for s in statuses[:-1])
        if len(chain) < 3:
            assert statuses[-1] not in ("no_answer", "busy")


def test_retry_on_failed_only_when_configured(driver):
    r = batch(driver, [{"contactPhone": f"+1415558{i:04d}"} for i in range(30)],
              retryConfig={"maxRetries": 1, "retryOnNoAnswer": False, "retryOnBusy": False, "retryOnFailed": True,
                           "retryIntervals": ["2 minutes"]})
    firsts = [x["callId"] for x in r.json()["data"]["results"]]
    driver.advance(3600)
    listing(driver)
    for first in firsts:
        chain = _attempts(driver, first)
        assert len(chain) == (2 if get(driver, first)["status"] == "failed" else 1)


def test_retry_schedule_gives_fixed_instants(driver):
    firsts = _chains(driver, 24, retrySchedule=[at(7200)])
    driver.advance(7200)
    retries = [c for c in listing(driver, limit=100)["calls"] if c["id"] not in firsts and c["id"] not in FIXTURES]
    assert retries and all(c["scheduledAt"] == at(7200) for c in retries)


def test_cancelling_a_pending_retry_ends_the_chain(driver):
    firsts = _chains(driver, 24, retryIntervals=["10 minutes"], maxRetries=5)
    driver.advance(600)
    pending = listing(driver, status="scheduled", limit=100)["calls"]
    assert pending
    for c in pending:
        assert driver.http.delete(f"/api/v1/calls/{c['id']}", headers=HEPPU).status_code == 200
    driver.advance(24 * 3600)
    data = listing(driver, limit=100)
    assert data["pagination"]["total"] == len(FIXTURES) + len(firsts) + len(pending)
    assert not [c for c in data["calls"] if c["status"] == "scheduled"]


def test_completed_calls_are_not_retried(driver):
    call = outbound(driver)
    _assert_cancelled(driver, call["id"])
    firsts = _chains(driver, 8, retryIntervals=["1 minute"])
    driver.advance(3600)
    calls = listing(driver, limit=100)["calls"]
    completed = {c["id"] for c in calls if c["status"] == "completed" and c["id"] in firsts}
    for c in calls:
        meta = get(driver, c["id"])["metadata"]
        assert meta.get("retryOfCallId") not in completed
