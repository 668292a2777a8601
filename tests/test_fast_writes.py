"""The short path for create operations (POST) answers exactly what the full
FastAPI path answers: status, headers, bytes, the journal, the events and
webhook deliveries, the stored calls; every error case included (those
take the full path)."""

from __future__ import annotations

import json
import socket

import pytest
from fastapi import APIRouter, Body, Depends, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from emulator import web
from emulator.door import BODY_KEY, JSON_KEY
from emulator.failsafe import _atomic
from emulator.http.fast import FastRoutes, _check
from emulator.http.context import SCOPE_KEY, resolve
from emulator.providers.heppu.auth import heppu_context
from emulator.providers.trillet import routing as trillet_routing

from .conftest import HEPPU, HEPPU_OTHER_KEY, TRILLET, TRILLET_OTHER_KEY, TRILLET_WORKSPACE, make_app

AGENT = "550e8400-e29b-41d4-a716-446655440000"
TRILLET_AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"
JSON = {"content-type": "application/json"}
OUTBOUND, SCHEDULE, TRILLET_CALL = "/api/v1/calls/outbound", "/api/v1/calls/schedule", "/v1/api/call"


def body(value) -> bytes:
    return json.dumps(value).encode()


# Which path answers: the short path, FastAPI's route (the full path), or
# neither (the door, the router's 404 or a fault rule answers first).
SHORT, FULL, DOOR = "short", "full", "door"

