"""What is sent outside requests survives a restart with the same data dir:
webhook deliveries still pending (the receiver was down or failing) are
sent by the next process with their event id, body and signature, the
attempts going on; events the timer emitted with no request after them
keep their numbers (SSE ids never repeat after a kill -9). Every server
here is a real subprocess, every receiver a real HTTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter

import httpx
import pytest
from httpx_sse import connect_sse

from emulator.testing import Emulator
from emulator.testing.server import free_port

from .receiver import Receiver
from .stored import kill, server

NOW = "2025-12-01T15:30:10Z"
ORG = "org_abc123"
WORKSPACE = "69cf4b468d2a8a6a8e39b684"
SECRET = "s3cret"
SHORT = {"startDelay": 0.2, "ringAt": 0.1, "answerAt": 0.3, "talkFor": 1.0, "giveUpAt": None, "outcome": "completed", "summary": "Sorted."}


def hook(emu: Emulator, **body) -> dict:
    r = httpx.post(emu.url + "/_emulator/webhooks", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def deliveries(emu: Emulator, **params) -> list[dict]:
    r = httpx.get(emu.url + "/_emulator/webhooks/deliveries", params=params)
    assert r.status_code == 200, r.text
    return r.json()["deliveries"]


def wait_for(fn, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out")


def registrations(emu: Emulator) -> list[dict]:
    """The registered webhooks, without what changes as deliveries go."""
    hooks = httpx.get(emu.url + "/_emulator/webhooks").json()["webhooks"]
    return [{k: v for k, v in h.items() if k not in ("pending", "dropped")} for h in hooks]


def signed_by(secret: str, request: dict) -> bool:
    h = request["headers"]
    mac = hmac.new(secret.encode(), h["x-emulator-timestamp"].encode() + b"." + request["raw"], hashlib.sha256).hexdigest()
    return h["x-emulator-signature"] == f"v1={mac}"


@pytest.mark.parametrize("stop", ["graceful", "kill -9"])
def test_deliveries_pending_while_the_receiver_is_down_are_sent_after_a_restart(tmp_path, stop):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"  # nothing listens there yet
    with server(tmp_path, clock="manual", now=NOW) as emu:
        registered = hook(emu, url=url, tenant=ORG, secret=SECRET, backoff=60, maxAttempts=10)
        for _ in range(2):
            emu.control.create_call(ORG, **SHORT)
        # A call's own callback receiver (not a registration) is down too.
        emu.control.create_call(WORKSPACE, **SHORT, attributes={"callback_url": url})
        emu.control.advance(5)
        # Each receiver's first delivery failed and waits for its retry (a
        # minute for the registration's); the others wait behind it.
        before = wait_for(lambda: (ds := deliveries(emu)) and len({d["webhook"] for d in ds if d["attempts"]}) == 2 and ds)
        assert {d["status"] for d in before} == {"pending"}
        assert {d["webhook"] for d in before if d["tenant"] == ORG} == {registered["id"]}
        assert any(d["tenant"] == WORKSPACE for d in before)
        if stop == "kill -9":
            kill(emu)
    receiver = Receiver(port)
    try:
        with server(tmp_path, clock="manual") as emu:
            wanted = {d["id"]: d for d in before}
            receiver.wait(lambda rs: wanted.keys() <= {r["headers"]["x-emulator-delivery"] for r in rs})
            delivered = wait_for(lambda: (ds := deliveries(emu, status="delivered")) and len(ds) >= len(wanted) and ds)
            after = {d["id"]: d for d in delivered}
            time.sleep(0.5)  # nothing more comes
            sent = Counter((r["headers"]["x-emulator-event-id"], r["headers"]["x-emulator-event"], r["headers"]["x-emulator-delivery"]) for r in receiver.requests)
            for d in before:
                key = (d["eventId"], d["event"], d["id"])
                # Once each after a graceful stop; at least once after kill -9.
                assert sent[key] == 1 if stop == "graceful" else sent[key] >= 1, (key, sent)
                if d["webhook"] == registered["id"]:  # no retry came in between
                    assert after[d["id"]]["attempts"] == d["attempts"] + 1  # the count goes on
            assert set(sent) == {(d["eventId"], d["event"], d["id"]) for d in before}
            for r in receiver.requests:
                if json.loads(r["raw"]).get("organizationId") == ORG:
                    assert signed_by(SECRET, r)  # the registration's secret survived
            # The registration is still there; new deliveries get new ids.
            hooks = httpx.get(emu.url + "/_emulator/webhooks").json()["webhooks"]
            assert [h["id"] for h in hooks if h["source"] == "api"] == [registered["id"]]
            emu.control.create_call(ORG, **SHORT)
            emu.control.advance(5)
            fresh = receiver.wait(lambda rs: len({r["headers"]["x-emulator-delivery"] for r in rs}) > len(wanted))
            new_ids = {r["headers"]["x-emulator-delivery"] for r in fresh} - wanted.keys()
            assert new_ids and min(new_ids) > max(wanted)
    finally:
        receiver.close()


def test_a_failing_receiver_gets_the_same_delivery_after_a_restart_with_its_attempts_going_on(tmp_path):
    receiver = Receiver(status=500)
    try:
        with server(tmp_path, clock="manual", now=NOW) as emu:
            # Retries 0.5 s then 1 s apart: stopped after the second attempt,
            # before the third.
            kept = hook(emu, url=receiver.url, tenant=ORG, secret=SECRET, backoff=0.5, maxAttempts=10, events=["call.completed"])
            gone = hook(emu, url=receiver.url + "?gone", tenant=ORG, events=["call.completed"], backoff=60)
            emu.control.create_call(ORG, **SHORT)
            emu.control.advance(5)
            receiver.wait(lambda rs: len([r for r in rs if "x-emulator-signature" in r["headers"]]) >= 2)
            assert httpx.delete(f"{emu.url}/_emulator/webhooks/{gone['id']}").status_code == 204
            hooks_before = registrations(emu)
        failed = [r for r in receiver.requests if "x-emulator-signature" in r["headers"]]
        receiver.status = 200
        with server(tmp_path, clock="manual") as emu:
            receiver.wait(lambda rs: any(r["status"] == 200 for r in rs))
            [d] = wait_for(lambda: deliveries(emu, status="delivered"))
            time.sleep(0.3)
            assert registrations(emu) == hooks_before
        ok = [r for r in receiver.requests if r["status"] == 200]
        assert len(ok) == 1  # the removed registration's delivery is not sent again
        first, last = failed[0], ok[0]
        assert last["raw"] == first["raw"]  # the same body, byte for byte
        for h in ("x-emulator-event-id", "x-emulator-event", "x-emulator-delivery"):
            assert last["headers"][h] == first["headers"][h]
        assert signed_by(SECRET, last)
        assert d["webhook"] == kept["id"] and d["attempts"] == len(failed) + 1
    finally:
        receiver.close()


def test_a_reset_keeps_the_configured_receivers_pending_deliveries(tmp_path):
    port = free_port()
    config = json.dumps([{"url": f"http://127.0.0.1:{port}/hook", "tenant": ORG}])
    with server(tmp_path, clock="manual", now=NOW, webhooks=config) as emu:
        emu.control.create_call(ORG, **SHORT)
        emu.control.advance(5)
        [pending] = wait_for(lambda: [d for d in deliveries(emu) if d["attempts"]])
        r = httpx.post(emu.url + "/_emulator/reset", json={})
        assert r.status_code == 200, r.text
        # The reset stored a new baseline; the configured receiver and what
        # it still has to receive follow it.
        kill(emu)
    receiver = Receiver(port)
    try:
        with server(tmp_path, clock="manual", webhooks=config):
            got = receiver.wait(lambda rs: rs)
            assert got[0]["headers"]["x-emulator-event-id"] == pending["eventId"]
            assert got[0]["headers"]["x-emulator-delivery"] == pending["id"]
    finally:
        receiver.close()


def stream(url: str, seen: list[dict]) -> None:
    """An SSE client: every event it is sent, until the server dies."""
    try:
        with httpx.Client(timeout=None) as client, connect_sse(client, "GET", url + "/_emulator/events/stream") as es:
            for sse in es.iter_sse():
                if sse.event and sse.data:
                    seen.append(json.loads(sse.data))
    except httpx.HTTPError:
        pass


@pytest.mark.parametrize("clock", [{}, {"clock": "scaled", "speed": 10.0}], ids=["realtime, demo on", "scaled"])
def test_what_the_timer_released_survives_kill_9_event_numbers_and_deliveries(tmp_path, clock):
    settings = {"demo": True, **clock}
    port = free_port()  # a receiver that is down until the restart
    with server(tmp_path, **settings) as emu:
        hook(emu, url=f"http://127.0.0.1:{port}/hook", tenant=ORG, events=["call.completed"], backoff=60)
        seen: list[dict] = []
        reader = threading.Thread(target=stream, args=(emu.url, seen), daemon=True)
        reader.start()
        time.sleep(0.3)
        call = emu.control.create_call(ORG, **SHORT)
        # The call's events come from the timer: no request follows them.
        wait_for(lambda: any(e["type"] == "call.ended" and e["callId"] == call.id for e in seen))
        ended = next(e for e in seen if e["type"] == "call.ended" and e["callId"] == call.id)
        last = seen[-1]["seq"]
        assert [e["seq"] for e in seen] == list(range(seen[0]["seq"], last + 1))
        kill(emu)
        reader.join(10)
    receiver = Receiver(port)
    try:
        with server(tmp_path, **settings) as emu:
            # The delivery that call's end queued was stored with it.
            receiver.wait(lambda rs: any(r["headers"]["x-emulator-event-id"] == ended["id"] for r in rs))
            emu.control.create_call(ORG, **SHORT)
            events = wait_for(lambda: [e for e in httpx.get(emu.url + "/_emulator/events").json()["events"] if e["type"] == "call.ended"])
            assert events[0]["seq"] > last
            assert all(e["seq"] > last for e in httpx.get(emu.url + "/_emulator/events").json()["events"])
    finally:
        receiver.close()
