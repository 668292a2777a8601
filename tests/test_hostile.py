"""A hostile battery, fixed (no randomness): every route of both vendors and
the control plane, each with odd paths, credentials, Host headers, query
strings and bodies. No answer is a 5xx, every answer comes on the same
keep-alive connection, and the fixture calls read the same afterwards."""

from __future__ import annotations

import itertools

import httpx
import pytest
from fastapi.routing import APIRoute

from emulator import limits
from emulator.app import PROVIDERS
from emulator.control.routes import ROUTERS as CONTROL_ROUTERS
from emulator.testing import Emulator

from .conftest import HEPPU, TRILLET

PARAMS = {
    "callId": "call_abc123",
    "roomName": "room_livekit_abc123",
    "callHistoryId": "665a1b2c3d4e5f6a7b8c9d0e",
    "tenantId": "org_abc123",
    "faultId": "fault_1",
    "name": "heppu",
    "deliveryId": "dlv_000000001",
    "webhookId": "wh_000001",
}
PATH_VARIANTS = ["{}", "{}/", "{}%2f", "{}%00", "{}/..", "{}?%ff=%fe"]
ID_VARIANTS = ["x" * 4000, "%F0%9F%98%80", "%ED%A0%80", "..%2F..", "null"]
BODIES = [
    b"",
    b"null",
    b"[]",
    b"{}",
    b'"text"',
    b"{not json",
    b'{"a": "\\ud800"}',
    b'{"\\udfff": 1}',
    b'{"a": NaN}',
    b'{"a": 1e999}',
    b'{"a": ' + b"9" * 5000 + b"}",
    b'{"k":' * 40 + b"1" + b"}" * 40,
    b"[" * 5000 + b"]" * 5000,
    b'{"metadata": ' + b'{"k":' * 300 + b"1" + b"}" * 301,
    b"\xff\xfe\x00",
]
HEADER_VARIANTS = [
    {},
    {"x-api-key": ""},
    {"x-api-key": "wrong"},
    {"authorization": "Bearer"},
    {"authorization": "Bearer " + "x" * 8000},
    {"x-workspace-id": "\u00e9".encode("latin-1")},
    {"host": "evil.example"},
    {"host": "localhost:1"},
    {"content-type": "text/plain"},
]
QUERY_VARIANTS = [
    "limit=1&limit=2",
    "limit=-1",
    "limit=abc",
    "page=0",
    "status=%ff",
    "unknown=1",
    "&".join(f"p{i}=1" for i in range(limits.MAX_QUERY_PARAMS + 1)),
    "q=" + "x" * (limits.MAX_QUERY_BYTES + 1),
    "dateRange=%7B%22from%22%3A%22x%22%7D",
    "callIds=%5B1%2C2%5D",
]


def routes() -> list[tuple[str, str, str]]:
    """(owner, method, path template) of every served route."""
    out = []
    for owner, router in [(p.name, p.router) for p in PROVIDERS] + [("control", r) for r in CONTROL_ROUTERS]:
        for route in router.routes:
            # The event stream answers forever by design (heartbeats while
            # idle): tests/test_events.py reads it with a real SSE client.
            if isinstance(route, APIRoute) and route.operation_id != "streamEvents":
                out += [(owner, m, route.path_format) for m in sorted(route.methods)]
    return out


def battery() -> list[tuple[str, str, dict, bytes]]:
    """Every hostile request: (method, path, headers, body)."""
    cases = []
    for owner, method, template in routes():
        creds = {"heppu": HEPPU, "trillet": TRILLET}.get(owner, {})
        path = template.format(**PARAMS)
        with_body = method in ("POST", "PUT", "PATCH")
        for variant in PATH_VARIANTS:
            cases.append((method, variant.format(path), creds, b"{}" if with_body else b""))
        for ident in ID_VARIANTS:
            if "{" in template:
                cases.append((method, template.format(**{k: ident for k in PARAMS}), creds, b"{}" if with_body else b""))
        for headers in HEADER_VARIANTS:
            cases.append((method, path, {**creds, **headers}, b"{}" if with_body else b""))
        for query in QUERY_VARIANTS:
            cases.append((method, f"{path}?{query}", creds, b""))
        for body in BODIES if with_body else ():
            cases.append((method, path, {**creds, "content-type": "application/json"}, body))
        for wrong in ("PATCH", "OPTIONS", "TRACE"):
            cases.append((wrong, path, creds, b"{}"))
    return cases


def snapshot(http: httpx.Client) -> list:
    fixed = [http.get("/api/v1/calls/call_abc123", headers=HEPPU).json(), http.get("/v2/api/call-history/665a1b2c3d4e5f6a7b8c9d0e", headers=TRILLET).json()]
    return fixed


@pytest.mark.parametrize("token", [None])
def test_the_hostile_battery_gets_no_5xx_on_one_connection(token):
    cases = battery()
    assert len(cases) > 1000
    with Emulator(clock="manual", now="2025-12-01T15:30:10Z", token=token) as emu:
        auth = {"x-emulator-token": token} if token else {}
        connections = set()
        with httpx.Client(base_url=emu.url, timeout=30, headers=auth) as http:
            before = snapshot(http)
            statuses: dict[int, int] = {}
            for method, path, headers, body in cases:
                if method in ("DELETE", "POST", "PUT") and "/_emulator/" in path and not path.startswith("/_emulator/calls/"):
                    continue  # reset, delete tenant, import state...: they change what the rest reads
                r = http.request(method, path, headers=headers, content=body)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                assert r.status_code < 500, (method, path[:120], headers, body[:60], r.status_code, r.text[:200])
                connections.add(id(r.extensions.get("network_stream")))
            assert snapshot(http) == before
            assert http.get("/_emulator/state").status_code == 200
        print(f"\nhostile battery ({'with' if token else 'without'} a control token): {sum(statuses.values())} requests, "
              f"statuses {dict(sorted(statuses.items()))}, {len(connections)} connection(s)")
        assert len(connections) == 1  # no answer closed the connection


def test_the_control_plane_writes_of_the_battery_get_no_5xx():
    """Reset, tenant deletion and state import, each on a fresh emulator."""
    cases = [c for c in battery() if c[0] in ("DELETE", "POST", "PUT") and "/_emulator/" in c[1] and not c[1].startswith("/_emulator/calls/")
             and "?" not in c[1] and "host" not in c[2]]
    with Emulator(clock="manual", now="2025-12-01T15:30:10Z") as emu, httpx.Client(base_url=emu.url, timeout=30) as http:
        for method, path, headers, body in cases:
            r = http.request(method, path, headers=headers, content=body)
            assert r.status_code < 500, (method, path[:120], headers, body[:60], r.status_code, r.text[:200])
            http.post("/_emulator/reset", json={})
        assert http.get("/_emulator/state").status_code == 200
    print(f"\ncontrol writes of the battery: {len(cases)} requests")


def test_the_battery_is_fixed():
    assert battery() == battery()
    assert len({(m, p) for m, p, _, _ in battery()}) == len(list(itertools.groupby(sorted((m, p) for m, p, _, _ in battery()))))
