"""What the dashboard needs from the server, over real HTTP: the page and its
assets, the redirect from /, the vendor view of a call, removing the agent
from the control plane. (The page itself is tested in test_dashboard.py.)"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import httpx
import pytest

from emulator.control.ui import UI_DIR
from emulator.testing import Emulator

ROOT = Path(__file__).resolve().parents[1]
# An import, script, stylesheet, font or fetch from another host.
REMOTE = re.compile(r"""(from|import\(|src=|href=|url\(|fetch\()\s*["']?(https?:)?//""")
NOW = "2025-12-01T15:30:10Z"
HEPPU = {"x-api-key": "YOUR_API_KEY"}
TRILLET_WS = "69cf4b468d2a8a6a8e39b684"
TRILLET = {"x-api-key": "YOUR_API_KEY", "x-workspace-id": TRILLET_WS}


@pytest.fixture(scope="module")
def emu():
    with Emulator(clock="manual", now=NOW) as emu:
        yield emu


def test_the_page_and_its_assets_are_served_from_the_package(emu):
    page = httpx.get(emu.url + "/_emulator/ui/")
    assert not REMOTE.search(page.text)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    for asset in ["style.css", *(f"js/{p.name}" for p in (UI_DIR / "js").glob("*.js"))]:
        r = httpx.get(f"{emu.url}/_emulator/ui/{asset}")
        assert r.status_code == 200, asset
        assert not REMOTE.search(r.text), f"{asset} loads something from the network"
    assert httpx.get(emu.url + "/_emulator/ui/js/app.js").headers["content-type"].startswith("text/javascript")
    assert httpx.get(emu.url + "/_emulator/ui/nope.js").status_code == 404


def test_every_asset_ships_in_the_package():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["emulator.control"]
    files = [p.relative_to(UI_DIR.parent).as_posix() for p in UI_DIR.rglob("*") if p.is_file()]
    assert files and all(any(fnmatch(f, pat) for pat in patterns) for f in files), files


def test_a_browser_asking_for_root_is_sent_to_the_dashboard(emu):
    r = httpx.get(emu.url + "/", headers={"accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 307 and r.headers["location"] == "/_emulator/ui/"
    assert httpx.get(emu.url + "/_emulator/ui", follow_redirects=True).url.path == "/_emulator/ui/"
    # A client asking for JSON still gets the control plane's 404.
    r = httpx.get(emu.url + "/", headers={"accept": "application/json"})
    assert r.status_code == 404 and r.json() == {"error": {"message": "Not found", "code": 404}}


def test_vendor_view_is_what_the_vendor_get_answers_now():
    with Emulator(clock="manual", now=NOW) as emu:
        heppu = emu.control.create_call("org_abc123", contactPhone="+15005550008")
        trillet = emu.control.create_call(TRILLET_WS, contactPhone="+15005550008")
        emu.control.advance("30s")
        emu.control.add_fault(route="/api/v1/calls/{callId}", status=500)  # not applied to the view
        emu.control.clear_journal()

        view = httpx.get(f"{emu.url}/_emulator/calls/{heppu.id}/vendor").json()
        assert view["vendor"] == "heppu" and view["now"] == "2025-12-01T15:30:40.000Z"
        [read] = view["reads"]
        assert (read["operationId"], read["path"], read["status"]) == ("getCall", f"/api/v1/calls/{heppu.id}", 200)
        assert emu.control.journal().total == 0, "the view is not a client's request"
        emu.control.clear_faults()
        direct = httpx.get(f"{emu.url}/api/v1/calls/{heppu.id}", headers=HEPPU).json()
        assert read["body"] == direct and list(read["body"]["data"]) == list(direct["data"])

        live, history = httpx.get(f"{emu.url}/_emulator/calls/{trillet.id}/vendor").json()["reads"]
        assert live["path"] == f"/v2/api/active-calls/{trillet.plan.room}"
        assert live["body"] == httpx.get(emu.url + live["path"], headers=TRILLET).json()
        assert history["body"] == httpx.get(f"{emu.url}/v2/api/call-history/{trillet.id}", headers=TRILLET).json()
        assert history["body"]["status"] == "active"

        emu.control.act(trillet.id, "hangup")
        live, history = httpx.get(f"{emu.url}/_emulator/calls/{trillet.id}/vendor").json()["reads"]
        assert live["status"] == 404 and live["body"]["error"] == "Not Found"
        assert history["body"]["status"] == "completed"

        r = httpx.get(f"{emu.url}/_emulator/calls/call_nope/vendor")
        assert r.status_code == 404 and r.json()["error"]["message"] == "No call with id call_nope"


def test_vendor_view_needs_the_control_token():
    with Emulator(clock="manual", now=NOW, token="t0ken") as emu:
        assert httpx.get(f"{emu.url}/_emulator/calls/call_abc123/vendor").status_code == 401
        ok = httpx.get(f"{emu.url}/_emulator/calls/call_abc123/vendor", headers={"x-emulator-token": "t0ken"})
        assert ok.status_code == 200 and ok.json()["reads"][0]["body"]["data"]["status"] == "completed"


@pytest.mark.parametrize("tenant", ["org_abc123", TRILLET_WS])
def test_remove_agent_action_hands_the_call_to_a_human(tenant):
    with Emulator(clock="manual", now=NOW) as emu:
        call = emu.control.create_call(tenant, contactPhone="+15005550008")
        with pytest.raises(Exception, match="only an active call"):
            emu.control.act(call.id, "remove_agent")
        emu.control.advance("30s")
        before = emu.control.call(call.id).snapshot
        out = emu.control.act(call.id, "remove_agent")
        agent = next(p for p in out.snapshot.participants if p.kind == "agent")
        assert agent.muted and [iv.kind for iv in out.interventions] == ["mute"]
        emu.control.advance("2m")
        after = emu.control.call(call.id).snapshot
        assert "human" in {t.role for t in after.transcript}, "the handover script speaks"
        assert not any(t.role == "agent" and t.at > out.snapshot.now for t in after.transcript)
        assert len(after.transcript) > len(before.transcript)
        r = httpx.post(f"{emu.url}/_emulator/calls/{call.id}/actions", json={"action": "remove_agent"})
        assert r.status_code == 409 and "no agent left" in r.json()["error"]["message"]


def test_serve_prints_the_dashboard_address():
    from emulator.testing.server import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--no-demo", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        while not lines or ("Dashboard:" not in lines[-1] and lines[-1] and len(lines) < 20):
            lines.append(proc.stdout.readline())
        url = lines[-1].split("Dashboard:")[1].strip()
        assert url == f"http://127.0.0.1:{port}/_emulator/ui/"
        deadline = time.monotonic() + 20
        while True:
            try:
                page = httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "serve did not start"
                time.sleep(0.05)
        assert page.status_code == 200 and "<title>call-emulator dashboard</title>" in page.text
    finally:
        proc.terminate()
        proc.wait(10)
