"""`call-emulator` as a person starts it: the default configuration serves
the README's writes, and every refusal is one line with exit status 2."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
import pytest

from .conftest import ROOT

CLI = [sys.executable, "-m", "emulator"]


def cli(*args, env=None, timeout=60):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout, env={**os.environ, **(env or {})}, cwd=ROOT)


@contextmanager
def started(*args, env=None):
    """`call-emulator serve ARGS` on a port it chose; yields (base URL, banner)."""
    proc = subprocess.Popen([*CLI, "serve", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env={**os.environ, **(env or {})}, cwd=ROOT)
    try:
        banner = proc.stdout.readline()
        port = re.search(r"http://127\.0\.0\.1:(\d+)", banner)
        assert port, (banner, proc.stderr.read() if proc.poll() is not None else "")
        base = f"http://127.0.0.1:{port.group(1)}"
        deadline = time.monotonic() + 30
        while True:  # readiness, not a timed assertion
            try:
                if httpx.get(base + "/_emulator/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        yield base, banner
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_the_default_serve_answers_the_readmes_writes():
    """Realtime clock and demo traffic, as `call-emulator serve` runs; the
    README's outbound and schedule requests on one kept-alive connection."""
    with started() as (base, _), httpx.Client(base_url=base, headers={"x-api-key": "YOUR_API_KEY"}) as http:
        out = http.post("/api/v1/calls/outbound", json={"agentId": "550e8400-e29b-41d4-a716-446655440000", "phoneNumber": "+14155550123"})
        assert out.status_code == 201, out.text
        body = {
            "agentId": "550e8400-e29b-41d4-a716-446655440000",
            "contactPhone": "+14155552671",
            "contactName": "John Doe",
            "scheduledAt": "2999-12-01T15:40:10Z",
            "maxRetries": 2,
            "retryIntervals": ["30 minutes"],
        }
        sched = http.post("/api/v1/calls/schedule", json=body)
        assert sched.status_code == 201 and sched.json()["data"]["status"] == "scheduled", sched.text
        for call_id in (out.json()["data"]["id"], sched.json()["data"]["id"]):
            assert http.get(f"/api/v1/calls/{call_id}").status_code == 200
        cancel = http.delete(f"/api/v1/calls/{sched.json()['data']['id']}")
        assert cancel.status_code == 200 and cancel.json()["data"]["status"] == "cancelled"
        trillet = http.post(
            "/v1/api/call",
            headers={"x-workspace-id": "69cf4b468d2a8a6a8e39b684"},
            json={"to": "+14155550123", "call_agent_id": "a1b2c3d4e5f6a7b8c9d0e1f2", "dynamic_variables": {"firstName": "Ada"}},
        )
        assert trillet.status_code == 200, trillet.text


def test_a_json_log_format_makes_the_banner_json():
    with started("--log-format", "json", "--no-demo") as (base, banner):
        line = json.loads(banner)
        assert line["level"] == "info" and line["url"] == base and base in line["message"]


def one_line_refusal(result, *needles):
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("call-emulator") and "Traceback" not in result.stderr and "further information" not in result.stderr
    assert "running on" not in result.stdout and result.stdout.strip() == "", result.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "args, env, needle",
    [
        (["--now", "yesterday"], {}, "now: 'yesterday'"),
        (["--now", "2025-13-45T99:00:00Z"], {}, "now: '2025-13-45T99:00:00Z'"),
        ([], {"CALL_EMULATOR_NOW": "garbage"}, "now: 'garbage'"),
        (["--log-level", "loud"], {}, "log_level"),
        (["--tenants", "no/such/tenants.json"], {}, "tenants"),
        (["--fixtures", "no/such/folder"], {}, "fixtures"),
        (["--seed", "-3"], {}, "seed: Input should be greater than or equal to 0"),
        (["--speed", "0"], {}, "speed"),
    ],
    ids=["now-word", "now-impossible", "now-env", "log-level", "tenants", "fixtures", "seed", "speed"],
)
def test_bad_settings_are_one_line(args, env, needle):
    one_line_refusal(cli("serve", *args, env=env), "invalid settings", needle)


@pytest.mark.parametrize("suffix, text", [(".yaml", "port: [1\n  bad: :"), (".toml", "port = [")])
def test_a_malformed_config_file_is_one_line(tmp_path, suffix, text):
    config = tmp_path / f"emulator{suffix}"
    config.write_text(text)
    one_line_refusal(cli("serve", "--config", str(config)), "cannot read config file")


def test_a_port_in_use_is_one_line_and_no_banner():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_line_refusal(cli("serve", "--port", str(port)), f"cannot listen on 127.0.0.1:{port}")


def test_fuzz_without_the_test_extra_says_what_to_install():
    code = "import sys; sys.modules['schemathesis'] = None; from emulator.cli import main; sys.exit(main(['fuzz']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60, cwd=ROOT)
    one_line_refusal(result, "needs the test extra", "pip install -e '.[test]'")


def _docker(instruction: str) -> str:
    """A Dockerfile instruction's argument, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return next(line.split(None, 1)[1] for line in text.splitlines() if line.startswith(instruction + " "))


def test_the_dockerfile_is_configured_through_the_environment():
    """The image's CMD takes host and port from CALL_EMULATOR_*, and its
    health check asks the port the server listens on."""
    cmd = json.loads(_docker("CMD"))
    assert cmd[:2] == ["call-emulator", "serve"] and not {"--host", "--port"} & set(cmd)
    env = _docker("ENV")
    assert "CALL_EMULATOR_HOST=0.0.0.0" in env and "CALL_EMULATOR_PORT=8000" in env
    check = shlex.split(_docker("HEALTHCHECK").split(" CMD ", 1)[1])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve_env = {"CALL_EMULATOR_HOST": "127.0.0.1", "CALL_EMULATOR_PORT": str(port)}
    proc = subprocess.Popen([*CLI, *cmd[1:]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env={**os.environ, **serve_env}, cwd=ROOT, text=True)
    try:
        assert f"127.0.0.1:{port}" in proc.stdout.readline()
        deadline = time.monotonic() + 30
        while True:  # readiness: the health check itself, until it passes
            health = subprocess.run([sys.executable if a == "python" else a for a in check], env={**os.environ, **serve_env}, capture_output=True, timeout=30)
            if health.returncode == 0:
                break
            assert proc.poll() is None and time.monotonic() < deadline, health.stderr
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
