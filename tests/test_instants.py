"""Every date-time a vendor request gives is written with a year from 1970
to 9998, so whatever its offset the emulator holds and prints it exactly;
one outside is refused in the vendor's shape, never moved, and the specs
say so with a pattern. Over real HTTP."""

from __future__ import annotations

import json

import httpx
import pytest

from emulator.testing import ControlError, Emulator

from .conftest import HEPPU, NOW, TRILLET

SUPPORT = "550e8400-e29b-41d4-a716-446655440000"
RANGE = "in the years 1970 to 9998"

FIRST, LAST = "1970-01-01T00:00:00Z", "9998-12-31T23:59:59Z"
OUTSIDE = [
    "9999-01-01T00:00:00Z",  # the first instant past the range
    "9999-12-31T23:59:59Z",  # was stored as 9999-12-29T00:00:00Z
    "1969-12-31T23:59:59Z",
    "1969-12-31T23:00:00-01:00",  # 1970 in UTC, but written 1969
    "0001-01-01T00:00:00Z",
]


@pytest.fixture(scope="module")
def emu():
    with Emulator(clock="manual", now=NOW, strict=True) as e:
        yield e


def schedule(http, **body) -> httpx.Response:
    return http.post("/api/v1/calls/schedule", headers=HEPPU, json={"agentId": SUPPORT, "contactPhone": "+14155550100", **body})


def heppu_400(r: httpx.Response) -> str:
    assert r.status_code == 400, r.text
    assert set(r.json()) == {"error"} and r.json()["error"]["code"] == 400
    return r.json()["error"]["message"]


def listed(http, call_id: str) -> dict:
    calls = http.get("/api/v1/calls", headers=HEPPU, params={"limit": 100}).json()["data"]["calls"]
    return next(c for c in calls if c["id"] == call_id)


def test_schedule_keeps_the_boundaries_exactly(http):
    for at in (LAST, "9998-12-31T23:59:59.999Z", "9998-12-31T22:59:59-01:00"):
        r = schedule(http, scheduledAt=at)
        assert r.status_code == 201, r.text
        assert r.json()["data"]["scheduledAt"] == LAST
        call = listed(http, r.json()["data"]["id"])
        assert call["scheduledAt"] == LAST and call["status"] == "scheduled"
    # the offset the latest year allows, printed back exactly in UTC
    r = schedule(http, scheduledAt="9998-12-31T23:59:59-23:59")
    assert r.status_code == 201 and r.json()["data"]["scheduledAt"] == "9999-01-01T23:58:59Z", r.text
    r = schedule(http, scheduledAt=FIRST)  # the past: placed at once
    assert r.status_code == 201, r.text
    assert listed(http, r.json()["data"]["id"])["scheduledAt"] == FIRST


@pytest.mark.parametrize("at", OUTSIDE)
def test_schedule_refuses_instants_outside_the_range(http, at):
    before = http.get("/api/v1/calls", headers=HEPPU).json()["data"]["pagination"]["total"]
    assert heppu_400(schedule(http, scheduledAt=at)) == f"Invalid request body field 'scheduledAt': Must be a date-time {RANGE}"
    assert "'retrySchedule.1'" in heppu_400(schedule(http, retrySchedule=["2025-12-02T10:00:00Z", at]))
    assert http.get("/api/v1/calls", headers=HEPPU).json()["data"]["pagination"]["total"] == before


@pytest.mark.parametrize("at", OUTSIDE[:2] + OUTSIDE[3:4])
def test_batch_refuses_them_per_item_and_as_default(http, at):
    url = "/api/v1/calls/batch"
    r = http.post(url, headers=HEPPU, json={"agentId": SUPPORT, "calls": [
        {"contactPhone": "+14155550101", "scheduledAt": LAST},
        {"contactPhone": "+14155550102", "scheduledAt": at},
    ]})
    assert r.status_code == 207, r.text
    ok, bad = r.json()["data"]["results"]
    assert ok["status"] == "scheduled" and ok["scheduledAt"] == LAST
    assert bad["status"] == "failed" and bad["callId"] is None and RANGE in bad["error"]
    msg = heppu_400(http.post(url, headers=HEPPU, json={"agentId": SUPPORT, "defaultScheduledAt": at, "calls": [{"contactPhone": "+14155550101"}]}))
    assert "'defaultScheduledAt'" in msg and RANGE in msg


