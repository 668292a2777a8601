"""Soak: many concurrent clients mixing writes and reads on both vendors and
the control plane for a fixed time, against a server on loopback. Prints
errors, lost writes and p50/p99 per route, then freezes the clock and checks
the invariants:

- every list agrees with get (Heppu list items and Trillet history items
  have the status their own GET reports);
- Heppu `liveRoomStatus` is non-null exactly while a call is connecting,
  ringing or active (checked on every GET during the run too);
- Trillet's active-call list is exactly the set of live calls.

    python bench/soak.py --duration 60 --clients 200
    python bench/soak.py --url http://127.0.0.1:8000   # a server already running

Starts `call-emulator serve` (realtime clock, demo on: the default) on a
free loopback port unless --url is given; --url must be a loopback address.
Exit status 1 when anything above failed."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from urllib.parse import urlsplit

import httpx

HEPPU = {"x-api-key": "YOUR_API_KEY"}
TRILLET = {"x-api-key": "YOUR_API_KEY", "x-workspace-id": "69cf4b468d2a8a6a8e39b684"}
HEPPU_AGENT = "550e8400-e29b-41d4-a716-446655440000"
TRILLET_AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"
LIVE = {"connecting", "ringing", "active"}
HEPPU_STATUSES = ["scheduled", "queued", "initiated", "connecting", "ringing", "active", "completed", "failed", "cancelled", "no_answer", "busy"]
# At most this many ids are remembered per kind (the rest are still checked for loss).
KEEP = 5000


class Soak:
    def __init__(self, base: str, clients: int, duration: float, seed: int) -> None:
        self.base = base
        self.clients = clients
        self.duration = duration
        self.rng = random.Random(seed)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        self.heppu_ids: list[str] = []
        self.trillet: list[tuple[str, str]] = []  # (callId, roomName)
        self.problems: list[str] = []

    def error(self, route: str, what: str) -> None:
        self.errors[route] += 1
        if len(self.samples) < 20:
            self.samples.append(f"{route}: {what}")

    async def call(self, http: httpx.AsyncClient, route: str, method: str, path: str, ok: tuple[int, ...], **kwargs) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            r = await http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.error(route, f"{type(exc).__name__}: {exc}")
            return None
        finally:
            self.latency[route].append(time.perf_counter() - started)
        if r.status_code not in ok:
            self.error(route, f"{r.status_code} {r.text[:160]}")
            return None
        return r

    def check_heppu_call(self, call: dict) -> None:
        if (call["liveRoomStatus"] is not None) != (call["status"] in LIVE):
            self.problems.append(f"{call['id']}: status {call['status']} with liveRoomStatus {call['liveRoomStatus']}")

    async def client(self, http: httpx.AsyncClient, deadline: float, rng: random.Random) -> None:
        ops = [
            (self.heppu_outbound, 8), (self.heppu_schedule, 4), (self.heppu_cancel, 3), (self.heppu_get, 12),
            (self.heppu_list, 10), (self.trillet_outbound, 8), (self.trillet_active, 8), (self.trillet_get_active, 6),
            (self.trillet_end, 3), (self.trillet_history, 10), (self.control_calls, 3), (self.health, 3), (self.hostile, 2),
        ]
        funcs, weights = zip(*ops)
        while time.monotonic() < deadline:
            await rng.choices(funcs, weights)[0](http, rng)

    # -- Heppu --
    async def heppu_outbound(self, http, rng):
        r = await self.call(http, "POST /api/v1/calls/outbound", "POST", "/api/v1/calls/outbound", (201,), headers=HEPPU,
                            json={"agentId": HEPPU_AGENT, "phoneNumber": f"+1415555{rng.randrange(10000):04d}", "metadata": {"n": rng.random()}})
        if r is not None:
            self.heppu_ids.append(r.json()["data"]["id"])

    async def heppu_schedule(self, http, rng):
        body = {"agentId": HEPPU_AGENT, "contactPhone": f"+1212555{rng.randrange(10000):04d}", "contactName": "Soak Test"}
        r = await self.call(http, "POST /api/v1/calls/schedule", "POST", "/api/v1/calls/schedule", (201,), headers=HEPPU, json=body)
        if r is not None:
            self.heppu_ids.append(r.json()["data"]["id"])

    async def heppu_cancel(self, http, rng):
        if self.heppu_ids:
            call_id = rng.choice(self.heppu_ids[-KEEP:])
            await self.call(http, "DELETE /api/v1/calls/{callId}", "DELETE", f"/api/v1/calls/{call_id}", (200, 409), headers=HEPPU)

    async def heppu_get(self, http, rng):
        call_id = rng.choice(self.heppu_ids[-KEEP:]) if self.heppu_ids else "call_abc123"
        r = await self.call(http, "GET /api/v1/calls/{callId}", "GET", f"/api/v1/calls/{call_id}", (200,), headers=HEPPU)
        if r is not None:
            self.check_heppu_call(r.json()["data"])

    async def heppu_list(self, http, rng):
        params = {"limit": rng.choice([1, 10, 100])}
        pick = rng.random()
        if pick < 0.4:
            params["status"] = rng.choice(HEPPU_STATUSES)
        elif pick < 0.6:
            params["phoneNumber"] = f"+1415555{rng.randrange(10000):04d}"
        await self.call(http, "GET /api/v1/calls", "GET", "/api/v1/calls", (200,), headers=HEPPU, params=params)

    # -- Trillet --
    async def trillet_outbound(self, http, rng):
        body = {"to": f"+1646555{rng.randrange(10000):04d}", "call_agent_id": TRILLET_AGENT, "dynamic_variables": {"firstName": "Soak"}}
        r = await self.call(http, "POST /v1/api/call", "POST", "/v1/api/call", (200,), headers=TRILLET, json=body)
        if r is not None:
            self.trillet.append((r.json()["callId"], r.json()["roomName"]))

    async def trillet_active(self, http, rng):
        await self.call(http, "GET /v2/api/active-calls", "GET", "/v2/api/active-calls", (200,), headers=TRILLET)

    async def trillet_get_active(self, http, rng):
        if self.trillet:
            room = rng.choice(self.trillet[-KEEP:])[1]
            await self.call(http, "GET /v2/api/active-calls/{roomName}", "GET", f"/v2/api/active-calls/{room}", (200, 404), headers=TRILLET)

    async def trillet_end(self, http, rng):
        if self.trillet:
            room = rng.choice(self.trillet[-KEEP:])[1]
            await self.call(http, "POST .../{roomName}/end-call", "POST", f"/v2/api/active-calls/{room}/end-call", (200, 404), headers=TRILLET)

    async def trillet_history(self, http, rng):
        params = {"limit": rng.choice([1, 10, 100])}
        pick = rng.random()
        if pick < 0.3:
            params["status"] = rng.choice(["completed", "ringing,active", "in-progress", "failed,busy,no-answer", "queued"])
        elif pick < 0.5:
            params["search"] = rng.choice(["Soak", "+1646555", "nothing-matches"])
        await self.call(http, "GET /v2/api/call-history", "GET", "/v2/api/call-history", (200,), headers=TRILLET, params=params)

    # -- control and hostile --
    async def control_calls(self, http, rng):
        await self.call(http, "GET /_emulator/calls", "GET", "/_emulator/calls", (200,), params={"limit": rng.choice([1, 10])})

    async def health(self, http, rng):
        await self.call(http, "GET /_emulator/health", "GET", "/_emulator/health", (200,))

    async def hostile(self, http, rng):
        body = '{"agentId": "%s", "phoneNumber": "+14155550123", "metadata": {"x": "\\ud800"}}' % HEPPU_AGENT
        await self.call(http, "POST outbound (surrogate)", "POST", "/api/v1/calls/outbound", (400,),
                        headers={**HEPPU, "content-type": "application/json"}, content=body.encode())

    # -- after the run --
    async def lost_writes(self, http) -> int:
        lost = 0
        sem = asyncio.Semaphore(32)

        async def one(path, headers):
            nonlocal lost
            async with sem:
                r = await http.get(path, headers=headers)
                if r.status_code != 200:
                    lost += 1
                    if len(self.samples) < 40:
                        self.samples.append(f"lost: {path} answers {r.status_code}")

        await asyncio.gather(*[one(f"/api/v1/calls/{i}", HEPPU) for i in self.heppu_ids],
                             *[one(f"/v2/api/call-history/{c}", TRILLET) for c, _ in self.trillet])
        return lost

    async def invariants(self, http) -> None:
        """With the clock frozen: lists agree with gets, the active list is the live set."""
        await http.put("/_emulator/clock", json={"mode": "manual"})
        offset, listed = 0, []
        while True:
            page = (await http.get("/api/v1/calls", headers=HEPPU, params={"limit": 100, "offset": offset})).json()["data"]
            listed += page["calls"]
            if not page["pagination"]["hasMore"] or offset >= 2000:
                break
            offset += 100
        for item in listed:
            call = (await http.get(f"/api/v1/calls/{item['id']}", headers=HEPPU)).json()["data"]
            self.check_heppu_call(call)
            if call["status"] != item["status"]:
                self.problems.append(f"heppu list says {item['id']} is {item['status']}, get says {call['status']}")
        for status in HEPPU_STATUSES:
            body = (await http.get("/api/v1/calls", headers=HEPPU, params={"status": status, "limit": 100})).json()["data"]
            for item in body["calls"]:
                if item["status"] != status:
                    self.problems.append(f"heppu status={status} lists {item['id']} as {item['status']}")
        active = (await http.get("/v2/api/active-calls", headers=TRILLET)).json()
        active_ids = {c["id"] for c in active["data"]}
        live, page = set(), 1
        while True:
            r = await http.get("/v2/api/call-history", headers=TRILLET, params={"limit": 100, "page": page, "status": "ringing,active"})
            live |= {c["_id"] for c in r.json()}
            if page * 100 >= int(r.headers["x-total-count"]):
                break
            page += 1
        if active_ids != live or active["count"] != len(active_ids):
            self.problems.append(f"trillet active list {len(active_ids)} calls, live calls {len(live)}: "
                                 f"{sorted(active_ids ^ live)[:5]}")
        for call_id in list(live)[:50]:
            item = (await http.get(f"/v2/api/call-history/{call_id}", headers=TRILLET)).json()
            if item["status"] not in ("ringing", "active"):
                self.problems.append(f"trillet history lists {call_id} as live, get says {item['status']}")
        await http.put("/_emulator/clock", json={"mode": "realtime"})

    async def run(self) -> int:
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        async with httpx.AsyncClient(base_url=self.base, limits=limits, timeout=30) as http:
            deadline = time.monotonic() + self.duration
            started = time.monotonic()
            await asyncio.gather(*[self.client(http, deadline, random.Random(self.rng.random())) for _ in range(self.clients)])
            elapsed = time.monotonic() - started
            lost = await self.lost_writes(http)
            await self.invariants(http)
        return self.report(elapsed, lost)

    def report(self, elapsed: float, lost: int) -> int:
        total = sum(len(v) for v in self.latency.values())
        print(f"{self.clients} clients, {elapsed:.1f} s, {total} requests ({total / elapsed:.0f}/s)")
        print(f"{'route':40} {'n':>7} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
        for route in sorted(self.latency):
            xs = sorted(self.latency[route])
            p50, p99 = xs[len(xs) // 2] * 1000, xs[min(len(xs) - 1, int(len(xs) * 0.99))] * 1000
            print(f"{route:40} {len(xs):7d} {self.errors.get(route, 0):7d} {p50:8.1f} {p99:8.1f}")
        errors = sum(self.errors.values())
        print(f"errors: {errors}")
        print(f"writes: {len(self.heppu_ids)} Heppu, {len(self.trillet)} Trillet; lost writes: {lost}")
        print(f"invariants: {'hold' if not self.problems else f'{len(self.problems)} violations'}")
        for line in self.samples[:20] + self.problems[:20]:
            print("  " + line)
        return 1 if errors or lost or self.problems else 0


def loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start_server(clock: str, log) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, CALL_EMULATOR_LOG_LEVEL="warning")
    args = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--clock", clock]
    # The server's log goes to a file: a pipe nobody reads would stall it.
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/_emulator/ready", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=60.0, help="Seconds of load (default 60)")
    p.add_argument("--clients", type=int, default=200, help="Concurrent clients (default 200, at most 1000)")
    p.add_argument("--seed", type=int, default=1, help="Seed of the clients' choices")
    p.add_argument("--clock", default="realtime", choices=["realtime", "scaled"], help="Clock of the started server")
    p.add_argument("--url", help="Soak a server already running on loopback instead of starting one")
    args = p.parse_args()
    if not 1 <= args.clients <= 1000 or not 0 < args.duration <= 3600:
        p.error("clients 1-1000, duration up to 3600 s")
    proc, log = None, tempfile.NamedTemporaryFile("w+", prefix="soak-server-", suffix=".log")
    if args.url:
        if not loopback(args.url):
            p.error("--url must be a loopback address")
        base = args.url.rstrip("/")
    else:
        proc, base = start_server(args.clock, log)
    try:
        return asyncio.run(Soak(base, args.clients, args.duration, args.seed).run())
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
            log.seek(0)
            tracebacks = log.read().count("Traceback")
            print(f"server log: {tracebacks} tracebacks")
        log.close()


if __name__ == "__main__":
    sys.exit(main())