# (path, headers: a dict or a list of pairs, raw body, which path answers)
REQUESTS = [
    # Created on the short path.
    (OUTBOUND, {**HEPPU, **JSON}, body({"agentId": AGENT, "phoneNumber": "+14155550123"}), SHORT),
    (OUTBOUND, {**HEPPU, **JSON}, body({"agentId": AGENT, "phoneNumber": "+14155550124", "priority": 9, "metadata": {"k": [1, 2.5, None]}, "extra": 1}), SHORT),
    (OUTBOUND, {"Authorization": f"Bearer {HEPPU['x-api-key']}", "content-type": "application/json; charset=utf-8"}, body({"agentId": AGENT, "phoneNumber": "+14155550125"}), SHORT),
    (OUTBOUND, {**HEPPU, "content-type": "application/vnd.heppu+json"}, body({"agentId": AGENT, "phoneNumber": "+14155550126"}), SHORT),
    (SCHEDULE, {**HEPPU, **JSON}, body({"agentId": AGENT, "contactPhone": "+14155552671", "contactName": "John Doe", "scheduledAt": "2025-12-01T16:00:00Z"}), SHORT),
    (SCHEDULE, {**HEPPU, **JSON}, body({"agentId": AGENT, "contactPhone": "+14155552672", "retryIntervals": ["2 hours", "1 day"]}), SHORT),
    (TRILLET_CALL, {**TRILLET, **JSON}, body({"to": "+14155550123", "call_agent_id": TRILLET_AGENT}), SHORT),
    (TRILLET_CALL, {**TRILLET, **JSON}, body({"to": "+14155550124", "call_agent_id": TRILLET_AGENT, "dynamic_variables": {"firstName": "Ada"},
                                              "callback_url": "https://example.com/hook", "metadata": {"a": 1}}), SHORT),
    # Errors the endpoint raises (on the short path too).
    (OUTBOUND, {**HEPPU, **JSON}, body({"agentId": "00000000-0000-4000-8000-000000000000", "phoneNumber": "+14155550123"}), SHORT),
    (SCHEDULE, {**HEPPU, **JSON}, body({"agentId": AGENT, "contactPhone": "+14155552671", "scheduledAt": "9998-12-01T00:00:00Z", "maxRetries": 3, "retryIntervals": ["30 days"]}), SHORT),
    (SCHEDULE, {**HEPPU, **JSON}, body({"agentId": "00000000-0000-4000-8000-000000000000", "contactPhone": "+14155552671"}), SHORT),
    (TRILLET_CALL, {**TRILLET, **JSON}, body({"to": "+14155550123", "call_agent_id": "ffffffffffffffffffffffff"}), SHORT),
    (OUTBOUND, {"x-api-key": HEPPU_OTHER_KEY, **JSON}, body({"agentId": AGENT, "phoneNumber": "+14155550123"}), SHORT),  # another organisation's agent
    # Errors the full path answers.
    (OUTBOUND, {**HEPPU, **JSON}, b'{"agentId": ', FULL),
    (OUTBOUND, {**HEPPU, **JSON}, b"", FULL),
    (OUTBOUND, {**HEPPU, **JSON}, b"[]", FULL),
    (OUTBOUND, {**HEPPU, **JSON}, b"null", FULL),
    (OUTBOUND, {**HEPPU, **JSON}, body({"agentId": AGENT}), FULL),
    (OUTBOUND, {**HEPPU, **JSON}, body({"agentId": AGENT, "phoneNumber": "+14155550123", "priority": "5"}), FULL),
    (OUTBOUND, {**HEPPU, **JSON}, body({"agentId": AGENT, "phoneNumber": "12345"}), FULL),
    (OUTBOUND, JSON, body({"agentId": AGENT, "phoneNumber": "+14155550123"}), FULL),
    (OUTBOUND, {"x-api-key": "wrong", **JSON}, body({"agentId": AGENT, "phoneNumber": "+14155550123"}), FULL),
    (OUTBOUND, JSON, b'{"agentId": ', FULL),
    (OUTBOUND, {**HEPPU, "content-type": "text/plain"}, body({"agentId": AGENT, "phoneNumber": "+14155550123"}), FULL),
    (OUTBOUND, HEPPU, body({"agentId": AGENT, "phoneNumber": "+14155550123"}), FULL),
    (OUTBOUND, [("x-api-key", HEPPU["x-api-key"]), ("content-type", "text/plain"), ("content-type", "application/json")],
     body({"agentId": AGENT, "phoneNumber": "+14155550123"}), FULL),
    (OUTBOUND, {**HEPPU, **JSON}, body({"agentId": AGENT, "phoneNumber": "+14155550123", "metadata": {"x": "y" * web.MAX_BODY_BYTES}}), DOOR),
    (OUTBOUND, {**HEPPU, **JSON}, b'{"agentId": "' + AGENT.encode() + b'", "phoneNumber": "+14155550123", "metadata": {"n": NaN}}', DOOR),
    (OUTBOUND + "?x=1", {**HEPPU, **JSON}, body({"agentId": AGENT, "phoneNumber": "+14155550127"}), FULL),
    (OUTBOUND + "/", {**HEPPU, **JSON}, body({"agentId": AGENT, "phoneNumber": "+14155550123"}), DOOR),
    (SCHEDULE, {**HEPPU, **JSON}, body({"agentId": AGENT, "contactPhone": "+14155552671", "scheduledAt": "tomorrow"}), FULL),
    (SCHEDULE, {**HEPPU, **JSON}, body({"agentId": AGENT, "contactPhone": "+14155552671", "scheduledAt": "9999-12-31T23:00:00Z"}), FULL),
    (TRILLET_CALL, {**TRILLET, **JSON}, body({"to": "14155550123", "call_agent_id": TRILLET_AGENT}), FULL),
    (TRILLET_CALL, {**TRILLET, **JSON}, body({"call_agent_id": TRILLET_AGENT}), FULL),
    (TRILLET_CALL, {**TRILLET, **JSON}, b"{", FULL),
    (TRILLET_CALL, {"x-api-key": TRILLET["x-api-key"], **JSON}, body({"to": "+14155550123", "call_agent_id": TRILLET_AGENT}), FULL),
    (TRILLET_CALL, {"x-api-key": TRILLET_OTHER_KEY, "x-workspace-id": TRILLET_WORKSPACE, **JSON}, body({"to": "+14155550123", "call_agent_id": TRILLET_AGENT}), FULL),
    (TRILLET_CALL, {**TRILLET, "content-type": "application/xml"}, b"<call/>", FULL),
    (TRILLET_CALL + "?a=1&a=2", {**TRILLET, **JSON}, body({"to": "+14155550123", "call_agent_id": TRILLET_AGENT}), FULL),
    # A fault rule answers first (see FAULTS); the next requests are created
    # (one after a delay) on the full path, which applies fault rules.
    (OUTBOUND, {**HEPPU, **JSON}, body({"agentId": AGENT, "phoneNumber": "+14155550130"}), DOOR),
    (OUTBOUND, {**HEPPU, **JSON}, body({"agentId": AGENT, "phoneNumber": "+14155550131"}), FULL),
    (TRILLET_CALL, {**TRILLET, **JSON}, body({"to": "+14155550132", "call_agent_id": TRILLET_AGENT}), FULL),
]
FAULTS_BEFORE = len(REQUESTS) - 3  # the last three run under these rules
FAULTS = [
    {"vendor": "heppu", "route": OUTBOUND, "method": "POST", "status": 503, "times": 1},
    {"vendor": "trillet", "route": TRILLET_CALL, "delay": "1ms", "times": 1},
]


