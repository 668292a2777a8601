"""State that outlives the process: serve --data-dir, restarts (graceful and
kill -9), clocks resuming, reset, the export/import commands and
--import/--export-on-exit. Every server here is a real subprocess."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from emulator.testing import Emulator

from .conftest import HEPPU, TRILLET, TRILLET_WORKSPACE
from .stored import STARTUP, kill, server

NOW = "2025-12-01T15:30:10Z"
SUPPORT = "550e8400-e29b-41d4-a716-446655440000"
TRILLET_AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"


def build_every_kind_of_state(emu: Emulator) -> dict:
    """Calls from both vendors and the control plane, interventions, a
    tenant created and one deleted, per-tenant clocks, fault rules (one
    partly used up), the global clock moved."""
    c = emu.control
    http = httpx.Client(base_url=emu.url)
    ids = {}
    r = http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SUPPORT, "phoneNumber": "+14155550199"})
    assert r.status_code == 201, r.text
    ids["heppu"] = r.json()["data"]["id"]
    r = http.post("/api/v1/calls/schedule", headers=HEPPU, json={"agentId": SUPPORT, "contactPhone": "+14155550100", "scheduledAt": "2025-12-02T09:00:00Z"})
    assert r.status_code == 201, r.text
    ids["scheduled"] = r.json()["data"]["id"]
    r = http.post("/v1/api/call", headers=TRILLET, json={"call_agent_id": TRILLET_AGENT, "to": "+14155550123"})
    assert r.status_code == 200, r.text
    room = r.json()["roomName"]
    tenant = c.create_tenant("heppu", name="Team A")
    doomed = c.create_tenant("trillet", name="Gone")
    made = c.create_call(tenant.id, outcome="completed", answerAt=5, talkFor=120)
    ids["control"] = made.id
    c.advance("20s")
    assert http.delete(f"/api/v1/calls/{ids['heppu']}", headers=HEPPU).status_code in (200, 204)
    c.say(made.id, "customer", "Hello from before the restart")
    r = http.post(f"/v2/api/active-calls/{room}/remove-agent", headers=TRILLET, json={})
    assert r.status_code in (200, 400, 404), r.text
    c.act(made.id, "hangup")
    c.set_clock(tenant.id, mode="manual", now="2026-01-01T00:00:00Z")
    c.set_clock(doomed.id, mode="scaled", speed=10)
    c.add_fault(vendor="heppu", route="/api/v1/calls/{callId}", method="GET", status=503, times=3)
    c.add_fault(vendor="trillet", route="/v2/api/active-calls/{roomName}/insights", delay="1ms", delayMax="2ms", probability=0.5)
    assert http.get(f"/api/v1/calls/{ids['heppu']}", headers=HEPPU).status_code == 503  # one of three used
    c.delete_tenant(doomed.id)
    c.advance("5s")
    ids["tenant"] = tenant.id
    return ids


def reads(emu: Emulator, ids: dict) -> dict:
    """Every GET whose bytes must survive a restart (none of them changes
    state: the fault rule on GET /calls/{id} is read around)."""
    http = httpx.Client(base_url=emu.url)
    paths = {
        "state": ("/_emulator/state", {}),
        "tenants": ("/_emulator/tenants", {}),
        "clock": ("/_emulator/clock", {}),
        "tenant clock": (f"/_emulator/tenants/{ids['tenant']}/clock", {}),
        "faults": ("/_emulator/faults", {}),
        "control calls": ("/_emulator/calls", {}),
        "control call": (f"/_emulator/calls/{ids['control']}", {}),
        "heppu list": ("/api/v1/calls?limit=100", HEPPU),
        "trillet active": ("/v2/api/active-calls", TRILLET),
        "trillet history": ("/v2/api/call-history", TRILLET),
    }
    out = {}
    for name, (path, headers) in paths.items():
        r = http.get(path, headers=headers)
        out[name] = (r.status_code, r.content)
    return out


@pytest.mark.parametrize("stop", ["graceful", "kill -9"])
def test_restart_serves_the_same_bytes(tmp_path, stop):
    with server(tmp_path, clock="manual", now=NOW) as emu:
        ids = build_every_kind_of_state(emu)
        before = reads(emu, ids)
        if stop == "kill -9":
            kill(emu)
    assert before["state"][0] == 200 and len(json.loads(before["state"][1])["calls"]) > 3
    # Settings given at restart do not override the stored state.
    with server(tmp_path, clock="realtime", seed=99) as emu:
        after = reads(emu, ids)
    for name in before:
        assert after[name] == before[name], name


def test_realtime_and_scaled_clocks_keep_running_across_a_restart(tmp_path):
    # The default configuration: realtime clock, demo traffic on.
    with server(tmp_path, demo=True) as emu:
        tenant = emu.control.create_tenant("heppu")
        emu.control.set_clock(tenant.id, mode="scaled", speed=100)
        assert httpx.get(emu.url + "/api/v1/calls", headers=HEPPU).status_code == 200  # demo calls materialise on reads
        before, scaled_before = emu.control.clock().epoch, emu.control.clock(tenant.id).epoch
        calls_before = {c["plan"]["id"]: c for c in emu.control.export_state()["calls"]}
        kill(emu)
    time.sleep(0.5)
    with server(tmp_path) as emu:
        after, scaled_after = emu.control.clock().epoch, emu.control.clock(tenant.id).epoch
        state = emu.control.export_state()
    assert after >= before + 0.5
    assert scaled_after >= scaled_before + 100 * 0.5
    assert state["clock"]["mode"] == "realtime" and state["tenantClocks"][tenant.id]["mode"] == "scaled"
    # Demo calls made before are kept as they were; the stream goes on.
    calls_after = {c["plan"]["id"]: c for c in state["calls"]}
    assert all(calls_after[i] == c for i, c in calls_before.items())
    assert any(c["plan"]["attributes"].get("source") == "demo" for c in calls_before.values())


def test_a_manual_clock_keeps_its_instant(tmp_path):
    with server(tmp_path, clock="manual", now=NOW) as emu:
        emu.control.advance("1h")
        kill(emu)
    time.sleep(0.2)
    with server(tmp_path) as emu:
        clock = emu.control.clock()
    assert clock.mode == "manual" and clock.now == "2025-12-01T16:30:10.000Z"


def test_reset_resets_what_is_stored(tmp_path):
    with server(tmp_path, clock="manual", now=NOW) as emu:
        fixtures = emu.control.reset().calls
        tenant = emu.control.create_tenant("heppu")
        emu.control.create_call(tenant.id)
        emu.control.add_fault(vendor="heppu", status=500)
        emu.control.reset(seed=7)
        expected = emu.control.export_state()
    with server(tmp_path) as emu:
        state = emu.control.export_state()
        assert emu.control.faults() == []
    assert state == expected and state["seed"] == 7 and len(state["calls"]) == fixtures


def test_put_state_is_stored(tmp_path):
    with server(tmp_path, clock="manual", now=NOW) as emu:
        doc = emu.control.export_state()
        doc["calls"] = doc["calls"][:2]
        emu.control.import_state(doc)
        imported = httpx.get(emu.url + "/_emulator/state").content
    with server(tmp_path) as emu:
        assert httpx.get(emu.url + "/_emulator/state").content == imported


def test_without_a_data_dir_nothing_touches_the_disk(tmp_path):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    emu = Emulator(mode="subprocess", clock="manual", now=NOW, startup_timeout=STARTUP)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with emu:
            emu.control.create_call("org_abc123")
    finally:
        os.chdir(old)
    assert list(cwd.iterdir()) == []


def run_cli(*args, stdin: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emulator", *args], input=stdin, capture_output=True, timeout=120, env={**os.environ, **(env or {})})


def test_a_data_dir_from_a_newer_version_is_refused_in_one_line(tmp_path):
    with server(tmp_path, clock="manual", now=NOW):
        pass
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute("PRAGMA user_version=99")
    r = run_cli("serve", "--port", "0", env={"CALL_EMULATOR_DATA_DIR": str(tmp_path)})
    assert r.returncode == 2
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "newer call-emulator" in lines[0], r.stderr


def test_a_data_dir_in_use_is_refused(tmp_path):
    with server(tmp_path, clock="manual", now=NOW):
        r = run_cli("serve", "--port", "0", "--data-dir", str(tmp_path))
    assert r.returncode == 2 and "in use by another call-emulator" in r.stderr.decode()


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    (tmp_path / "state.sqlite3").write_bytes(b"not a database, just text" * 100)
    r = run_cli("serve", "--port", "0", "--data-dir", str(tmp_path))
    assert r.returncode == 2 and "not a call-emulator database" in r.stderr.decode()


def test_export_and_import_commands(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    with server(a, clock="manual", now=NOW) as emu:
        ids = build_every_kind_of_state(emu)
        served = httpx.get(emu.url + "/_emulator/state").content
        # export reads a folder a server is using
        exported = run_cli("export", str(a))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == served
    imported = run_cli("import", str(b), stdin=exported.stdout)
    assert imported.returncode == 0, imported.stderr
    assert b"imported" in imported.stderr
    with server(b) as emu:
        assert httpx.get(emu.url + "/_emulator/state").content == served
        assert reads(emu, ids)["heppu list"][0] == 200
    # Bad input: one line, nothing stored changes.
    bad = run_cli("import", str(b), stdin=b'{"version": 1, "seed": "x"}')
    assert bad.returncode == 2 and len(bad.stderr.decode().strip().splitlines()) == 1
    assert run_cli("export", str(b)).stdout.strip() == served
    missing = run_cli("export", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no stored state" in missing.stderr.decode()
    assert not (tmp_path / "nothing").exists()


def test_serve_import_and_export_on_exit(tmp_path):
    with server(tmp_path / "a", clock="manual", now=NOW) as emu:
        build_every_kind_of_state(emu)
        served = httpx.get(emu.url + "/_emulator/state").content
    (tmp_path / "in.json").write_bytes(served)
    # No data dir: from a file, back to a file.
    with Emulator(mode="subprocess", startup_timeout=STARTUP, import_file=str(tmp_path / "in.json"), export_on_exit=str(tmp_path / "out.json")) as emu:
        assert httpx.get(emu.url + "/_emulator/state").content == served
    assert (tmp_path / "out.json").read_bytes() == served
    r = run_cli("serve", "--port", "0", "--import", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "missing.json" in r.stderr.decode()


def test_tenant_workspace_listing_survives(tmp_path):
    """A Trillet workspace created through the control plane opens with its
    key after a restart."""
    with server(tmp_path, clock="manual", now=NOW) as emu:
        ws = emu.control.create_tenant("trillet", name="WS")
        emu.control.create_call(ws.id)
        headers = {"x-api-key": ws.keys[0], "x-workspace-id": ws.id}
        before = httpx.get(emu.url + "/v2/api/call-history", headers=headers)
        kill(emu)
    with server(tmp_path) as emu:
        after = httpx.get(emu.url + "/v2/api/call-history", headers=headers)
    assert before.status_code == 200 and after.content == before.content
    assert TRILLET_WORKSPACE != ws.id


def test_retry_chains_go_on_after_a_restart(tmp_path):
    """Heppu retry chains are derived from the stored calls: a restarted
    server retries exactly as one that kept running."""

    def place(emu):
        http = httpx.Client(base_url=emu.url)
        for i in range(12):
            body = {"agentId": SUPPORT, "contactPhone": f"+150055500{2 + i % 2:02d}", "retryIntervals": ["5 minutes"], "maxRetries": 3}
            assert http.post("/api/v1/calls/schedule", headers=HEPPU, json=body).status_code == 201
        emu.control.advance("90s")
        r = http.get("/api/v1/calls?limit=100", headers=HEPPU)
        return len(r.json()["data"]["calls"])

    def later(emu):
        emu.control.advance("4h")
        return httpx.get(emu.url + "/api/v1/calls?limit=100&sortOrder=asc", headers=HEPPU).content

    with Emulator(mode="subprocess", clock="manual", now=NOW, startup_timeout=STARTUP) as emu:
        placed = place(emu)
        expected = later(emu)
    with server(tmp_path, clock="manual", now=NOW) as emu:
        place(emu)
        kill(emu)
    with server(tmp_path) as emu:
        assert later(emu) == expected
    assert len(json.loads(expected)["data"]["calls"]) > placed  # retries happened


def test_an_imported_state_keeps_retrying():
    from fastapi.testclient import TestClient

    from .conftest import make_app

    def chains(c):
        for i in range(6):
            body = {"agentId": SUPPORT, "contactPhone": "+15005550002", "retryIntervals": ["5 minutes"], "maxRetries": 3}
            assert c.post("/api/v1/calls/schedule", headers=HEPPU, json=body).status_code == 201
        c.post("/_emulator/clock/advance", json={"by": "90s"})
        c.get("/api/v1/calls", headers=HEPPU)

    def count_after(c):
        c.post("/_emulator/clock/advance", json={"by": "4h"})
        return len(c.get("/api/v1/calls?limit=100", headers=HEPPU).json()["data"]["calls"])

    with TestClient(make_app()) as kept, TestClient(make_app()) as moved:
        chains(kept)
        assert moved.put("/_emulator/state", json=kept.get("/_emulator/state").json()).status_code == 200
        assert count_after(moved) == count_after(kept) > 6 * 3


def test_the_data_dir_from_a_config_file(tmp_path):
    from emulator.settings import Settings

    config = tmp_path / "emulator.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\nexport_on_exit = "{tmp_path / "out.json"}"\n')
    settings = Settings.load(config)
    assert settings.data_dir == tmp_path / "data" and settings.export_on_exit == tmp_path / "out.json"
