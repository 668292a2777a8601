"""The one rule for vendor write bodies, on both vendors over real HTTP: a
non-empty body not declared JSON is 415, a body over the one limit is 413,
both in the vendor's own error shape; an empty body is the route's business."""

from __future__ import annotations

import httpx
import pytest

from emulator.testing import Emulator
from emulator.web import MAX_BODY_BYTES

from .conftest import HEPPU, NOW, TRILLET
from .trillet_helpers import AGENT

SUPPORT = "550e8400-e29b-41d4-a716-446655440000"


@pytest.fixture(scope="module")
def emu():
    with Emulator(clock="manual", now=NOW, strict=True) as e:
        yield e


def live_room(emu, http) -> str:
    r = http.post("/v1/api/call", headers=TRILLET, json={"to": "+14155550123", "call_agent_id": AGENT})
    assert r.status_code == 200, r.text
    room = r.json()["roomName"]
    for _ in range(120):  # until the room is open (ringing or talking)
        emu.control.advance(1)
        if http.get(f"/v2/api/active-calls/{room}", headers=TRILLET).status_code == 200:
            return room
    raise AssertionError("the call never went live")


# (vendor, path, a valid JSON body) for every write route that reads a body
HEPPU_WRITES = [
    ("/api/v1/calls/schedule", {"agentId": SUPPORT, "contactPhone": "+14155550100"}),
    ("/api/v1/calls/outbound", {"agentId": SUPPORT, "phoneNumber": "+14155550100"}),
    ("/api/v1/calls/batch", {"agentId": SUPPORT, "calls": [{"contactPhone": "+14155550100"}]}),
]


def heppu_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == status
    return body["error"]["message"]


def trillet_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "message"}
    return body["message"]


def not_json_cases(body: bytes):
    # no Content-Type at all, a text type, form encoding, a JSON-looking non-JSON type
    return [
        ({}, body),
        ({"content-type": "text/plain"}, body),
        ({"content-type": "application/x-www-form-urlencoded"}, body),
        ({"content-type": "application/jsonx"}, body),
    ]


@pytest.mark.parametrize("path,payload", HEPPU_WRITES)
def test_heppu_body_not_declared_json_is_415(http, path, payload):
    raw = httpx.Request("POST", "/", json=payload).content
    for headers, content in not_json_cases(raw):
        r = http.post(path, headers={**HEPPU, **headers}, content=content)
        assert heppu_error(r, 415) == "Content-Type must be application/json", headers
    # declared JSON (with parameters, or a +json type) is read as JSON
    for ctype in ("application/json", "application/json; charset=utf-8", "application/vnd.api+json"):
        r = http.post(path, headers={**HEPPU, "content-type": ctype}, content=raw)
        assert r.status_code in (201, 207), (ctype, r.text)


@pytest.mark.parametrize("path,payload", HEPPU_WRITES)
def test_heppu_empty_body_is_the_routes_400_whatever_its_type(http, path, payload):
    for headers in ({}, {"content-type": "text/plain"}, {"content-type": "application/json"}):
        msg = heppu_error(http.post(path, headers={**HEPPU, **headers}), 400)
        assert "body" in msg.lower(), msg


@pytest.mark.parametrize("path,payload", HEPPU_WRITES)
def test_heppu_body_over_the_limit_is_413(http, path, payload):
    big = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    r = http.post(path, headers={**HEPPU, "content-type": "application/json"}, content=big)
    assert heppu_error(r, 413) == f"Request body too large: {len(big)} bytes (limit {MAX_BODY_BYTES})"
    # just under the limit is read (and refused for what it says, not its size)
    under = b'{"pad": "' + b"x" * (MAX_BODY_BYTES - 20) + b'"}'
    assert len(under) <= MAX_BODY_BYTES
    assert http.post(path, headers={**HEPPU, "content-type": "application/json"}, content=under).status_code == 400


def test_trillet_outbound_body_not_declared_json_is_415(http):
    raw = httpx.Request("POST", "/", json={"to": "+14155550123", "call_agent_id": AGENT}).content
    for headers, content in not_json_cases(raw):
        r = http.post("/v1/api/call", headers={**TRILLET, **headers}, content=content)
        assert trillet_error(r, 415) == "Content-Type must be application/json", headers
        assert r.json()["error"] == "Unsupported Media Type"
    r = http.post("/v1/api/call", headers={**TRILLET, "content-type": "application/json; charset=utf-8"}, content=raw)
    assert r.status_code == 200, r.text
    for headers in ({}, {"content-type": "text/plain"}):
        assert trillet_error(http.post("/v1/api/call", headers={**TRILLET, **headers}), 400) == "Request body is required (a JSON object)"


def test_trillet_active_call_writes_follow_the_same_rule(emu, http):
    room = live_room(emu, http)
    base = f"/v2/api/active-calls/{room}"
    raw = b'{"participantIdentity": "agent-1"}'
    for path in (f"{base}/remove-agent", f"{base}/end-call"):
        for headers, content in not_json_cases(raw):
            r = http.post(path, headers={**TRILLET, **headers}, content=content)
            assert trillet_error(r, 415) == "Content-Type must be application/json", (path, headers)
        big = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
        r = http.post(path, headers={**TRILLET, "content-type": "application/json"}, content=big)
        assert trillet_error(r, 413) == f"Request body too large: {len(big)} bytes (limit {MAX_BODY_BYTES})"
    # remove-agent needs its body: empty is 400, whatever the type says
    for headers in ({}, {"content-type": "text/plain"}):
        assert trillet_error(http.post(f"{base}/remove-agent", headers={**TRILLET, **headers}), 400) == "Request body is required (a JSON object)"
    # end-call takes none: an empty body is fine with or without a type
    assert http.get(base, headers=TRILLET).status_code == 200  # nothing above ended it
    r = http.post(f"{base}/end-call", headers={**TRILLET, "content-type": "text/plain"})
    assert r.status_code == 200, r.text


def test_refused_bodies_store_nothing(emu, http):
    before = emu.control.calls()
    for path, payload in HEPPU_WRITES:
        raw = httpx.Request("POST", "/", json=payload).content
        http.post(path, headers={**HEPPU, "content-type": "text/plain"}, content=raw)
    http.post("/v1/api/call", headers=TRILLET, content=b'{"to": "+14155550123", "call_agent_id": "%s"}' % AGENT.encode())
    assert emu.control.calls() == before
