"""kill -9 under a stream of writes: a server with a data dir takes creates,
cancels and interventions from two clients at once and is killed with
SIGKILL at a random (seeded) moment, again and again. After every restart
each write that was acknowledged is there, and nothing else is but what
was in flight when it died."""

from __future__ import annotations

import random
import signal
import sqlite3
import threading
import time

import httpx

from emulator.testing import Emulator

from .conftest import HEPPU

SEED = 1414
ROUNDS = 6
SUPPORT = "550e8400-e29b-41d4-a716-446655440000"


class Acked:
    """What the server acknowledged, and how many creates were unanswered."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.created: set[str] = set()
        self.cancelled: set[str] = set()
        self.said: set[tuple[str, str]] = set()
        self.unanswered_creates = 0


def writer(url: str, rng: random.Random, acked: Acked, stop: threading.Event, name: str) -> None:
    http = httpx.Client(base_url=url, timeout=5)
    mine: list[str] = []
    n = 0
    while not stop.is_set():
        n += 1
        op = rng.choice(["create", "create", "heppu", "cancel", "say"]) if mine else rng.choice(["create", "heppu"])
        try:
            if op == "create":
                r = http.post("/_emulator/calls", json={"tenant": "org_abc123", "answerAt": 3600})
                if r.status_code == 201:
                    with acked.lock:
                        acked.created.add(r.json()["id"])
                    mine.append(r.json()["id"])
            elif op == "heppu":
                r = http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SUPPORT, "phoneNumber": "+14155550199"})
                if r.status_code == 201:
                    with acked.lock:
                        acked.created.add(r.json()["data"]["id"])
            elif op == "cancel":
                call = mine.pop(rng.randrange(len(mine)))
                r = http.post(f"/_emulator/calls/{call}/actions", json={"action": "cancel"})
                if r.status_code == 200:
                    with acked.lock:
                        acked.cancelled.add(call)
            else:
                call = rng.choice(mine)
                text = f"{name} turn {n}"
                r = http.post(f"/_emulator/calls/{call}/turns", json={"role": "customer", "text": text})
                if r.status_code == 200:
                    with acked.lock:
                        acked.said.add((call, text))
        except httpx.HTTPError:  # killed mid-request: not acknowledged
            if op in ("create", "heppu"):
                with acked.lock:
                    acked.unanswered_creates += 1
            break
    http.close()


def check(state: dict, acked: Acked, fixtures: set[str]) -> None:
    calls = {c["plan"]["id"]: c for c in state["calls"]}
    assert acked.created <= set(calls), "an acknowledged create is missing"
    unknown = set(calls) - acked.created - fixtures
    assert len(unknown) <= acked.unanswered_creates, "a call nobody created"
    for call in acked.cancelled:
        ends = [iv for iv in calls[call]["interventions"] if iv["kind"] == "end"]
        assert ends and ends[0]["status"] == "cancelled", f"acknowledged cancel of {call} is missing"
    for call, text in acked.said:
        assert any(iv["kind"] == "say" and iv["turn"]["text"] == text for iv in calls[call]["interventions"]), "an acknowledged turn is missing"


def test_kill_9_under_writes_loses_no_acknowledged_write(tmp_path):
    rng = random.Random(SEED)
    acked = Acked()
    fixtures: set[str] | None = None
    total_writes = 0
    for round_ in range(ROUNDS):
        emu = Emulator(mode="subprocess", data_dir=str(tmp_path), clock="manual", now="2025-12-01T15:30:10Z", startup_timeout=90)
        emu.start()
        try:
            state = httpx.get(emu.url + "/_emulator/state", timeout=10).json()
            if fixtures is None:
                fixtures = {c["plan"]["id"] for c in state["calls"]}
            check(state, acked, fixtures)
            acked.unanswered_creates = 0  # what was in flight is settled: there or not
            acked.created |= {c["plan"]["id"] for c in state["calls"]} - fixtures
            total_writes = len(acked.created) + len(acked.cancelled) + len(acked.said)
            stop = threading.Event()
            threads = [
                threading.Thread(target=writer, args=(emu.url, random.Random(rng.random()), acked, stop, f"w{round_}.{i}"))
                for i in range(2)
            ]
            for t in threads:
                t.start()
            # Kill once writes flow, at a random moment after.
            deadline = time.monotonic() + 10
            while len(acked.created) + len(acked.cancelled) + len(acked.said) == total_writes and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.6))
            emu._proc.send_signal(signal.SIGKILL)
            emu._proc.wait()
            stop.set()
            for t in threads:
                t.join(timeout=10)
        finally:
            emu.stop()
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Emulator(mode="subprocess", data_dir=str(tmp_path), startup_timeout=90) as emu:
        check(httpx.get(emu.url + "/_emulator/state", timeout=10).json(), acked, fixtures)
    assert len(acked.created) + len(acked.cancelled) + len(acked.said) > total_writes > 2 * ROUNDS
