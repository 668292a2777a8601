"""The short path for polled GETs answers exactly what the full FastAPI
path answers: status, headers and bytes, errors included."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from emulator.core.timeutil import parse_instant

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
                got.append((path, r.status_code, r.headers.get("content-type"), r.headers.get("content-length"), r.content))
            got.append(c.get("/_emulator/journal").json()["entries"])
            answers.append(got)
    for entry in answers[0][-1] + answers[1][-1]:
        entry.pop("latencyMs")
    assert answers[0] == answers[1]
    assert any(status == 200 for _, status, *_ in answers[0][:-1])
