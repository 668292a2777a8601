"""Listing one organisation's 50 calls costs the same however many calls
other organisations hold.

    PYTHONPATH=. python bench/heppu_list.py [others ...]
"""

from __future__ import annotations

import sys
import time
import warnings

warnings.filterwarnings("ignore")
from fastapi.testclient import TestClient  # noqa: E402

from emulator.app import create_app  # noqa: E402
from emulator.core.plan import CallPlan  # noqa: E402
from emulator.settings import Settings  # noqa: E402

NOW = 1764603010.0  # 2025-12-01T15:30:10Z
HEPPU = {"x-api-key": "YOUR_API_KEY"}


def build(others: int):
    app = create_app(Settings(clock="manual", now="2025-12-01T15:30:10Z", demo=False))
    store = app.state.engine.store
    # Other organisations' calls, straight into the store (building a million
    # through the generator would take minutes and measure nothing).
    for i in range(others):
        store.add(CallPlan(id=f"other_{i}", tenant=f"org_other{i % 100}", created_at=NOW - 86400 + i * 0.05,
                           start_at=NOW - 86400 + i * 0.05, agent_id="a", agent_name="A", contact_phone="+14155550000",
                           answer_at=2.0, talk_for=30.0))
    client = TestClient(app)
    r = client.post("/api/v1/calls/batch", headers=HEPPU, json={
        "agentId": "550e8400-e29b-41d4-a716-446655440000",
        "calls": [{"contactPhone": f"+1415555{i:04d}"} for i in range(200)]})
    assert r.status_code == 201
    return client


def per_request(client, params, n=200) -> float:
    client.get("/api/v1/calls", headers=HEPPU, params=params)
    t = time.perf_counter()
    for _ in range(n):
        r = client.get("/api/v1/calls", headers=HEPPU, params=params)
    assert r.status_code == 200 and len(r.json()["data"]["calls"]) == 50
    return (time.perf_counter() - t) / n * 1000


if __name__ == "__main__":
    sizes = [int(x) for x in sys.argv[1:]] or [1_000, 1_000_000]
    print(f"{'other calls':>12} {'list 50 (ms)':>13} {'status=initiated (ms)':>22} {'sortBy=scheduledAt (ms)':>24}")
    for others in sizes:
        client = build(others)
        plain = per_request(client, {"limit": 50})
        status = per_request(client, {"limit": 50, "status": "initiated"})
        sched = per_request(client, {"limit": 50, "sortBy": "scheduledAt"})
        print(f"{others:>12,} {plain:>13.2f} {status:>22.2f} {sched:>24.2f}")
