"""The short path for polled GETs answers exactly what the full FastAPI
path answers: status, headers and bytes, errors included."""

from __future__ import annotations

import json
import socket

import pytest
from fastapi.testclient import TestClient

from emulator.core.timeutil import parse_instant
from emulator.testing import Emulator

from .test_hardening import exchange
from .conftest import HEPPU, HEPPU_OTHER_KEY, TRILLET, TRILLET_OTHER_KEY, TRILLET_OTHER_WORKSPACE, TRILLET_WORKSPACE, make_app

REQUESTS = [
    ("/api/v1/calls/call_abc123", HEPPU),
    ("/api/v1/calls/call_def456", HEPPU),
    ("/api/v1/calls/call_def456", {"Authorization": "Bearer YOUR_API_KEY"}),
    ("/api/v1/calls/call_def456", {"Authorization": "Basic YOUR_API_KEY"}),
    ("/api/v1/calls/call_def456", {"x-api-key": HEPPU_OTHER_KEY}),
    ("/api/v1/calls/call_nope", HEPPU),
    ("/api/v1/calls/call_nope", {}),
    ("/api/v1/calls/call_ghi789", HEPPU),
    ("/api/v1/calls/call_abc123/", HEPPU),
    ("/api/v1/calls/schedule", HEPPU),
    ("/api/v1/calls/caf%C3%A9", HEPPU),
    ("/api/v1/calls/call_abc123?limit=500&x=1", HEPPU),
    ("/api/v1/calls", HEPPU),
    ("/api/v1/calls", {}),
    ("/api/v1/calls", {"x-api-key": HEPPU_OTHER_KEY}),
    ("/api/v1/calls?limit=1&offset=1&sortOrder=asc", HEPPU),
    ("/api/v1/calls?status=completed&sortBy=scheduledAt", HEPPU),
    ("/api/v1/calls?status=active&direction=outbound&agentId=550e8400-e29b-41d4-a716-446655440000", HEPPU),
    ("/api/v1/calls?phoneNumber=+14155551234&startDate=2025-12-01T00:00:00Z&endDate=2025-12-01T15:00:00Z", HEPPU),
    ("/api/v1/calls?limit=1&limit=2", HEPPU),
    ("/api/v1/calls?limit=0", HEPPU),
    ("/api/v1/calls?limit=abc", {}),
    ("/api/v1/calls?status=bogus", HEPPU),
    ("/api/v1/calls?sortBy=name&offset=-1", HEPPU),
    ("/api/v1/calls?startDate=yesterday", HEPPU),
    ("/api/v1/calls/", HEPPU),
    ("/v2/api/active-calls/call-abc123", TRILLET),
    ("/v2/api/active-calls/room_nope", TRILLET),
    ("/v2/api/active-calls/call-abc123", {"x-api-key": "YOUR_API_KEY"}),
    ("/v2/api/active-calls/call-abc123", {"x-workspace-id": TRILLET_WORKSPACE}),
    ("/v2/api/active-calls/call-abc123", {"x-api-key": "wrong", "x-workspace-id": TRILLET_WORKSPACE}),
    ("/v2/api/active-calls/call-abc123", {"x-api-key": TRILLET_OTHER_KEY, "x-workspace-id": TRILLET_WORKSPACE}),
    ("/v2/api/active-calls/call-abc123", {"x-api-key": TRILLET_OTHER_KEY, "x-workspace-id": TRILLET_OTHER_WORKSPACE}),
    ("/v2/api/active-calls", TRILLET),
    ("/v2/api/active-calls", {"x-api-key": TRILLET_OTHER_KEY, "x-workspace-id": TRILLET_OTHER_WORKSPACE}),
    ("/v2/api/active-calls?x=1&x=2", TRILLET),
]


@pytest.mark.parametrize("trillet_now", ["2024-06-01T10:02:00Z", "2025-12-01T15:30:10Z"])
def test_short_path_answers_like_the_full_path(trillet_now):
    short, full = make_app(strict=False), make_app(strict=False)
    full.state.fast_routes = None
    assert short.state.fast_routes is not None
    answers = []
    for app in (short, full):
        app.state.engine.clocks.own(TRILLET_WORKSPACE).set_now(parse_instant(trillet_now))
        with TestClient(app) as c:
            got = []
            for path, headers in REQUESTS:
                r = c.get(path, headers=headers)
                got.append((path, r.status_code, r.headers.raw, r.content))
            got.append(c.get("/_emulator/journal").json()["entries"])
            answers.append(got)
    for entry in answers[0][-1] + answers[1][-1]:
        entry.pop("latencyMs")
    assert answers[0] == answers[1]
    assert any(status == 200 for _, status, *_ in answers[0][:-1])


def test_list_and_polled_reads_take_the_short_path():
    app = make_app(strict=False)
    routes = app.state.fast_routes
    heppu, trillet = app.state.providers["heppu"], app.state.providers["trillet"]

    def matched(provider, path, query=b""):
        hit = routes.route(provider, "GET", path)
        if hit is None:
            return None
        return hit[0].operation_id if routes.arguments(*hit, {"method": "GET", "path": path, "query_string": query}) is not None else None

    assert matched(heppu, "/api/v1/calls/call_abc123") == "getCall"
    assert matched(heppu, "/api/v1/calls", b"limit=50&status=completed") == "listCalls"
    assert matched(heppu, "/api/v1/calls", b"limit=0") is None  # FastAPI's validation answers
    assert matched(trillet, "/v2/api/active-calls") == "listActiveCalls"
    assert matched(trillet, "/v2/api/active-calls", b"x=1") is None


# -- a crash on the short path ----------------------------------------------------------------------


