"""What a stored call costs, up to a million of them.

    python bench/million.py [--calls 1000000] [--live 100000] [--requests 2000]

Prints:
- create cost: CPU per call created through the engine (in-process);
- bytes per stored call: tracemalloc over 5,000 calls, and the RSS growth
  over the whole fill divided by the number of calls;
- RSS with `--calls` stored calls;
- the pause of a full garbage collection with them stored, and the longest
  collection while they were created (as `serve` collects);
- p50 of GET /api/v1/calls/{id} with the calls stored vs with only the
  fixture calls (same call, `call_abc123`), and of GETs of random stored calls
  (most of them not in the plan cache: each is redrawn from its recipe);
- idle CPU with `--live` live calls (scheduled a day ahead) under the
  realtime clock: nothing may tick per call.

Start-up with stored calls in a data dir is bench/persistence.py's.

Storing a million calls through HTTP takes hours, so the store is filled
in-process through the engine (`Engine.create_call`, what every create route
calls), the manual clock moved on as it goes so calls end as in a day of
traffic; the same process then serves the app with uvicorn and a client in
another process measures the GETs over loopback.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator.cli import SERVE_GC_THRESHOLD  # noqa: E402

AGENT = "550e8400-e29b-41d4-a716-446655440000"
TENANT = "org_abc123"

CLIENT = r"""
import statistics, sys, time, httpx
url, n, ids = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
with httpx.Client(base_url=url, headers={"x-api-key": "YOUR_API_KEY"}) as http:
    for i in range(50):
        http.get(f"/api/v1/calls/{ids[i % len(ids)]}")
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        r = http.get(f"/api/v1/calls/{ids[i % len(ids)]}")
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
print(statistics.median(times) * 1e6)
"""


class GcPauses:
    """The longest collection and the number of full ones, while it runs."""

    def __init__(self) -> None:
        self.longest, self.full, self._t = 0.0, 0, 0.0
        gc.callbacks.append(self._on)

    def _on(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t = time.perf_counter()
            return
        self.longest = max(self.longest, time.perf_counter() - self._t)
        self.full += info["generation"] == 2

    def stop(self) -> None:
        gc.callbacks.remove(self._on)


def rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def build():
    from emulator.app import create_app
    from emulator.settings import Settings

    return create_app(Settings(demo=False, clock="manual", now="2025-12-01T15:30:10Z"))


def filler(app):
    """make(n): n calls created through the engine, the clock moved on by an
    hour every 1,000 so they end (their events go out as they would)."""
    from emulator.providers.heppu import PROVIDER

    engine = app.state.engine
    tenant = engine.tenants.get(TENANT)
    agent = tenant.agent(AGENT)
    clock = engine.clocks.for_tenant(TENANT)

    def make(n: int, end: bool = True, **args) -> list[str]:
        ids = []
        for i in range(n):
            record = engine.create_call(tenant=tenant, agent=agent, style=PROVIDER.style, now=engine.now(TENANT), contact_phone="+14155550199", **args)
            ids.append(record.id)
            if end and i % 1000 == 999:
                clock.advance(3600)
                engine.scheduler.release()
        if end:
            clock.advance(3600)
            engine.scheduler.release()
        return ids

    return make


def p50_get(app, ids: list[str], requests: int) -> float:
    """Median µs of GET /api/v1/calls/{id} cycling through `ids`, from a
    client in another process, the app served by uvicorn in this one."""
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        out = subprocess.run(
            [sys.executable, "-c", CLIENT, f"http://127.0.0.1:{port}", str(requests), *ids], capture_output=True, text=True, check=True
        ).stdout
        return float(out)
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def idle_cpu(live: int, seconds: float = 10.0) -> tuple[float, int]:
    """CPU seconds per wall second of a server holding `live` calls that
    wait a day to start, under the realtime clock, with no request."""
    import asyncio

    from emulator.app import create_app
    from emulator.providers.heppu import PROVIDER
    from emulator.settings import Settings

    app = create_app(Settings(demo=False))  # realtime clock
    engine = app.state.engine
    tenant = engine.tenants.get(TENANT)
    agent = tenant.agent(AGENT)
    now = engine.now(TENANT)
    for _ in range(live):
        engine.create_call(
            tenant=tenant, agent=agent, style=PROVIDER.style, now=now, contact_phone="+14155550199",
            start_delay=86400.0, waiting_status="scheduled", scheduled_at=now + 86400.0,
        )

    async def watch() -> float:
        async with app.router.lifespan_context(app):
            await asyncio.sleep(1.0)  # settle
            c0 = time.process_time()
            await asyncio.sleep(seconds)
            return (time.process_time() - c0) / seconds

    return asyncio.run(watch()), engine.scheduler.pending()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=1_000_000)
    p.add_argument("--live", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3, help="interleaved latency rounds (the machine is noisy)")
    args = p.parse_args()

    one = build()  # fixtures only: the GET's baseline
    filler(one)(200)
    app = build()
    make = filler(app)
    make(2000)  # warm: Faker's locale, the scripts, the caches

    n = 2000
    t0 = time.process_time()
    make(n, end=False)
    create_us = (time.process_time() - t0) / n * 1e6
    make(0)  # end them
    print(f"create cost (engine.create_call, in-process CPU)      {create_us:10.0f} µs per call")

    gc.collect()
    # As `serve` runs: what start-up built frozen, young collections every
    # SERVE_GC_THRESHOLD allocations. Collections of the oldest generation
    # walk every stored call; their pauses are timed through the fill.
    gc.freeze()
    gc.set_threshold(SERVE_GC_THRESHOLD, *gc.get_threshold()[1:])
    pauses = GcPauses()
    r0, stored0 = rss(), len(app.state.engine.store)
    t0 = time.perf_counter()
    todo = args.calls - stored0
    step = max(todo // 10, 1)
    made = []
    while todo > 0:
        made += make(min(step, todo))[:50]
        todo -= step
        print(f"  ... {len(app.state.engine.store):,} stored, RSS {rss() / 2**20:,.0f} MiB, {time.perf_counter() - t0:,.0f} s, "
              f"longest collection so far {pauses.longest * 1000:,.0f} ms", flush=True)
    pauses.stop()
    t1 = time.perf_counter()
    gc.collect()
    full_ms = (time.perf_counter() - t1) * 1000
    stored = len(app.state.engine.store)
    grown = rss() - r0
    print(f"bytes per stored call (RSS growth / calls)             {grown / (stored - stored0):10.0f} B")
    print(f"RSS with {stored:,} stored calls                    {rss() / 2**20:10.0f} MiB  (plan cache: {len(app.state.engine.store.plans)} plans)")
    print(f"full garbage collection with {stored:,} stored      {full_ms:10.0f} ms  "
          f"(during the fill: {pauses.full} full collections, longest pause {pauses.longest * 1000:.0f} ms)")

    # tracemalloc sees only what is allocated after it starts: the bounded
    # caches and the event outbox, full already, would count what they take
    # in and not what they drop. They are emptied before reading.
    engine = app.state.engine
    tracemalloc.start()
    m0 = tracemalloc.get_traced_memory()[0]
    make(5000)
    engine.store.plans.clear()
    engine.bodies.clear()
    app.state.events.clear()
    gc.collect()
    traced = (tracemalloc.get_traced_memory()[0] - m0) / 5000
    tracemalloc.stop()
    print(f"bytes per stored call (tracemalloc, 5,000 more calls)  {traced:10.0f} B")

    ids = ["call_abc123"]
    base, many = [], []
    for _ in range(args.rounds):
        base.append(p50_get(one, ids, args.requests))
        many.append(p50_get(app, ids, args.requests))
    b, m = statistics.median(base), statistics.median(many)
    print(f"p50 GET call_abc123, fixtures only                     {b:10.0f} µs  (rounds: {', '.join(f'{x:.0f}' for x in base)})")
    print(f"p50 GET call_abc123, {stored:,} stored            {m:10.0f} µs  ({m / b:.2f}x; rounds: {', '.join(f'{x:.0f}' for x in many)})")
    picked = random.Random(1).sample(made, min(len(made), 400))
    cold = p50_get(app, picked, len(picked))
    print(f"p50 GET of stored calls not in the plan cache          {cold:10.0f} µs  (each redrawn from its recipe)")
    del app, make, one
    gc.collect()

    cpu, pending = idle_cpu(args.live)
    print(f"idle CPU, {args.live:,} live calls (realtime clock)      {cpu * 100:10.2f} % of a core  ({pending} scheduler jobs)")


if __name__ == "__main__":
    main()
