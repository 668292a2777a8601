"""One request, one context: a vendor request reads its tenant's clock once,
and everything it does (the journal's entry, the intervention it records,
the body it answers) happens at that one instant. A clock scaled a million
times makes two reads within one request seconds apart."""

from __future__ import annotations

import httpx
import pytest

from emulator.core.timeutil import iso_seconds, parse_instant
from emulator.testing import Emulator

from .conftest import HEPPU, TRILLET

AGENT = "550e8400-e29b-41d4-a716-446655440000"
TEN_YEARS = 10 * 365 * 86400


@pytest.mark.parametrize("clock", [{}, {"clock": "scaled", "speed": 1_000_000}, {"clock": "manual"}], ids=["realtime", "scaled", "manual"])
def test_cancel_happens_at_the_instant_the_journal_recorded(clock):
    with Emulator(demo=True, **clock) as emu, httpx.Client(base_url=emu.url, headers=HEPPU) as c:
        now = parse_instant(emu.control.clock().now)
        due = now + TEN_YEARS  # still scheduled however fast the clock runs
        r = c.post("/api/v1/calls/schedule", json={"agentId": AGENT, "contactPhone": "+14155552671", "scheduledAt": iso_seconds(due)})
        assert r.status_code == 201, r.text
        call_id = r.json()["data"]["id"]
        assert c.delete(f"/api/v1/calls/{call_id}").status_code == 200
        (entry,) = emu.control.journal(method="DELETE").entries
        call = c.get(f"/api/v1/calls/{call_id}").json()["data"]
        assert call["status"] == "cancelled"
        assert call["endedAt"] == call["updatedAt"] == entry.at[:19] + "Z"


@pytest.mark.parametrize("clock", [{}, {"clock": "scaled", "speed": 1_000_000}, {"clock": "manual"}], ids=["realtime", "scaled", "manual"])
def test_a_created_call_is_created_at_the_request_s_instant(clock):
    with Emulator(demo=True, **clock) as emu, httpx.Client(base_url=emu.url, headers=TRILLET) as c:
        r = c.post("/v1/api/call", json={"to": "+14155552671", "call_agent_id": "a1b2c3d4e5f6a7b8c9d0e1f2"})
        assert r.status_code in (200, 201), r.text
        (entry,) = emu.control.journal(method="POST").entries
        call = emu.control.call(r.json()["callId"])
        assert 0 <= call.plan.created_at - parse_instant(entry.at) < 0.001  # the journal shows milliseconds


def test_bad_credentials_answer_in_the_vendor_shape_and_are_journalled():
    with Emulator() as emu, httpx.Client(base_url=emu.url) as c:
        r = c.get("/api/v1/calls/call_abc123", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401 and "Unauthorized" in r.text
        r = c.get("/v2/api/active-calls", headers={"x-api-key": "YOUR_API_KEY"})
        assert r.status_code == 400 and "x-workspace-id" in r.text
        r = c.get("/api/v1/calls/call_abc123", headers={"Authorization": "bearer YOUR_API_KEY"})
        assert r.status_code == 200
        entries = emu.control.journal().entries
        assert [(e.status, e.tenant, e.route) for e in entries] == [
            (401, None, "/api/v1/calls/{callId}"),
            (400, None, "/v2/api/active-calls"),
            (200, "org_abc123", "/api/v1/calls/{callId}"),
        ]