@pytest.mark.parametrize("at", OUTSIDE)
def test_heppu_list_filters_refuse_them(http, at):
    for name in ("startDate", "endDate"):
        msg = heppu_400(http.get("/api/v1/calls", headers=HEPPU, params={name: at}))
        assert msg == f"Invalid query parameter '{name}': must be a date-time {RANGE}"
    r = http.get("/api/v1/calls", headers=HEPPU, params={"startDate": FIRST, "endDate": LAST})
    assert r.status_code == 200 and r.json()["data"]["pagination"]["total"] > 0


@pytest.mark.parametrize("at", OUTSIDE)
def test_trillet_date_ranges_refuse_them(http, at):
    for name in ("from", "to", "startDate", "endDate"):
        r = http.get("/v2/api/call-history", headers=TRILLET, params={"dateRange": json.dumps({name: at})})
        assert r.status_code == 400, r.text
        assert r.json() == {"error": "Bad Request", "message": f"dateRange.{name} must be a date-time {RANGE}, got {at!r}"}
    r = http.get("/v2/api/call-history", headers=TRILLET, params={"dateRange": json.dumps({"from": FIRST, "to": LAST})})
    assert r.status_code == 200 and int(r.headers["x-total-count"]) > 0


def test_the_specs_say_the_range_with_a_pattern(emu):
    import re

    heppu = httpx.get(emu.url + "/_emulator/openapi/heppu.json").json()
    trillet = httpx.get(emu.url + "/_emulator/openapi/trillet.json").json()
    found = re.findall(r'"pattern": "([^"]*)"', json.dumps(heppu) + json.dumps(trillet))
    (pattern,) = {p for p in found if "19[7-9]" in p}
    pattern = json.loads(f'"{pattern}"')
    for ok in (FIRST, LAST, "1970-01-01T00:00:00+23:59", "9998-12-31T23:59:59-23:59"):
        assert re.match(pattern, ok, re.ASCII), ok
    for at in OUTSIDE:
        assert not re.match(pattern, at, re.ASCII), at


def test_control_plane_clock_stays_within_its_range(emu):
    emu.control.set_clock(mode="manual", now=LAST)
    for at in ("9999-01-01T00:00:00Z", "1969-12-31T23:59:59Z"):
        with pytest.raises(ControlError) as err:
            emu.control.set_clock(mode="manual", now=at)
        assert "between 1970-01-01T00:00:00Z and 9998-12-31T23:59:59Z" in str(err.value)


def test_retries_that_would_leave_the_range_are_refused(http):
    # a week-long interval repeated from the last representable day
    msg = heppu_400(schedule(http, scheduledAt="9998-12-30T00:00:00Z", retryIntervals=["1 week"], maxRetries=2))
    assert msg == "Invalid request body field 'retryIntervals': retry 1 would fall after 9998-12-31T23:59:59Z"
    msg = heppu_400(schedule(http, retryIntervals=["999999 weeks"], maxRetries=1))  # ~19,000 years from now
    assert msg == "Invalid request body field 'retryIntervals': retry 1 would fall after 9998-12-31T23:59:59Z"
    assert schedule(http, scheduledAt="9998-12-01T00:00:00Z", retryIntervals=["1 day"], maxRetries=3).status_code == 201
    r = http.post("/api/v1/calls/batch", headers=HEPPU, json={"agentId": SUPPORT, "retryConfig": {"maxRetries": 1, "retryIntervals": ["52 weeks"]},
                                                             "calls": [{"contactPhone": "+14155550101"},
                                                                       {"contactPhone": "+14155550102", "scheduledAt": "9998-06-01T00:00:00Z"}]})
    assert r.status_code == 207, r.text
    ok, bad = r.json()["data"]["results"]
    assert ok["status"] == "scheduled" and bad["status"] == "failed" and "would fall after 9998-12-31T23:59:59Z" in bad["error"]
