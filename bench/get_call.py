"""Startup time, and GET call latency/throughput with 1 stored call and with
100,000 (reads must not scan: the two should match within noise).

    python bench/get_call.py [--requests 5000] [--connections 50] [--calls 1 100000]

The server runs in its own process pinned to one core (taskset, when
available); the load comes from this process over loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import replace

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADERS = {"x-api-key": "YOUR_API_KEY"}
PIN = ["taskset", "-c", "0"] if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1 else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/_emulator/ready", timeout=0.5).status_code == 200:
                return time.perf_counter() - start
        except httpx.TransportError:
            time.sleep(0.005)
    raise SystemExit("server never became ready")


def startup(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "emulator", "serve", "--no-demo", "--port", str(port), "--log-level", "warning"], cwd=ROOT, stdout=subprocess.DEVNULL)
        try:
            wait_ready(f"http://127.0.0.1:{port}", proc)
            times.append(time.perf_counter() - t0)
        finally:
            proc.terminate()
            proc.wait()
    return times


def serve_with(n_calls: int, port: int) -> None:
    """Server side: the bundled fixtures plus n_calls - 1 calls of another
    organisation, then serve."""
    import uvicorn

    from emulator.app import create_app
    from emulator.settings import Settings

    app = create_app(Settings(clock="manual", now="2025-12-01T15:30:10Z", demo=False, log_level="warning"))
    store = app.state.engine.store
    base = replace(store.get("call_def456").plan, tenant="org_xyz789")
    for i in range(max(0, n_calls - len(store))):
        store.add(replace(base, id=f"call_bench{i:07d}", room=f"room_bench{i:07d}", created_at=base.created_at - i * 0.001))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


GET_CALL = b"GET /api/v1/calls/call_def456 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: YOUR_API_KEY\r\n\r\n"


async def load(port: int, raw: bytes, requests: int, connections: int) -> tuple[list[float], float]:
    """A minimal keep-alive HTTP/1.1 client on raw asyncio streams, sending
    `raw` over and over: cheap enough per request that the server, not the
    client, is measured."""
    queue = iter(range(requests))
    latencies: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in queue:
                t = time.perf_counter()
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t)
                assert head.startswith(b"HTTP/1.1 200"), head
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, time.perf_counter() - t0


def figures(latencies: list[float], elapsed: float) -> dict:
    """Rate, median, p99 and mean (ms) of one load run."""
    lat = sorted(latencies)
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000  # noqa: E731
    return {"rps": len(lat) / elapsed, "p50_ms": q(0.50), "p99_ms": q(0.99), "mean_ms": statistics.mean(lat) * 1000}


def measure(n_calls: int, requests: int, connections: int) -> dict:
    port = free_port()
    proc = subprocess.Popen(PIN + [sys.executable, __file__, "--serve", str(n_calls), str(port)], cwd=ROOT)
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        asyncio.run(load(port, GET_CALL, min(1000, requests), connections))  # warm up
        lat, elapsed = asyncio.run(load(port, GET_CALL, requests, connections))
    finally:
        proc.terminate()
        proc.wait()
    return {"calls": n_calls, **figures(lat, elapsed)}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve_with(int(sys.argv[2]), int(sys.argv[3]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--calls", type=int, nargs="+", default=[1, 100_000])
    ap.add_argument("--startup-runs", type=int, default=5)
    args = ap.parse_args()

    t = startup(args.startup_runs)
    print(f"startup to first served request: median {statistics.median(t) * 1000:.0f} ms (min {min(t) * 1000:.0f}, max {max(t) * 1000:.0f}, {len(t)} runs)")
    print(f"GET /api/v1/calls/{{id}}: {args.requests} requests, {args.connections} connections, server pinned to one core: {bool(PIN)}")
    rows = [measure(n, args.requests, args.connections) for n in args.calls]
    for r in rows:
        print(f"  {r['calls']:>7} stored calls: {r['rps']:7.0f} req/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  mean {r['mean_ms']:6.2f} ms")
    if len(rows) >= 2:
        print(f"  throughput ratio {rows[-1]['calls']} vs {rows[0]['calls']} calls: {rows[-1]['rps'] / rows[0]['rps']:.2f}")


if __name__ == "__main__":
    main()