@pytest.fixture
def paths(monkeypatch):
    """Which path each request took: SHORT when the front served it,
    FULL when it reached FastAPI's route handler (every vendor write route
    runs the write-body check first), DOOR when neither."""
    taken = []
    real_check, real_arguments = web.check_write_body, FastRoutes.arguments

    async def checked(request, error):
        taken.append(FULL)
        return await real_check(request, error)

    def arguments(self, *args):
        found = real_arguments(self, *args)
        if found is not None:  # the front calls the endpoint with them
            taken.append(SHORT)
        return found

    monkeypatch.setattr(web, "check_write_body", checked)
    monkeypatch.setattr(trillet_routing, "check_write_body", checked)
    monkeypatch.setattr(FastRoutes, "arguments", arguments)
    return taken


def run(app, taken: list) -> list:
    hooks = app.state.webhooks
    hooks.add("http://127.0.0.1:9/hook")  # never started (no lifespan): deliveries stay queued
    answers, created = [], []
    c = TestClient(app)
    for i, (path, headers, raw, _) in enumerate(REQUESTS):
        if i == FAULTS_BEFORE:
            for rule in FAULTS:
                assert c.post("/_emulator/faults", json=rule).status_code == 201
        taken.clear()
        r = c.post(path, content=raw, headers=headers)
        answers.append((path, r.status_code, r.headers.raw, r.content, taken[0] if taken else DOOR))
        if r.status_code < 300:
            data = r.json()
            created.append(data.get("callId") or data["data"]["id"])
    reads = [c.get(f"/_emulator/calls/{call_id}").content for call_id in created]
    journal = c.get("/_emulator/journal").json()["entries"]
    for entry in journal:
        entry.pop("latencyMs")
    events = [dict(e) for e in app.state.events.list()]
    deliveries = [(d.id, d.event_id, d.event, d.call_id, d.at, d.status, d.body) for d in hooks.deliveries()]
    return [answers, reads, journal, events, deliveries, len(created)]


@pytest.mark.parametrize("reference", ["no short path", "strict"])
def test_creates_on_the_short_path_answer_like_the_full_path(paths, reference):
    short = make_app(strict=False)
    full = make_app(strict=reference == "strict")
    if reference == "no short path":
        full.state.fast_routes = None
    assert short.state.fast_routes is not None and full.state.fast_routes is None
    got = run(short, paths)
    expected = run(full, paths)
    assert [row[-1] for row in got[0]] == [which for *_, which in REQUESTS]
    assert [row[-1] for row in expected[0]] == [FULL if which == SHORT else which for *_, which in REQUESTS]
    for answers in (got[0], expected[0]):
        answers[:] = [row[:-1] for row in answers]
    assert got == expected
    statuses = [status for _, status, *_ in got[0]]
    assert statuses.count(201) == 8 and statuses.count(200) == 3, statuses  # the query string's create is on the full path
    assert got[3] and got[4]  # events and webhook deliveries were compared


def test_the_short_path_answers_the_routes_declared_status():
    app = make_app(strict=False)
    routes = app.state.fast_routes
    declared = {r.operation_id: r.status_code for p in app.state.providers.values() for r in p.router.routes if hasattr(r, "operation_id")}
    with TestClient(app) as c:
        for path, headers, raw, _ in REQUESTS[:8]:
            r = c.post(path, content=raw, headers=headers)
            op = matched(app, routes, path, headers, raw)
            assert op is not None
            assert r.status_code == (declared[op] or 200), op


def matched(app, routes, path, headers, raw):
    """The operation the short path takes for this request (None: the full path)."""
    pairs = headers if isinstance(headers, list) else list(headers.items())
    scope = {"method": "POST", "path": path.partition("?")[0], "query_string": path.partition("?")[2].encode(),
             "headers": [(k.lower().encode(), v.encode()) for k, v in pairs] + [(b"content-length", str(len(raw)).encode())]}
    provider = next(p for p in app.state.providers.values() if p.owns(path))
    scope[SCOPE_KEY] = resolve(app.state.engine, provider, scope)
    scope[BODY_KEY] = raw
    try:
        scope[JSON_KEY] = json.loads(raw)
    except ValueError:
        pass
    hit = routes.route(provider, "POST", scope["path"])
    if hit is None:
        return None
    return hit[0].operation_id if routes.arguments(*hit, scope) is not None else None


