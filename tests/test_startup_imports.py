"""Start-up imports what serving the vendor APIs needs: a server that has
answered vendor GETs has not loaded the control plane (its faults, journal
and webhooks routes included), LiveKit's service or its token signing,
Faker, the spec builder or the contract tooling; each loads with its first
use and then answers as before. `call-emulator serve` builds the app with
the cyclic collector off and freezes what it built before serving."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import jwt

from emulator.testing import Emulator

from .conftest import HEPPU, TRILLET

LATER = ["emulator.control.routes", "emulator.control.faults", "emulator.control.journal", "emulator.control.webhooks",
         "emulator.providers.livekit.service", "emulator.providers.livekit.auth", "jwt", "google.protobuf", "livekit.protocol.room",
         "faker", "emulator.contracts", "schemathesis"]
# The CLI's parser lists the contract commands (emulator.contracts.cli, argparse only); their tooling loads when run.
SERVE_LATER = [m for m in LATER if m != "emulator.contracts"] + [
    f"emulator.contracts.{m}" for m in ("contract", "drift", "fuzz", "record", "selfcheck", "spec")]

CODE = """
import json, sys, time
from emulator.cli import main  # what `python -m emulator serve` imports first
from emulator.app import create_app
from emulator.settings import Settings
from fastapi.testclient import TestClient

app = create_app(Settings(demo=False, clock="manual", now="2025-12-01T15:30:10Z"))
with TestClient(app) as c:
    assert c.get("/api/v1/calls/call_abc123", headers={"x-api-key": "YOUR_API_KEY"}).status_code == 200
    assert c.get("/api/v1/calls?limit=5", headers={"x-api-key": "YOUR_API_KEY"}).status_code == 200
    loaded = {m: m in sys.modules for m in %r}
    assert c.get("/_emulator/health").json() == {"status": "ok"}
    after = "emulator.control.routes" in sys.modules
print(json.dumps({"loaded": loaded, "control_after": after}))
"""


def test_serving_vendor_reads_loads_nothing_it_does_not_need():
    out = subprocess.run([sys.executable, "-c", CODE % LATER], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL, timeout=120)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert [m for m, loaded in got["loaded"].items() if loaded] == []
    assert got["control_after"]


# `call-emulator serve` up to the point where uvicorn would start serving.
SERVE = """
import gc, importlib.util, json, sys
import uvicorn

seen = {}
collections = []

def run(self, sockets=None):
    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count(), collections=len(collections),
                loaded=[m for m in %r if m in sys.modules], h11="h11" in sys.modules,
                httptools=importlib.util.find_spec("httptools") is not None)

uvicorn.Server.run = run
from emulator.cli import main  # light: what serving needs is imported by main

gc.collect()
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))

assert main(["serve", "--no-demo", "--port", "0"]) == 0
print(json.dumps(seen))
"""


def test_serve_builds_the_app_with_the_collector_off_and_loads_only_what_serving_needs():
    out = subprocess.run([sys.executable, "-c", SERVE % SERVE_LATER], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL, timeout=120)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["loaded"] == []
    if got["httptools"]:
        assert not got["h11"], "h11 is imported although httptools serves"
    # Not one collection while the CLI imported and built the app; what it
    # built is frozen, and the collector is back on for the server.
    assert got["collections"] == 0
    assert got["frozen"] > 50_000
    assert got["enabled"]


def test_what_loads_on_first_use_answers_on_a_running_server():
    with Emulator(clock="manual", now="2025-12-01T15:30:10Z") as emu, httpx.Client(base_url=emu.url, timeout=10) as http:
        # The control plane's first request, then a generated call (Faker's tables), then LiveKit's Twirp service.
        assert http.get("/_emulator/tenants").status_code == 200
        placed = http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": "550e8400-e29b-41d4-a716-446655440000",
                                                                          "phoneNumber": "+14155550123"})
        assert placed.status_code == 201, placed.text
        assert http.get(f"/api/v1/calls/{placed.json()['data']['id']}", headers=HEPPU).status_code == 200
        twirp = http.post("/twirp/livekit.RoomService/ListRooms", json={}, headers={"content-type": "application/json"})
        assert twirp.status_code == 401 and twirp.json()["code"] == "unauthenticated"
        assert http.get("/v2/api/active-calls", headers=TRILLET).status_code == 200
        # A web call's room token (LiveKit's signing), then the fault and journal routes.
        web = http.post("/v1/api/calls/web/connect", headers=TRILLET, json={"agentId": "a1b2c3d4e5f6a7b8c9d0e1f2", "mode": "voice"})
        assert web.status_code == 200, web.text
        assert jwt.decode(web.json()["token"], options={"verify_signature": False})["video"]["room"] == web.json()["roomName"]
        fault = http.post("/_emulator/faults", json={"vendor": "heppu", "route": "/api/v1/calls", "status": 503, "times": 1})
        assert fault.status_code == 201, fault.text
        assert http.get("/api/v1/calls", headers=HEPPU).status_code == 503
        journal = http.get("/_emulator/journal", params={"status": 503}).json()
        assert [(e["path"], e["fault"]) for e in journal["entries"]] == [("/api/v1/calls", fault.json()["id"])]
