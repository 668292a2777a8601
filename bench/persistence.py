"""What a data dir costs: calls created per second through the API with and
without one, and start-up time with 100,000 stored calls (as the change log
a running server writes, and as one baseline after `call-emulator import`).

    python bench/persistence.py [--creates 500] [--connections 8] [--stored 100000]

The server runs in its own process (pinned to one core with taskset when
available); the load comes from this process over loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HEADERS = {"x-api-key": "YOUR_API_KEY"}
AGENT = "550e8400-e29b-41d4-a716-446655440000"
PIN = ["taskset", "-c", "0"] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    cmd = [*PIN, sys.executable, "-m", "emulator", "serve", "--no-demo", "--clock", "manual", "--port", str(port), "--log-level", "warning", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/_emulator/ready", timeout=0.5).status_code == 200:
                return proc, base, time.perf_counter() - t0
        except httpx.TransportError:
            time.sleep(0.005)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait()


async def create_calls(base: str, n: int, connections: int) -> float:
    """Calls created per second through POST /api/v1/calls/outbound."""
    body = {"agentId": AGENT, "phoneNumber": "+14155550199"}
    async with httpx.AsyncClient(base_url=base, headers=HEADERS, limits=httpx.Limits(max_connections=connections)) as http:
        todo = iter(range(n))

        async def worker():
            for _ in todo:
                r = await http.post("/api/v1/calls/outbound", json=body)
                assert r.status_code == 201, r.text

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return n / (time.perf_counter() - t0)


def populate(data_dir: Path, stored: int, generated: int = 2000) -> None:
    """`stored` calls in the log as a server writes them (a call.created and
    a stream.counted change each; a call.created row holds the call's index
    fields, its plan whole in the row's detail). `generated` are drawn by the engine; the
    rest are copies of their rows under new call ids and room names (drawing
    100,000 plans takes a quarter of an hour on a busy machine)."""
    import sqlite3

    import orjson

    from emulator.app import create_app
    from emulator.persist import shut_down
    from emulator.providers.heppu import PROVIDER
    from emulator.settings import Settings

    app = create_app(Settings(demo=False, clock="manual", data_dir=data_dir))
    engine = app.state.engine
    tenant = engine.tenants.get("org_abc123")
    agent = tenant.agent(AGENT)
    now = engine.now(tenant.id)
    for _ in range(min(stored, generated)):
        engine.create_call(tenant=tenant, agent=agent, style=PROVIDER.style, now=now, contact_phone="+14155550199")
    shut_down(app)
    db = sqlite3.connect(data_dir / "state.sqlite3")
    rows = db.execute("SELECT kind, wall, data, detail FROM changes WHERE kind IN ('call.created', 'stream.counted') ORDER BY seq").fetchall()
    copy, made = 0, min(stored, generated)
    while made < stored:
        copy += 1
        out = []
        for kind, wall, data, detail in rows:
            d = orjson.loads(data)
            if kind == "call.created":
                if made >= stored:
                    break
                plan, head = orjson.loads(detail), d["head"]
                head["id"] = plan["id"] = f"{plan['id']}_{copy}"
                head["room"] = plan["room"] = plan["room"] and f"{plan['room']}_{copy}"
                detail = orjson.dumps(plan)
                made += 1
            out.append((kind, wall, orjson.dumps(d), detail))
        db.executemany("INSERT INTO changes (kind, wall, data, detail) VALUES (?, ?, ?, ?)", out)
        db.commit()
    db.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--creates", type=int, default=500)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--stored", type=int, default=100_000)
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"calls created per second through POST /api/v1/calls/outbound ({args.creates} calls, {args.connections} connections)")
        for label, extra in [("memory (no data dir)", []), ("--data-dir (SQLite WAL, synchronous=FULL)", ["--data-dir", str(tmp / "throughput")])]:
            proc, base, _ = start(*extra)
            try:
                asyncio.run(create_calls(base, 20, 2))  # warm up
                rate = asyncio.run(create_calls(base, args.creates, args.connections))
            finally:
                stop(proc)
            print(f"  {label:45s} {rate:8.0f} calls/s")

        print(f"\nstart-up until ready (process start to GET /_emulator/ready = 200), {args.stored:,} stored calls")
        proc, _, empty = start()
        stop(proc)
        print(f"  {'memory, fixtures only':45s} {empty:8.2f} s")
        logged = tmp / "logged"
        t0 = time.perf_counter()
        populate(logged, args.stored)
        size = (logged / "state.sqlite3").stat().st_size
        print(f"  (stored {args.stored:,} calls in {time.perf_counter() - t0:.1f} s; file {size / 1e6:.0f} MB)")
        proc, base, logged_start = start("--data-dir", str(logged))
        count = httpx.get(base + "/_emulator/tenants/org_abc123", timeout=60).json()["calls"]
        stop(proc)
        print(f"  {'--data-dir, change log replayed':45s} {logged_start:8.2f} s  ({count:,} calls for org_abc123)")
        based = tmp / "baseline"
        exported = subprocess.run([sys.executable, "-m", "emulator", "export", str(logged)], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run([sys.executable, "-m", "emulator", "import", str(based)], cwd=ROOT, input=exported, capture_output=True, check=True)
        proc, base, based_start = start("--data-dir", str(based))
        stop(proc)
        print(f"  {'--data-dir, one baseline (after import)':45s} {based_start:8.2f} s")


if __name__ == "__main__":
    main()
