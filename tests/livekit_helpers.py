"""Driving the emulator with the real livekit-api client."""

from __future__ import annotations

import asyncio

import httpx
from livekit import api

DEV = ("devkey", "secret")
ACME = ("APIacme7Kq2vXw9", "acme-livekit-secret-6b1f0e4c9d2a7358")  # org_abc123's own pair
DEMO_WS = ("APIdemo5Hn4Pq1", "demo-workspace-livekit-secret-8e2a4c6b")  # the Trillet demo workspace's
SUPPORT = "550e8400-e29b-41d4-a716-446655440000"  # Heppu org_abc123's support agent
HEPPU = {"x-api-key": "YOUR_API_KEY"}
TRILLET = {"x-api-key": "YOUR_API_KEY", "x-workspace-id": "69cf4b468d2a8a6a8e39b684"}


def lk(url: str, pair=DEV, fn=None):
    """Run `fn(client)` (a coroutine function) with a LiveKitAPI client."""

    async def run():
        async with api.LiveKitAPI(url, *pair) as client:
            return await fn(client)

    return asyncio.run(run())


def heppu_call(url: str, phone: str = "+15005550001") -> dict:
    r = httpx.post(url + "/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SUPPORT, "phoneNumber": phone})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def heppu_get(url: str, call_id: str) -> dict:
    r = httpx.get(f"{url}/api/v1/calls/{call_id}", headers=HEPPU)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def bearer(pair, **grants) -> dict:
    """An Authorization header as the Node SDK signs it (JSON clients)."""
    token = api.AccessToken(*pair).with_grants(api.VideoGrants(**grants)).to_jwt()
    return {"Authorization": f"Bearer {token}"}
