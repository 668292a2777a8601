"""Work due at an instant (retries, demo calls) happens on the scheduler at
that instant whoever reads, and is part of the exported state."""

from __future__ import annotations

import time

import httpx
import pytest

from emulator.testing import Emulator

NOW = "2025-12-01T12:00:00Z"
ORG = "org_abc123"
HEPPU = {"x-api-key": "YOUR_API_KEY"}
SUPPORT = "550e8400-e29b-41d4-a716-446655440000"
BUSY = "+15005550002"  # rings 2 s, then busy: ends 3 s after it starts


def _chain(emu) -> list:
    return [c for c in emu.control.calls(tenant=ORG, limit=500) if c.contactPhone == BUSY]


def test_retries_appear_for_control_reads_and_survive_export_and_import():
    with Emulator(clock="manual", now=NOW) as emu:
        r = httpx.post(
            emu.url + "/api/v1/calls/schedule",
            headers=HEPPU,
            json={"agentId": SUPPORT, "contactPhone": BUSY, "maxRetries": 2, "retryIntervals": ["10 minutes"]},
        )
        assert r.status_code == 201, r.text
        emu.control.advance(10)
        # Only the control plane reads: the retry is there all the same.
        chain = _chain(emu)
        assert sorted(c.status for c in chain) == ["busy", "scheduled"]
        state = emu.control.export_state()
        retry = next(c for c in chain if c.status == "scheduled")
        assert {"callId": retry.id, "kinds": ["retry"], "at": pytest.approx(state["scheduler"]["waiting"][0]["at"])} in state["scheduler"]["waiting"]

    with Emulator(clock="manual", now="2020-01-01T00:00:00Z") as fresh:
        fresh.control.import_state(state)
        assert fresh.control.export_state()["scheduler"] == state["scheduler"]
        fresh.control.advance("11m")
        chain = _chain(fresh)
        assert sorted(c.status for c in chain) == ["busy", "busy", "scheduled"]
        fresh.control.advance("11m")
        assert sorted(c.status for c in _chain(fresh)) == ["busy", "busy", "busy"]  # maxRetries 2: the chain is over
        assert fresh.control.export_state()["scheduler"]["waiting"] == []


def test_demo_starts_with_calls_in_every_state_and_a_steady_stream_per_tenant():
    with Emulator(demo=True, demo_every=0.5) as emu:  # the default clock: realtime
        state = emu.control.export_state()
        demo = state["scheduler"]["demo"]
        assert len(demo) >= 2
        for tenant in demo:
            statuses = {c.status for c in emu.control.calls(tenant=tenant, limit=500)}
            assert {"completed", "failed", "cancelled", "no_answer", "busy", "scheduled", "ringing", "active"} <= statuses, tenant
        before = {t: len(emu.control.calls(tenant=t, limit=500)) for t in demo}
        time.sleep(1.6)
        # Nobody read a vendor route: each tenant got its own new calls.
        after = {t: len(emu.control.calls(tenant=t, limit=500)) for t in demo}
        assert all(after[t] >= before[t] + 2 for t in demo), (before, after)
        exported = emu.control.export_state()["scheduler"]["demo"]
        assert all(exported[t]["next"] >= 3 for t in demo)


def test_demo_streams_go_on_after_an_import():
    with Emulator(demo=True, clock="manual", now=NOW, demo_every=8) as emu:
        state = emu.control.export_state()
    with Emulator(clock="manual", now=NOW) as fresh:
        fresh.control.import_state(state)
        tenant = next(iter(state["scheduler"]["demo"]))
        before = len(fresh.control.calls(tenant=tenant, limit=500))
        fresh.control.advance(80)
        assert len(fresh.control.calls(tenant=tenant, limit=500)) == before + 10
