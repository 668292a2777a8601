"""The front door: `serve` starts a real server that answers both vendors,
with demo traffic moving by default."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import HEPPU, TRILLET, Driver, make_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--clock", "manual", "--now", "2025-12-01T15:30:10Z"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(base + "/_emulator/ready", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("server did not become ready:\n" + proc.stdout.read().decode())
        time.sleep(0.05)
    yield base
    proc.terminate()
    proc.wait(10)


def test_serve_answers_both_vendors_and_is_ready(server):
    ready = httpx.get(server + "/_emulator/ready").json()
    assert ready["ready"] is True and ready["calls"] >= 4
    r = httpx.get(server + "/api/v1/calls/call_def456", headers=HEPPU)
    assert r.status_code == 200 and r.json()["data"]["status"] == "active"
    r = httpx.get(server + "/v2/api/active-calls/call-abc123", headers=TRILLET)
    assert r.status_code == 404  # the Trillet example lives in 2024: history now


def test_help_lists_every_option():
    out = subprocess.run([sys.executable, "-m", "emulator", "serve", "--help"], capture_output=True, text=True, check=True).stdout
    for flag in ("--host", "--port", "--seed", "--clock", "--speed", "--now", "--fixtures", "--tenants", "--no-demo", "--cors-origin"):
        assert flag in out


def test_environment_variables_configure_serve(monkeypatch):
    import argparse

    from emulator.cli import main, settings_from_args

    monkeypatch.setenv("CALL_EMULATOR_SEED", "7")
    monkeypatch.setenv("CALL_EMULATOR_CLOCK", "manual")
    s = settings_from_args(argparse.Namespace(seed=None, clock=None, port=9999))
    assert (s.seed, s.clock, s.port) == (7, "manual", 9999)
    assert main(["openapi", "--check"]) == 0


def test_demo_traffic_keeps_a_handful_of_calls_live():
    d = Driver(make_app(now="2025-12-01T12:00:00Z", demo=True))
    engine = d.engine
    demo_tenants = {r.plan.tenant for r in engine.store.records() if r.plan.attributes.get("source") == "demo"}
    assert len(demo_tenants) >= 2
    for _ in range(5):
        now = engine.now()
        for tenant in demo_tenants:
            live = [r for r in engine.store.for_tenant(tenant) if (s := r.at(now)) is not None and s.live]
            assert 1 <= len(live) <= 30
        d.advance(47)
    # Demo calls are real calls: each vendor serves them.
    now = engine.now()
    org_calls = [r for r in engine.store.for_tenant("org_abc123") if r.plan.attributes.get("source") == "demo"]
    r = d.http.get(f"/api/v1/calls/{org_calls[-1].plan.id}", headers=HEPPU)
    assert r.status_code == 200
    room = next(r.plan.room for r in engine.store.for_tenant("69cf4b468d2a8a6a8e39b684") if r.at(now) and r.at(now).room_open)
    assert d.http.get(f"/v2/api/active-calls/{room}", headers=TRILLET).status_code == 200


def test_demo_traffic_is_deterministic():
    def ids():
        d = Driver(make_app(now="2025-12-01T12:00:00Z", demo=True))
        d.advance(120)
        d.engine.now()
        return [(r.plan.id, r.plan.contact_phone, r.plan.turns[:1]) for r in d.engine.store.records()]

    first = ids()
    assert len(first) > 4 and first == ids()


def test_tenants_file_overrides_the_bundled_one(tmp_path):
    import json

    tenants = {
        "tenants": [
            {"id": "org_mine", "vendor": "heppu", "name": "Mine", "keys": ["my-key"], "agents": []},
            {"id": "org_abc123", "vendor": "heppu", "name": "Acme", "keys": ["acme-only"], "agents": []},
        ]
    }
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps(tenants))
    d = Driver(make_app(tenants=path))
    assert d.http.get("/api/v1/calls/call_abc123", headers=HEPPU).status_code == 401  # YOUR_API_KEY is not in this file
    assert d.http.get("/api/v1/calls/call_abc123", headers={"x-api-key": "acme-only"}).status_code == 200
    assert d.http.get("/api/v1/calls/call_abc123", headers={"x-api-key": "my-key"}).status_code == 403


def _serve_and_get(*flags: str, headers: dict | None = None) -> str:
    """Serve with `flags`, make one vendor request, stop; the server's output."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--no-demo", "--port", str(port), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/calls/call_abc123", headers={**HEPPU, **(headers or {})}, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("server did not answer")
            time.sleep(0.05)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    return out.decode()


@pytest.mark.parametrize(
    ("flags", "logged"),
    [((), False), (("--access-log",), True), (("--log-level", "debug"), True), (("--log-level", "debug", "--no-access-log"), False)],
)
def test_access_log_only_when_asked_for(flags, logged):
    out = _serve_and_get(*flags)
    assert "Uvicorn running" in out or "Application startup complete" in out or "call-emulator" in out
    assert ('"GET /api/v1/calls/call_abc123 HTTP/1.1" 200' in out) is logged, out


def test_forwarded_headers_are_not_read():
    """X-Forwarded-* headers change nothing: the access log names the
    connection's own peer (uvicorn's proxy-headers layer is off)."""
    out = _serve_and_get("--access-log", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    line = next(l for l in out.splitlines() if '"GET /api/v1/calls/call_abc123 HTTP/1.1" 200' in l)
    assert "127.0.0.1:" in line and "203.0.113.7" not in out, line


def test_serve_freezes_the_start_up_heap_before_serving(monkeypatch):
    # Full collections walk every tracked object: what start-up built lives
    # as long as the server and is frozen out of them before the first request.
    import gc

    import uvicorn

    from emulator.cli import serve
    from emulator.settings import Settings

    frozen, thresholds = [], []

    def run(self, sockets=None):
        frozen.append(gc.get_freeze_count())
        thresholds.append(gc.get_threshold())
        for sock in sockets or ():
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    gc.unfreeze()
    before = gc.get_threshold()
    try:
        assert serve(Settings(port=0, demo=False, clock="manual", now="2025-12-01T15:30:10Z")) == 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert frozen and frozen[0] > 10_000
    # Young collections are rarer while serving (creates allocate hundreds of short-lived objects).
    assert thresholds == [(10_000, *before[1:])]


@pytest.mark.parametrize("replace", ["reset", "import"])
def test_a_replaced_engine_is_handed_back_to_the_collector(replace):
    # The engine frozen at start-up (serve) is garbage once replaced (in a
    # cycle with its scheduler): frozen, it would never be freed.
    import gc
    import weakref

    from starlette.testclient import TestClient

    app = make_app()
    with TestClient(app) as d:
        d.get("/api/v1/calls/call_abc123", headers=HEPPU)
        old = weakref.ref(app.state.engine)
        gc.freeze()
        try:
            if replace == "reset":
                assert d.post("/_emulator/reset", json={}).status_code == 200
            else:
                state = d.get("/_emulator/state").json()
                assert d.put("/_emulator/state", json=state).status_code == 200
            assert gc.get_freeze_count() == 0
            gc.collect()
            assert old() is None
        finally:
            gc.unfreeze()
