"""The pytest plugin and emulator.testing.Emulator, for real: servers on free
ports, and the plugin's own suite run under pytest-xdist with two workers."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
import pytest

from emulator.testing import ControlError, Emulator

from .conftest import HEPPU, ROOT


def _plugin_installed() -> bool:
    from importlib.metadata import entry_points

    return any(ep.value == "emulator.testing.plugin" for ep in entry_points(group="pytest11"))


def run_pytest(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # Installed, the package registers the plugin itself; from a bare checkout, load it by name.
    load = [] if _plugin_installed() else ["-p", "emulator.testing.plugin"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *load, "-p", "no:cacheprovider", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_plugin_suite_and_readme_example_pass_under_xdist():
    r = run_pytest("-n", "2", "plugin_tests", "examples")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "bringing up nodes" in r.stdout  # really under xdist
    passed = int(re.search(r"(\d+) passed", r.stdout).group(1))
    assert passed == 15 and "failed" not in r.stdout


def test_plugin_reports_a_wrong_expectation(tmp_path):
    (tmp_path / "test_wrong.py").write_text(
        "def test_wrong(emulator_tenant):\n"
        "    call = emulator_tenant.create_call('heppu', contactPhone='+15005550002')\n"
        "    emulator_tenant.advance('10s')\n"
        "    assert emulator_tenant.call(call.id).snapshot.status == 'completed'\n"
    )
    r = run_pytest("-n", "2", str(tmp_path / "test_wrong.py"))
    assert r.returncode == 1 and "1 failed" in r.stdout and "'busy' == 'completed'" in r.stdout


@pytest.mark.parametrize("mode", ["thread", "subprocess"])
def test_emulator_starts_serves_and_stops(mode):
    with Emulator(mode=mode, clock="manual", now="2025-12-01T15:30:10Z") as emu:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emu.url)
        data = httpx.get(emu.heppu_url + "/api/v1/calls/call_def456", headers=HEPPU).json()["data"]
        assert data["status"] == "active"
        emu.control.advance("10m")
        assert httpx.get(emu.heppu_url + "/api/v1/calls/call_def456", headers=HEPPU).json()["data"]["status"] == "completed"
        url = emu.url
    with pytest.raises(httpx.HTTPError):
        httpx.get(url + "/_emulator/health", timeout=2)


def test_emulator_with_a_token_and_attaching_by_url():
    with Emulator(token="t0ken") as emu:
        assert emu.control.clock().tenant is None
        with Emulator(url=emu.url) as without:
            with pytest.raises(ControlError) as err:
                without.control.clock()
            assert err.value.status == 401
        with Emulator(url=emu.url, token="t0ken") as attached:
            tenant = attached.control.create_tenant("heppu")
        assert emu.control.tenant(tenant.id).id == tenant.id  # attaching started nothing new
