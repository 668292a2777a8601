"""Start-up imports what serving the vendor APIs needs: a server that has
answered vendor GETs has not loaded the control plane, LiveKit's service,
Faker, the spec builder or the contract tooling; each loads with its first
use and then answers as before."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from emulator.testing import Emulator

from .conftest import HEPPU, TRILLET

LATER = ["emulator.control.routes", "emulator.providers.livekit.service", "livekit.protocol.room", "faker",
         "emulator.contracts", "schemathesis"]

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
