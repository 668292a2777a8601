"""A call is active only with its callee in the room: the callee joins at
the answer instant, exactly. Stepped through that instant under a manual
clock, over real HTTP, for the fixture calls and for generated (demo and
API-placed) calls of both vendors."""

from __future__ import annotations

import httpx
import pytest

from emulator.core.timeutil import parse_instant
from emulator.testing import Emulator

from .conftest import HEPPU, TRILLET
from .trillet_helpers import AGENT

NOW = "2025-12-01T15:29:00Z"
SUPPORT = "550e8400-e29b-41d4-a716-446655440000"
# Around the answer: just before, at, just after, and across the second in
# which a generated callee used to join late.
STEPS = (-0.5, -0.001, 0.0, 0.001, 0.1, 0.2, 0.35, 0.5, 0.75, 0.999, 1.0, 1.5)


@pytest.fixture(scope="module")
def emu():
    with Emulator(clock="manual", now=NOW, demo=True, strict=True) as e:
        yield e


def plan_of(http: httpx.Client, call_id: str) -> dict:
    r = http.get(f"/_emulator/calls/{call_id}")
    assert r.status_code == 200, r.text
    return r.json()["plan"]


def answer_instant(plan: dict) -> float | None:
    return plan["start_at"] + plan["answer_at"] if plan["answer_at"] is not None else None


def check_heppu(emu, http, call_id: str, answer: float) -> int:
    seen_active = 0
    for step in STEPS:
        emu.control.set_clock(mode="manual", now=answer + step)
        call = http.get(f"/api/v1/calls/{call_id}", headers=HEPPU).json()["data"]
        room = call["liveRoomStatus"]
        if call["status"] == "active":
            seen_active += 1
            assert step >= 0, (call_id, step)
            assert room["numParticipants"] == 2 and len(room["participants"]) == 2, (call_id, step, room)
        elif call["status"] in ("connecting", "ringing"):
            assert step < 0 and room["numParticipants"] == 1, (call_id, step, room)
    return seen_active


def check_trillet(emu, http, call_id: str, room: str, answer: float) -> int:
    seen_active = 0
    for step in STEPS:
        emu.control.set_clock(mode="manual", now=answer + step)
        status = http.get(f"/_emulator/calls/{call_id}").json()["snapshot"]["status"]
        live = http.get(f"/v2/api/active-calls/{room}", headers=TRILLET)
        if status not in ("connecting", "ringing", "active"):
            continue
        assert live.status_code == 200, live.text
        people = {p["identity"]: p for p in live.json()["participants"]}
        if status == "active":
            seen_active += 1
            assert step >= 0 and "customer-001" in people, (room, step, people)
            assert parse_instant(people["customer-001"]["joinedAt"]) == pytest.approx(answer, abs=0.001)
        else:
            assert step < 0 and "customer-001" not in people, (room, step, people)
    return seen_active


def test_heppu_fixture_calls_are_active_with_their_callee(emu):
    with httpx.Client(base_url=emu.url, timeout=10) as http:
        for call_id in ("call_abc123", "call_def456"):
            answer = answer_instant(plan_of(http, call_id))
            assert check_heppu(emu, http, call_id, answer) > 0


def test_generated_calls_are_active_with_their_callee(emu):
    with httpx.Client(base_url=emu.url, timeout=10) as http:
        emu.control.set_clock(mode="manual", now=NOW)
        heppu_ids, trillet_rooms = [], []
        for i in range(6):
            r = http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SUPPORT, "phoneNumber": f"+1415555{i:04d}"})
            assert r.status_code == 201, r.text
            heppu_ids.append(r.json()["data"]["id"])
            r = http.post("/v1/api/call", headers=TRILLET, json={"to": f"+1415556{i:04d}", "call_agent_id": AGENT})
            assert r.status_code == 200, r.text
            trillet_rooms.append(r.json()["roomName"])
        emu.control.advance("10m")  # demo traffic materialises as the clock moves
        demo = [c for c in http.get("/_emulator/calls", params={"limit": 1000}).json()["calls"] if c["id"] not in heppu_ids]
        # Read before the checks move the clock back past these calls' creation.
        by_room = {c["room"]: c["id"] for c in http.get("/_emulator/calls", params={"limit": 1000}).json()["calls"]}
        checked = {"heppu": 0, "trillet": 0}
        for call_id in heppu_ids + [c["id"] for c in demo if c["tenant"] == "org_abc123"][:8]:  # the key opens Acme only
            answer = answer_instant(plan_of(http, call_id))
            if answer is not None:
                checked["heppu"] += check_heppu(emu, http, call_id, answer) > 0
        # The seed's call-abc123 is left out: its room holds only the agent,
        # as the docs' example shows (docs/fidelity.md).
        ours = [c for c in demo if c["tenant"] == TRILLET["x-workspace-id"] and c["room"] != "call-abc123"]
        for room in trillet_rooms + [c["room"] for c in ours][:8]:
            answer = answer_instant(plan_of(http, by_room[room]))
            if answer is not None:
                checked["trillet"] += check_trillet(emu, http, by_room[room], room, answer) > 0
        assert checked["heppu"] >= 3 and checked["trillet"] >= 3, checked