def test_which_creates_take_the_short_path():
    app = make_app(strict=False)
    routes = app.state.fast_routes
    ok = body({"agentId": AGENT, "phoneNumber": "+14155550123"})
    assert matched(app, routes, OUTBOUND, {**HEPPU, **JSON}, ok) == "outboundCall"
    assert matched(app, routes, SCHEDULE, {**HEPPU, **JSON}, body({"agentId": AGENT, "contactPhone": "+14155552671"})) == "scheduleCall"
    assert matched(app, routes, TRILLET_CALL, {**TRILLET, **JSON}, body({"to": "14155550123", "call_agent_id": "x"})) is None  # pattern
    assert matched(app, routes, TRILLET_CALL, {**TRILLET, **JSON}, body({"to": "+14155550123", "call_agent_id": "x"})) == "initiateOutboundCall"
    assert matched(app, routes, "/api/v1/calls/batch", {**HEPPU, **JSON}, body({"agentId": AGENT, "calls": []})) is None
    assert matched(app, routes, OUTBOUND, {**HEPPU, "content-type": "text/json"}, ok) is None
    assert matched(app, routes, OUTBOUND, JSON, ok) is None  # no tenant: FastAPI's order of errors
    assert matched(app, routes, OUTBOUND + "?a=1", {**HEPPU, **JSON}, ok) is None


class Item(BaseModel):
    name: str


def test_only_routes_the_short_path_reproduces_may_be_declared_fast():
    router = APIRouter()

    @router.post("/a", operation_id="returnsAModel")
    async def returns_model(body: Item = Body(), ctx=Depends(heppu_context)) -> Item:
        return body

    @router.post("/b", operation_id="embedded")
    async def embedded(body: Item = Body(embed=True), ctx=Depends(heppu_context)) -> Response:
        return Response()

    @router.post("/c", operation_id="queryToo")
    async def query_too(body: Item = Body(), q: str = "", ctx=Depends(heppu_context)) -> Response:
        return Response()

    @router.post("/d", operation_id="notAtomic")
    async def not_atomic(body: Item = Body(), ctx=Depends(heppu_context)) -> Response:
        return Response()

    @router.post("/e", operation_id="atomic")
    async def atomic(body: Item = Body(), ctx=Depends(heppu_context)) -> Response:
        return Response()

    *refused, allowed = router.routes
    for route in refused[:3]:
        route.endpoint = _atomic(route.endpoint)
    allowed.endpoint = _atomic(allowed.endpoint)
    for route in refused:
        with pytest.raises(ValueError, match="cannot take the short path"):
            _check(route)
    _check(allowed)


# -- a crash on the short path ----------------------------------------------------------------------


def boom(*args, **kwargs):
    raise RuntimeError("rendering failed")


def test_a_crash_after_the_create_answers_the_vendors_500_keeps_the_connection_and_stores_nothing(monkeypatch):
    from emulator.providers.heppu import render as heppu_render
    from emulator.providers.trillet import render as trillet_render
    from emulator.testing import Emulator

    from .test_hardening import exchange

    # The call is created, then rendering its answer fails: store.atomic()
    # around the endpoint must take the call back.
    monkeypatch.setattr(heppu_render, "outbound_body", boom)
    monkeypatch.setattr(trillet_render, "outbound_body", boom)
    heppu_500 = {"error": {"message": "Internal Server Error", "code": 500}}
    trillet_500 = {"error": "Internal Server Error", "message": "Internal Server Error"}
    with Emulator(clock="manual", now="2025-12-01T15:30:10Z") as emu:
        stored = len(emu.control.calls(limit=1000))
        with socket.create_connection((emu.host, emu.port)) as s:
            for path, headers, raw, expected in [
                (OUTBOUND, HEPPU, body({"agentId": AGENT, "phoneNumber": "+14155550123"}), heppu_500),
                (TRILLET_CALL, TRILLET, body({"to": "+14155550123", "call_agent_id": TRILLET_AGENT}), trillet_500),
            ]:
                status, response_headers, payload = exchange(s, "POST", path, headers, raw)
                assert (status, json.loads(payload)) == (500, expected), path
                assert response_headers.get("connection") != "close"
            status, _, payload = exchange(s, "GET", "/_emulator/journal?limit=10", {})
            assert status == 200
        assert [e["status"] for e in json.loads(payload)["entries"]].count(500) == 2
        assert len(emu.control.calls(limit=1000)) == stored