@pytest.fixture
def emu():
    with Emulator(clock="manual", now="2025-12-01T15:30:10Z") as e:
        e.control.set_clock(TRILLET_WORKSPACE, mode="manual", now="2024-06-01T10:02:00Z")  # call-abc123 is live
        yield e


def boom(*args, **kwargs):
    raise RuntimeError("rendering failed")


@pytest.mark.parametrize("failing", ["endpoint", "matching"])
def test_a_crash_on_the_short_path_answers_the_vendors_500_and_keeps_the_connection(emu, monkeypatch, failing):
    from emulator.http.fast import FastRoutes
    from emulator.providers.heppu import render as heppu_render
    from emulator.providers.trillet import render as trillet_render

    if failing == "endpoint":
        for module, name in [(heppu_render, "call"), (heppu_render, "list_item"), (trillet_render, "active_call"), (trillet_render, "active_call_item")]:
            monkeypatch.setattr(module, name, boom)
    else:
        monkeypatch.setattr(FastRoutes, "arguments", boom)
    heppu_500 = {"error": {"message": "Internal Server Error", "code": 500}}
    trillet_500 = {"error": "Internal Server Error", "message": "Internal Server Error"}
    with socket.create_connection((emu.host, emu.port)) as s:
        for path, headers, body in [
            ("/api/v1/calls/call_abc123", HEPPU, heppu_500),
            ("/api/v1/calls?limit=50", HEPPU, heppu_500),
            ("/v2/api/active-calls/call-abc123", TRILLET, trillet_500),
            ("/v2/api/active-calls", TRILLET, trillet_500),
        ]:
            status, response_headers, payload = exchange(s, "GET", path, headers)
            assert (status, json.loads(payload)) == (500, body), path
            assert response_headers.get("connection") != "close"
        # The same connection answers the next request, and the journal saw the 500s.
        status, _, payload = exchange(s, "GET", "/_emulator/journal?limit=10", {})
        assert status == 200
    statuses = [e["status"] for e in json.loads(payload)["entries"]]
    assert statuses.count(500) == 4, statuses


def test_a_frontends_requests_get_cors_headers_and_the_same_answers(emu):
    """A browser's request carries Origin: CORS answers it on the full path,
    with the same bytes the front answers a request without one."""
    import httpx

    origin = {"Origin": "http://localhost:5173"}
    with httpx.Client(base_url=emu.url) as c:
        for path, headers in [("/api/v1/calls/call_abc123", HEPPU), ("/v2/api/active-calls/call-abc123", TRILLET),
                              ("/api/v1/calls?limit=5", HEPPU), ("/api/v1/calls/call_nope", HEPPU)]:
            plain, browser = c.get(path, headers=headers), c.get(path, headers={**headers, **origin})
            assert (browser.status_code, browser.content) == (plain.status_code, plain.content), path
            assert browser.headers["access-control-allow-origin"] == "http://localhost:5173"
            assert "access-control-allow-origin" not in plain.headers and plain.headers["vary"] == "Origin"
        created = c.post("/api/v1/calls/outbound", headers={**HEPPU, **origin},
                         json={"agentId": "550e8400-e29b-41d4-a716-446655440000", "phoneNumber": "+14155550123"})
        assert created.status_code == 201 and created.headers["access-control-allow-origin"] == "http://localhost:5173"
        call_id = created.json()["data"]["id"]
        assert c.get(f"/api/v1/calls/{call_id}", headers=HEPPU).json()["data"]["id"] == call_id


def test_a_polled_path_is_routed_once_and_answered_afresh(emu):
    """The front keeps where each polled path routes, never what it
    answered: a repeated GET still sees a fault rule added meanwhile, two
    creates on one path each get their own call, and each room its own
    answer. A path too long to keep is routed every time."""
    import httpx

    agent = "550e8400-e29b-41d4-a716-446655440000"
    with httpx.Client(base_url=emu.url) as c:
        first = c.get("/api/v1/calls/call_abc123", headers=HEPPU)
        assert first.status_code == 200
        assert c.get("/api/v1/calls/call_abc123", headers=HEPPU).content == first.content
        fault = emu.control.add_fault(route="/api/v1/calls/{callId}", status=503)
        assert c.get("/api/v1/calls/call_abc123", headers=HEPPU).status_code == 503
        emu.control.remove_fault(fault.id)
        assert c.get("/api/v1/calls/call_abc123", headers=HEPPU).content == first.content

        phones = ["+14155550101", "+14155550102", "+14155550103"]
        made = [c.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": agent, "phoneNumber": p}) for p in phones]
        assert [r.status_code for r in made] == [201, 201, 201]
        assert [r.json()["data"]["phoneNumber"] for r in made] == phones
        assert len({r.json()["data"]["id"] for r in made}) == 3
        for r, phone in zip(made, phones):
            got = c.get(f"/api/v1/calls/{r.json()['data']['id']}", headers=HEPPU)
            assert (got.status_code, got.json()["data"]["phoneNumber"]) == (200, phone)

        live = c.get("/v2/api/active-calls/call-abc123", headers=TRILLET)
        assert live.status_code == 200 and live.json()["roomName"] == "call-abc123"
        gone = c.get("/v2/api/active-calls/room_nope", headers=TRILLET)
        assert gone.status_code == 404
        assert c.get("/v2/api/active-calls/call-abc123", headers=TRILLET).content == live.content

        long_id = "call_" + "x" * 300
        for _ in range(2):
            r = c.get(f"/api/v1/calls/{long_id}", headers=HEPPU)
            assert (r.status_code, r.json()) == (404, {"error": {"message": "Call not found", "code": 404}})
    entries = emu.control.journal(limit=30).entries
    assert sum(e.path == f"/api/v1/calls/{long_id}" for e in entries) == 2
