"""The emulator's hot path beside Python's ceiling, measured in one run.

    python bench/hot_path.py [--trials 3] [--duration 3] [--connections 50]

Starts, in this same environment, the emulator (`python -m emulator serve`,
as users run it, manual clock) and a bare ASGI callable under the same
uvicorn that answers every path with the bytes the emulator answered there.
Each server is pinned to core 0 (taskset) and loaded by wrk pinned to core 1,
50 connections, in short alternating trials (the machine is shared: ratios
of the two sides in one run are the figures to read, not absolute rates).

Cases: GET Heppu call (call_abc123, the docs' completed call), GET Trillet
active call (call-abc123, live under the workspace's own frozen clock),
Heppu list (50 per page), Trillet active list, the creation rate of
POST /api/v1/calls/outbound (against the bare server's GET rate), and
start-up to the first 200 of GET call. Start-up is also measured for a
one-route FastAPI app under the same uvicorn (importing FastAPI is the
floor of any FastAPI server's start-up) and for what the emulator's first
GET needs but FastAPI (its settings, core and models, serving the same
call's bytes): how far serving without FastAPI would bring it. Creation
is also measured with every call's plan copied from one drawn plan instead
of drawn (the ceiling of any generator). The emulator's modules are
byte-compiled first, as `pip install` leaves them (an environment with
PYTHONDONTWRITEBYTECODE would otherwise compile them on every start).

Needs wrk: `apt-get install -y wrk` (Debian/Ubuntu), `brew install wrk` (macOS).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEPPU = {"x-api-key": "YOUR_API_KEY"}
WORKSPACE = "69cf4b468d2a8a6a8e39b684"
TRILLET = {"x-api-key": "YOUR_API_KEY", "x-workspace-id": WORKSPACE}
NOW = "2025-12-01T15:30:10Z"
TRILLET_NOW = "2024-06-01T10:02:00Z"  # call-abc123 is live then
AGENT = "550e8400-e29b-41d4-a716-446655440000"
TRILLET_AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"
MULTI = os.cpu_count() is not None and os.cpu_count() > 1 and shutil.which("taskset") is not None
SERVER_PIN = ["taskset", "-c", "0"] if MULTI else []
LOAD_PIN = ["taskset", "-c", "1"] if MULTI else []

# (name, method, path, headers, body)
CASES = [
    ("GET Heppu call", "GET", "/api/v1/calls/call_abc123", HEPPU, None),
    ("GET Trillet active call", "GET", "/v2/api/active-calls/call-abc123", TRILLET, None),
    ("Heppu list (50/page)", "GET", "/api/v1/calls?limit=50", HEPPU, None),
    ("Trillet active list", "GET", "/v2/api/active-calls", TRILLET, None),
]
CREATE = ("POST Heppu outbound", "POST", "/api/v1/calls/outbound", {**HEPPU, "content-type": "application/json"},
          json.dumps({"agentId": AGENT, "phoneNumber": "+14155550123"}))

# The least a FastAPI server starts with: one route, the same bytes.
FASTAPI_FLOOR = '''
import json, sys
from fastapi import FastAPI, Response
bodies = json.load(open(sys.argv[1]))
app = FastAPI()
@app.get("/api/v1/calls/{call_id}")
async def get_call(call_id: str):
    return Response(bodies.get("/api/v1/calls/" + call_id, "{}").encode("latin-1"), media_type="application/json")
import uvicorn
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
'''

# What the emulator's first GET needs but FastAPI: its settings, its core
# (engine, fixtures, persistence), both vendors' models and Heppu's
# rendering, under the same uvicorn. The provider packages' route modules
# import FastAPI, so their packages are stood in for by bare namespaces. A
# measure of how far serving without FastAPI would bring start-up.
NO_FASTAPI = '''
import gc, os, sys, types
gc.disable()
import uvicorn
import emulator
from emulator.settings import Settings
base = os.path.dirname(emulator.__file__)
for name in ("emulator.providers", "emulator.providers.heppu", "emulator.providers.trillet"):
    module = types.ModuleType(name)
    module.__path__ = [os.path.join(base, *name.split(".")[1:])]
    sys.modules[name] = module
from emulator.providers.heppu import models, render
from emulator.providers.trillet import models as trillet_models
import emulator.persist
from emulator.core.clock import Clock
from emulator.core.engine import Engine
from emulator.core.fixtures import default_dir, load_calls
from emulator.core.generate import load_scripts
from emulator.core.tenants import Tenants
from emulator.core.timeutil import parse_instant
settings = Settings(demo=False, clock="manual", now="%s")
folder = default_dir()
engine = Engine(seed=settings.seed, clock=Clock("manual", now=parse_instant(settings.now)), tenants=Tenants.load(folder / "tenants.json"),
                scripts=load_scripts(folder / "scripts"), fixture_calls=load_calls(folder / "calls.json"))
assert "fastapi" not in sys.modules

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    snap = engine.store.get("call_abc123").at(engine.now("org_abc123"))
    body = models.CallResponse(data=render.call(snap)).model_dump_json().encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

gc.freeze()
gc.enable()
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
''' % NOW

# The emulator with every call's plan copied from one drawn plan (a fresh
# id and instants), not drawn: what creating a call costs with drawing
# free, the ceiling of any generator. The rest is the same `serve`.
FREE_PLANS = '''
import dataclasses, itertools, sys
from emulator.core import generate
from emulator.core.plan import CallPlan
from emulator.cli import main
NAMES = [f.name for f in dataclasses.fields(CallPlan)]
drawn, numbers, real = {}, itertools.count(), generate.Generator.plan

def plan(self, **kw):
    first = drawn.get(kw["style"])
    if first is None:
        first = drawn[kw["style"]] = real(self, **kw)
    at = kw["created_at"]
    changed = {"id": "call_%012d" % next(numbers), "created_at": at, "start_at": at + first.start_at - first.created_at,
               "seed_index": kw["index"]}
    copy = object.__new__(CallPlan)
    for name in NAMES:
        object.__setattr__(copy, name, changed.get(name, getattr(first, name)))
    return copy

generate.Generator.plan = plan
sys.exit(main(sys.argv[1:]))
'''

BARE = '''
import json, sys
bodies = {k.encode(): v.encode("latin-1") for k, v in json.load(open(sys.argv[1])).items()}
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = bodies.get(scope["raw_path"] + (b"?" + scope["query_string"] if scope["query_string"] else b""), b"{}")
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
import uvicorn
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
'''


def need_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("bench/hot_path.py needs wrk on PATH: `apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk` (macOS)")
    return wrk


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, headers: dict, body: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def first_200(port: int, proc: subprocess.Popen, path: str, headers: dict, timeout: float = 60.0) -> None:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if request(port, "GET", path, headers)[0] == 200:
                return
        except OSError:
            time.sleep(0.002)
    raise SystemExit("server never answered 200")


SERVE_ARGS = ["serve", "--no-demo", "--clock", "manual", "--now", NOW]


def emulator_cmd(port: int, script: str | None = None) -> list[str]:
    """`python -m emulator serve ...`, or the same arguments given to `script`."""
    return [sys.executable, *([script] if script else ["-m", "emulator"]), *SERVE_ARGS, "--port", str(port)]


def bare_cmd(port: int, bodies_file: str, script: str) -> list[str]:
    return [sys.executable, script, bodies_file, str(port)]


def start(cmd: list[str], port: int) -> tuple[subprocess.Popen, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(SERVER_PIN + cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_200(port, proc, CASES[0][2], CASES[0][3])
    return proc, time.perf_counter() - t0


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait()


def prepare(port: int) -> None:
    """60 Heppu calls for a full page; the workspace's clock frozen where
    call-abc123 is live, with 10 more live calls beside it."""
    for i in range(60):
        status, _ = request(port, "POST", CREATE[2], CREATE[3], json.dumps({"agentId": AGENT, "phoneNumber": f"+1415555{i:04d}"}))
        assert status == 201, status
    ws = f"/_emulator/tenants/{WORKSPACE}/clock"
    js = {"content-type": "application/json"}
    assert request(port, "PUT", ws, js, json.dumps({"mode": "manual", "now": "2024-06-01T10:01:30Z"}))[0] == 200
    for i in range(10):
        body = json.dumps({"to": f"+1415555{i:04d}", "call_agent_id": TRILLET_AGENT})
        assert request(port, "POST", "/v1/api/call", {**TRILLET, **js}, body)[0] in (200, 201)
    assert request(port, "PUT", ws, js, json.dumps({"mode": "manual", "now": TRILLET_NOW}))[0] == 200


def lua(method: str, headers: dict, body: str | None) -> str:
    lines = [f'wrk.method = "{method}"'] + [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    if body is not None:
        lines.append("wrk.body = " + json.dumps(body))
    return "\n".join(lines) + "\n"


def cpu_seconds(pid: int) -> float | None:
    """The process's CPU time so far (user + system; Linux), else None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port: int, case: tuple, duration: float, connections: int, pid: int | None = None) -> dict:
    """One trial; with the server's `pid`, also its CPU time per request
    (what the machine's other load does not change much, unlike the rate)."""
    _, method, path, headers, body = case
    before = cpu_seconds(pid) if pid is not None else None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua(method, headers, body))
    try:
        out = subprocess.run(
            LOAD_PIN + [need_wrk(), "-t1", f"-c{connections}", f"-d{int(duration)}s", "--latency", "-s", f.name, f"http://127.0.0.1:{port}{path}"],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    after = cpu_seconds(pid) if pid is not None else None
    count = int(re.search(r"(\d+) requests in", out).group(1))
    cpu = (after - before) / count * 1e6 if before is not None and after is not None and count else float("nan")
    return {"rps": rps, "p50": float(p50.group(1)) * unit[p50.group(2)], "p99": float(p99.group(1)) * unit[p99.group(2)],
            "errors": int(non2xx.group(1)) if non2xx else 0, "cpu": cpu}


def median_of(rows: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--duration", type=int, default=3, help="seconds per wrk trial")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--startups", type=int, default=5)
    ap.add_argument("--only", help="run only cases whose name contains this")
    args = ap.parse_args()
    need_wrk()
    tmp = tempfile.mkdtemp(prefix="hot_path_")
    bare_script = os.path.join(tmp, "bare.py")
    with open(bare_script, "w") as f:
        f.write(BARE)

    emu_port, bare_port = free_port(), free_port()
    emu, _ = start(emulator_cmd(emu_port), emu_port)
    try:
        prepare(emu_port)
        bodies = {}
        for name, method, path, headers, _ in CASES:
            status, body = request(emu_port, method, path, headers)
            assert status == 200, (name, status, body[:200])
            bodies[path] = body.decode("latin-1")
        bodies_file = os.path.join(tmp, "bodies.json")
        with open(bodies_file, "w") as f:
            json.dump(bodies, f)
        bare, _ = start(bare_cmd(bare_port, bodies_file, bare_script), bare_port)
        try:
            cases = [c for c in CASES if not args.only or args.only.lower() in c[0].lower()]
            print(f"wrk, {args.connections} connections, {args.duration:g} s x {args.trials} trials (medians), "
                  f"servers pinned to core 0: {MULTI}")
            print("ratio: emulator / bare req/s; by CPU: bare / emulator server CPU per request (steadier on a shared machine)")
            print(f"{'case':26} {'bytes':>6} {'emulator req/s':>15} {'p99 ms':>7} {'cpu us':>7} {'bare req/s':>11} {'p99 ms':>7} {'cpu us':>7} {'ratio':>6} {'by CPU':>7}")
            for case in cases:
                emu_rows, bare_rows = [], []
                wrk(emu_port, case, 1, args.connections)  # warm up
                for _ in range(args.trials):
                    emu_rows.append(wrk(emu_port, case, args.duration, args.connections, emu.pid))
                    bare_rows.append(wrk(bare_port, case, args.duration, args.connections, bare.pid))
                e, b = median_of(emu_rows), median_of(bare_rows)
                bad = f"  ({int(e['errors'])} non-2xx!)" if e["errors"] else ""
                print(f"{case[0]:26} {len(bodies[case[2]]):6d} {e['rps']:15.0f} {e['p99']:7.1f} {e['cpu']:7.1f} {b['rps']:11.0f} {b['p99']:7.1f} "
                      f"{b['cpu']:7.1f} {e['rps'] / b['rps']:6.2f} {b['cpu'] / e['cpu']:7.2f}{bad}")
                if case is CASES[0]:
                    get_rate, bare_get, get_cpu = e["rps"], b["rps"], e["cpu"]
            if not args.only or args.only.lower() in CREATE[0].lower():
                rows = [wrk(emu_port, CREATE, args.duration, args.connections, emu.pid) for _ in range(args.trials)]
                c = median_of(rows)
                bad = f"  ({int(c['errors'])} non-2xx!)" if c["errors"] else ""
                line = f"{CREATE[0]:26} {'':6} {c['rps']:15.0f} {c['p99']:7.1f} {c['cpu']:7.1f}"
                if not args.only:
                    line += (f"   creation / emulator GET call {c['rps'] / get_rate:.2f} (by CPU {get_cpu / c['cpu']:.2f}), "
                             f"/ bare GET {c['rps'] / bare_get:.2f}")
                print(line + bad)
                if not args.only:
                    copy_port = free_port()
                    free_script = os.path.join(tmp, "free_plans.py")
                    with open(free_script, "w") as f:
                        f.write(FREE_PLANS)
                    free, _ = start(emulator_cmd(copy_port, free_script), copy_port)
                    try:
                        wrk(copy_port, CREATE, 1, args.connections)  # warm up
                        c = median_of([wrk(copy_port, CREATE, args.duration, args.connections, free.pid) for _ in range(args.trials)])
                    finally:
                        stop(free)
                    bad = f"  ({int(c['errors'])} non-2xx!)" if c["errors"] else ""
                    print(f"{'  plans copied, not drawn':26} {'':6} {c['rps']:15.0f} {c['p99']:7.1f} {c['cpu']:7.1f}   "
                          f"creation / emulator GET call {c['rps'] / get_rate:.2f} (by CPU {get_cpu / c['cpu']:.2f}): "
                          f"the ceiling of any generator{bad}")
        finally:
            stop(bare)
    finally:
        stop(emu)

    if args.startups:
        subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "emulator")], check=True, stdout=subprocess.DEVNULL)
        floor_script = os.path.join(tmp, "fastapi_floor.py")
        with open(floor_script, "w") as f:
            f.write(FASTAPI_FLOOR)
        lean_script = os.path.join(tmp, "no_fastapi.py")
        with open(lean_script, "w") as f:
            f.write(NO_FASTAPI)
        emu_t, bare_t, floor_t, lean_t = [], [], [], []
        for _ in range(args.startups):
            p = free_port()
            proc, t = start(emulator_cmd(p), p)
            stop(proc)
            emu_t.append(t)
            p = free_port()
            proc, t = start(bare_cmd(p, bodies_file, bare_script), p)
            stop(proc)
            bare_t.append(t)
            p = free_port()
            proc, t = start(bare_cmd(p, bodies_file, floor_script), p)
            stop(proc)
            floor_t.append(t)
            p = free_port()
            proc, t = start(bare_cmd(p, bodies_file, lean_script), p)
            stop(proc)
            lean_t.append(t)
        e, b, fl, ln = (statistics.median(x) for x in (emu_t, bare_t, floor_t, lean_t))
        print(f"{'start-up to first 200':26} {'':6} {e:14.2f}s {'':7} {b:10.2f}s {'':7} {e / b:6.2f}  (emulator / bare, medians of {args.startups})")
        print(f"{'  one-route FastAPI app':26} {'':6} {fl:14.2f}s {'':7} {b:10.2f}s {'':7} {fl / b:6.2f}  (the floor of a FastAPI server's start-up)")
        print(f"{'  emulator without FastAPI':26} {'':6} {ln:14.2f}s {'':7} {b:10.2f}s {'':7} {ln / b:6.2f}  (settings, core, models, no routes)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
