"""Property: whatever body a client sends to any write route, no route of
that tenant and no state export answers 5xx afterwards. Bodies are drawn by
hypothesis (derandomized: the same cases on every run) from valid bodies
with fields replaced by arbitrary JSON, lone surrogates, non-finite and
huge numbers, and nesting up to far past the limit."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.testing import Emulator

from .conftest import HEPPU, TRILLET

AGENT = "550e8400-e29b-41d4-a716-446655440000"
TRILLET_AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"
ORG = "org_abc123"

# Write routes: (method, path, base body). Fault rules are left out: a rule
# that answers 500 is a 5xx by request.
WRITES = {
    "heppu schedule": ("POST", "/api/v1/calls/schedule", HEPPU, {"agentId": AGENT, "contactPhone": "+14155550123", "contactName": "A", "metadata": {}}),
    "heppu batch": ("POST", "/api/v1/calls/batch", HEPPU, {"agentId": AGENT, "calls": [{"contactPhone": "+14155550123", "metadata": {}}]}),
    "heppu outbound": ("POST", "/api/v1/calls/outbound", HEPPU, {"agentId": AGENT, "phoneNumber": "+14155550123", "metadata": {}}),
    "trillet outbound": ("POST", "/v1/api/call", TRILLET, {"to": "+14155550123", "call_agent_id": TRILLET_AGENT, "dynamic_variables": {}, "metadata": {}}),
    "trillet remove-agent": ("POST", "/v2/api/active-calls/{room}/remove-agent", TRILLET, {"participantIdentity": "agent"}),
    "control tenant": ("POST", "/_emulator/tenants", {}, {"vendor": "heppu", "name": "n", "keys": ["k"]}),
    "control call": ("POST", "/_emulator/calls", {}, {"tenant": ORG, "contactPhone": "+14155550123", "metadata": {}, "attributes": {}}),
    "control action": ("POST", "/_emulator/calls/{call}/actions", {}, {"action": "answer"}),
    "control turn": ("POST", "/_emulator/calls/{call}/turns", {}, {"role": "customer", "text": "hi"}),
    "control tenant clock": ("PUT", "/_emulator/tenants/" + ORG + "/clock", {}, {"mode": "manual"}),
    "control reset": ("POST", "/_emulator/reset", {}, {"tenant": ORG}),
}

surrogate = st.sampled_from(["\ud800", "x\udfff", "\udbff\udbff", "\ud83d\ude00"])
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    surrogate,
)
json_value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | surrogate, inner, max_size=4), max_leaves=12)
deep = st.integers(min_value=1, max_value=400).map(lambda n: "\x00DEEP%d" % n)


def mutated(base: dict):
    """The base body with some fields replaced, dropped or added."""
    fields = {k: st.one_of(st.just(v), json_value, deep) for k, v in base.items()}
    return st.fixed_dictionaries({}, optional={**fields, "extra": json_value})


def encode(body) -> bytes:
    text = json.dumps(body, ensure_ascii=True, allow_nan=True)
    # Deep values are spliced in as text (the encoder would recurse).
    text = re.sub(r'"\\u0000DEEP(\d+)"', lambda m: '{"k":' * int(m.group(1)) + "1" + "}" * int(m.group(1)), text)
    return text.encode()


@pytest.fixture(scope="module")
def emu():
    with Emulator() as e:  # the default clock: realtime
        yield e


@pytest.fixture(scope="module")
def http(emu):
    with httpx.Client(base_url=emu.url, timeout=30) as c:
        yield c


def reads(http: httpx.Client) -> list[httpx.Response]:
    out = [
        http.get("/api/v1/calls", headers=HEPPU),
        http.get("/api/v1/calls", headers=HEPPU, params={"status": "active"}),
        http.get("/v2/api/call-history", headers=TRILLET, params={"search": "a"}),
        http.get("/v2/api/active-calls", headers=TRILLET),
        http.get("/_emulator/calls", params={"limit": 5}),
        http.get("/_emulator/tenants"),
        http.get("/_emulator/state"),
    ]
    for call in http.get("/api/v1/calls", headers=HEPPU, params={"limit": 3}).json()["data"]["calls"]:
        out.append(http.get(f"/api/v1/calls/{call['id']}", headers=HEPPU))
    for call in http.get("/v2/api/call-history", headers=TRILLET, params={"limit": 3}).json():
        out.append(http.get(f"/v2/api/call-history/{call['_id']}", headers=TRILLET))
    return out


@pytest.mark.parametrize("name", sorted(WRITES))
def test_no_body_on_any_write_route_leads_to_a_5xx(http, name):
    method, path, headers, base = WRITES[name]

    @settings(derandomize=True, max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
    @given(body=st.one_of(mutated(base), json_value))
    def run(body):
        live = http.post("/v1/api/call", headers=TRILLET, json={"to": "+14155550123", "call_agent_id": TRILLET_AGENT}).json()
        call = http.post("/_emulator/calls", json={"tenant": ORG, "startDelay": 0, "answerAt": 0}).json()
        target = path.format(room=live["roomName"], call=call.get("id", "none"))
        r = http.request(method, target, headers={**headers, "content-type": "application/json"}, content=encode(body))
        assert r.status_code < 500, (r.status_code, r.text[:300])
        for read in reads(http):
            assert read.status_code < 500, (read.request.url, read.status_code, read.text[:300])
        json.loads(http.get("/_emulator/state").content)

    try:
        run()
    finally:
        http.post("/_emulator/reset", json={})
