"""LiveKit Twirp latency/throughput (protobuf, as livekit-api sends it):
GetParticipant on a live room, and ListRooms, with 1 stored call and with
100,000 ended calls of another organisation. GetParticipant looks the room
up by name (must not scan); ListRooms walks the calls of the tenants the key
opens, so it is measured with devkey (opens that organisation) and with
Acme's own key (does not).

    python bench/livekit_twirp.py [--requests 3000] [--connections 20] [--calls 1 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from dataclasses import replace

from get_call import PIN, ROOT, figures, free_port, load, wait_ready
from livekit import api

ROOM = "room_live123"  # call_def456's room, live at 15:30:10
ACME = ("APIacme7Kq2vXw9", "acme-livekit-secret-6b1f0e4c9d2a7358")
DEV = ("devkey", "secret")


def serve_with(n_calls: int, port: int) -> None:
    import uvicorn

    from emulator.app import create_app
    from emulator.settings import Settings

    app = create_app(Settings(clock="manual", now="2025-12-01T15:30:10Z", demo=False, log_level="warning"))
    store = app.state.engine.store
    base = replace(store.get("call_abc123").plan, tenant="org_xyz789")  # ended long before now
    for i in range(max(0, n_calls - len(store))):
        store.add(replace(base, id=f"call_bench{i:07d}", room=f"room_bench{i:07d}", created_at=base.created_at - i * 0.001, start_at=base.start_at - i * 0.001))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def request(method: str, body: bytes, token: str) -> bytes:
    head = (
        f"POST /twirp/livekit.RoomService/{method} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/protobuf\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def cases() -> dict[str, bytes]:
    admin = api.AccessToken(*DEV).with_grants(api.VideoGrants(room_admin=True, room=ROOM)).to_jwt()
    return {
        "GetParticipant (devkey)": request("GetParticipant", api.RoomParticipantIdentity(room=ROOM, identity="agent").SerializeToString(), admin),
        "ListRooms (devkey)": request("ListRooms", b"", api.AccessToken(*DEV).with_grants(api.VideoGrants(room_list=True)).to_jwt()),
        "ListRooms (Acme key)": request("ListRooms", b"", api.AccessToken(*ACME).with_grants(api.VideoGrants(room_list=True)).to_jwt()),
    }


def measure(n_calls: int, requests: int, connections: int) -> list[dict]:
    port = free_port()
    proc = subprocess.Popen(PIN + [sys.executable, __file__, "--serve", str(n_calls), str(port)], cwd=ROOT)
    rows = []
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        for name, raw in cases().items():
            asyncio.run(load(port, raw, min(300, requests), connections))  # warm up
            lat, elapsed = asyncio.run(load(port, raw, requests, connections))
            rows.append({"case": name, "calls": n_calls, **figures(lat, elapsed)})
    finally:
        proc.terminate()
        proc.wait()
    return rows


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve_with(int(sys.argv[2]), int(sys.argv[3]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--calls", type=int, nargs="+", default=[1, 100_000])
    args = ap.parse_args()
    print(f"LiveKit Twirp (protobuf): {args.requests} requests, {args.connections} connections, server pinned to one core: {bool(PIN)}")
    for n in args.calls:
        for r in measure(n, args.requests, args.connections):
            print(f"  {r['calls']:>7} stored calls  {r['case']:<24} {r['rps']:7.0f} req/s  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms")


if __name__ == "__main__":
    main()
