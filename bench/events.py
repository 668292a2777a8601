"""The scheduler and webhook delivery with 10,000 live calls.

    python bench/events.py [--calls 10000] [--window 30] [--data-dir]

1. realtime clock, 10,000 live calls with nothing due: the scheduler's CPU
   (process CPU seconds per wall second while idle; should be about 0);
2. realtime clock, 10,000 calls connecting, ringing and talking over the
   window, every event posted to a local receiver (its own process): delay
   from an event's due instant to its delivery (p50, p99) and events
   delivered per second (with --data-dir, also with every event, queued
   delivery and delivery settled stored in a data dir, as `serve
   --data-dir` does);
3. manual clock, 10,000 calls talking for an hour: wall time to advance the
   clock one hour (every event released, in order, into the outbox).

The emulator runs in this process on one asyncio loop, as under uvicorn.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from emulator.app import create_app  # noqa: E402
from emulator.control.webhooks import WebhookIn, register  # noqa: E402
from emulator.events.webhooks import instant  # noqa: E402
from emulator.persist import shut_down, timer_commit  # noqa: E402
from emulator.settings import Settings  # noqa: E402

WORKSPACE = "69cf4b468d2a8a6a8e39b684"

RECEIVER = r"""
import asyncio, sys
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":")[1])
            await reader.readexactly(n)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
    except Exception:
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def make_calls(app, n: int, **plan) -> None:
    engine = app.state.engine
    provider = app.state.providers["trillet"]
    tenant = engine.tenants.get(WORKSPACE)
    agent = next(a for a in tenant.agents if a.type == "voice" and a.phone_numbers)
    now = engine.now(tenant.id)
    for i in range(n):
        engine.create_call(tenant=tenant, agent=agent, style=provider.style, now=now, **{k: (v(i) if callable(v) else v) for k, v in plan.items()})


async def idle_cpu(n: int, seconds: float) -> float:
    app = create_app(Settings(demo=False))
    app.state.events.start(lambda: app.state.engine.scheduler)
    # Live calls whose every event but the end (an hour away) has happened.
    now = app.state.engine.now()
    make_calls(app, n, created_at=now - 100, start_delay=0.0, ring_at=1.0, answer_at=3.0, talk_for=3600.0, give_up_at=None, outcome="completed", turns=())
    await asyncio.sleep(1.0)  # their past events are released
    live = sum(1 for r in app.state.engine.store.records() if r.at(app.state.engine.now()).live)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    await app.state.events.stop()
    print(f"idle: {live} live calls, nothing due for an hour: scheduler CPU {cpu * 1000:.2f} ms per wall second")
    return cpu


async def delivery(n: int, window: float, data_dir: str | None = None) -> None:
    proc = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        app = create_app(Settings(demo=False, data_dir=data_dir))
        app.state.events.start(lambda: app.state.engine.scheduler, timer_commit(app))
        hooks = app.state.webhooks
        register(app, WebhookIn(url=f"http://127.0.0.1:{port}/hook", tenant=WORKSPACE, kind="trillet"))
        delays: list[float] = []
        hooks.on_delivered = lambda d: delays.append(d.delivered_wall - d.due)
        # Stamp each queued delivery with its event's instant (realtime: virtual == wall).
        original = hooks._queue

        def queue(ep, ev, name, payload, duplicate_of=None):
            d = original(ep, ev, name, payload, duplicate_of)
            d.due = instant(ev)
            return d

        hooks._queue = queue
        # Calls start over the first two thirds of the window and talk on.
        spread = window * 2 / 3
        make_calls(app, n, start_delay=lambda i: 1.0 + spread * i / n, ring_at=1.0, answer_at=3.0, talk_for=3600.0, give_up_at=None, outcome="completed")
        emitted0 = app.state.events.last_seq
        t0 = time.perf_counter()
        await asyncio.sleep(window)
        elapsed = time.perf_counter() - t0
        emitted = app.state.events.last_seq - emitted0
        pending = sum(len(e.queue) for e in hooks.endpoints.values())
        delays.sort()
        p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] * 1000  # noqa: E731
        print(
            f"delivery{' (data dir)' if data_dir else ''}: {n} calls, {emitted} events in {elapsed:.1f} s, {len(delays)} delivered "
            f"({len(delays) / elapsed:.0f} events/s), due-to-delivery p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, "
            f"mean {statistics.fmean(delays) * 1000:.1f} ms; {pending} still queued"
        )
        await hooks.close()
        await app.state.events.stop()
        shut_down(app)
    finally:
        proc.kill()
        proc.wait()


def advance_hour(n: int) -> None:
    app = create_app(Settings(demo=False, clock="manual", now="2025-12-01T12:00:00Z"))
    make_calls(app, n, start_delay=lambda i: i % 60, ring_at=1.0, answer_at=3.0, talk_for=3600.0, give_up_at=None, outcome="completed")
    engine = app.state.engine
    seq0 = engine.scheduler.seq
    t0 = time.perf_counter()
    engine.clocks.global_clock.advance(3600)
    engine.scheduler.release()  # what POST /_emulator/clock/advance does before answering
    took = time.perf_counter() - t0
    events = engine.scheduler.seq - seq0
    print(f"manual: advance one hour over {n} calls: {took:.2f} s, {events} events released ({events / took:.0f} events/s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=10_000)
    ap.add_argument("--window", type=float, default=30.0)
    ap.add_argument("--idle", type=float, default=5.0)
    ap.add_argument("--data-dir", action="store_true", help="measure delivery with a data dir too")
    args = ap.parse_args()
    asyncio.run(idle_cpu(args.calls, args.idle))
    asyncio.run(delivery(args.calls, args.window))
    if args.data_dir:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(delivery(args.calls, args.window, tmp))
    advance_hour(args.calls)


if __name__ == "__main__":
    main()
