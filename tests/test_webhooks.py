"""Webhooks as a receiver sees them: a real HTTP server on a free port,
under every clock mode."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest

from emulator.testing import Emulator

from .conftest import ROOT
from .receiver import Receiver

NOW = "2025-12-01T12:00:00Z"
MODES = {"realtime": {}, "scaled": {"speed": 10.0}, "manual": {"now": NOW}}
EXAMPLE = json.loads((ROOT / "fixtures" / "examples" / "heppu_webhook.json").read_text())["call.completed"]
ORG = "org_abc123"
WORKSPACE = "69cf4b468d2a8a6a8e39b684"
TRILLET = {"x-api-key": "YOUR_API_KEY", "x-workspace-id": WORKSPACE}
TRILLET_AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"
SHORT = {"startDelay": 0.2, "ringAt": 0.1, "answerAt": 0.3, "talkFor": 1.0, "giveUpAt": None, "outcome": "completed", "summary": "Sorted."}


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(params=sorted(MODES))
def emu(request):
    with Emulator(clock=request.param, **MODES[request.param]) as e:
        e.mode = request.param
        yield e


def _hook(emu, **body) -> dict:
    r = httpx.post(emu.url + "/_emulator/webhooks", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _finish(emu, seconds: float = 5) -> None:
    if emu.mode == "manual":
        emu.control.advance(seconds)


def _deliveries(emu, **params) -> list[dict]:
    return httpx.get(emu.url + "/_emulator/webhooks/deliveries", params=params).json()["deliveries"]


def test_heppu_call_completed_is_the_documented_payload_signed(emu, receiver):
    _hook(emu, url=receiver.url, tenant=ORG, secret="s3cret")
    call = emu.control.create_call(ORG, **SHORT, metadata={"orderId": "ORD-1"}, attributes={"callMetadata": {"custom": {"orderId": "ORD-1"}}})
    _finish(emu)
    got = next(r for r in receiver.wait(lambda rs: any(r["json"]["conversationId"] == call.id for r in rs)) if r["json"]["conversationId"] == call.id)
    body = got["json"]
    assert list(body) == list(EXAMPLE)  # the documented keys, in the documented order
    heppu = httpx.get(f"{emu.url}/api/v1/calls/{call.id}", headers={"x-api-key": "YOUR_API_KEY"}).json()["data"]
    assert body["event"] == "call.completed" and body["status"] == "completed" == heppu["status"]
    assert body["conversationId"] == call.id and body["organizationId"] == ORG
    assert body["summary"] == heppu["summary"] == "Sorted."
    assert body["duration"] == heppu["duration"] and body["agentId"] == heppu["agent"]["id"]
    assert body["timestamp"] == heppu["endedAt"]
    assert body["callMetadata"] == {"custom": {"orderId": "ORD-1"}}
    assert body["webhookId"].startswith("whd_")
    # Signed: HMAC-SHA256 over "<timestamp>.<raw body>".
    h = {k.lower(): v for k, v in got["headers"].items()}
    ts = h["x-emulator-timestamp"]
    assert abs(int(ts) - time.time()) < 60
    expected = hmac.new(b"s3cret", ts.encode() + b"." + got["raw"], hashlib.sha256).hexdigest()
    assert h["x-emulator-signature"] == f"v1={expected}"
    assert h["x-emulator-event-id"].startswith("evt_")
    # Only call.completed by default: nothing else was sent.
    time.sleep(0.2)
    assert {r["json"]["event"] for r in receiver.requests} == {"call.completed"}


def test_heppu_own_events_only_when_asked(emu, receiver):
    _hook(emu, url=receiver.url, tenant=ORG, events=["call.started", "call.busy"])
    emu.control.create_call(ORG, contactPhone="+15005550002")  # busy
    emu.control.create_call(ORG, **SHORT)
    _finish(emu, 10)
    got = receiver.wait(lambda rs: len(rs) >= 2)
    assert sorted(r["json"]["event"] for r in got) == ["call.busy", "call.started"]


def test_trillet_callback_url_gets_every_event_in_order_as_the_routes_show_it(emu, receiver):
    if emu.mode == "realtime":  # a short call, so the test does not wait a minute
        emu.control.create_call(WORKSPACE, **SHORT, attributes={"callback_url": receiver.url})
    else:
        r = httpx.post(f"{emu.url}/v1/api/call", headers=TRILLET, json={"to": "+15005550001", "call_agent_id": TRILLET_AGENT, "callback_url": receiver.url})
        assert r.status_code == 200, r.text
    _finish(emu, 70)
    got = receiver.wait(lambda rs: any(x["json"]["event"] == "call.ended" for x in rs))
    events = [x["json"]["event"] for x in got]
    assert events[0] == "call.created" and events[-1] == "call.ended"
    ids = [int(x["headers"]["X-Emulator-Event-Id"][4:]) for x in got]
    assert ids == sorted(ids)
    last = got[-1]["json"]["data"]
    history = httpx.get(f"{emu.url}/v2/api/call-history/{last['_id']}", headers=TRILLET).json()
    assert last == history


@pytest.mark.parametrize("mode", ["manual"])
def test_retries_after_a_500_then_redelivery(mode):
    receiver = Receiver(statuses=[500, 500])
    try:
        with Emulator(clock=mode, now=NOW) as emu:
            emu.mode = mode
            hook = _hook(emu, url=receiver.url, tenant=ORG, backoff=0.05)
            call = emu.control.create_call(ORG, **SHORT)
            _finish(emu)
            got = receiver.wait(lambda rs: len(rs) == 3)
            assert len({r["headers"]["X-Emulator-Event-Id"] for r in got}) == 1
            assert len({r["raw"] for r in got}) == 1
            (d,) = receiver.wait(lambda rs: True) and _wait_deliveries(emu, callId=call.id, status="delivered")
            assert d["attempts"] == 3 and d["responseStatus"] == 200 and d["webhook"] == hook["id"]
            r = httpx.post(f"{emu.url}/_emulator/webhooks/deliveries/{d['id']}/redeliver")
            assert r.status_code == 202 and r.json()["eventId"] == d["eventId"]
            again = receiver.wait(lambda rs: len(rs) == 4)[-1]
            assert again["raw"] == got[0]["raw"] and again["headers"]["X-Emulator-Event-Id"] == d["eventId"]
            assert httpx.post(f"{emu.url}/_emulator/webhooks/deliveries/dlv_nope/redeliver").status_code == 404
    finally:
        receiver.close()


def _wait_deliveries(emu, n: int = 1, **params) -> list[dict]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = _deliveries(emu, **params)
        if len(found) >= n:
            return found
        time.sleep(0.02)
    raise AssertionError(_deliveries(emu))


def test_delivery_faults_drop_and_duplicate(receiver):
    with Emulator(clock="manual", now=NOW) as emu:
        dropper = _hook(emu, url=receiver.url + "?drop", tenant=WORKSPACE, faults={"drop": 1.0})
        _hook(emu, url=receiver.url + "?dup", tenant=WORKSPACE, events=["call.ended"], faults={"duplicate": 1.0})
        emu.control.create_call(WORKSPACE, **SHORT)
        emu.control.advance(5)
        got = receiver.wait(lambda rs: len(rs) == 2)
        assert all(r["path"].endswith("?dup") for r in got)
        assert got[0]["raw"] == got[1]["raw"] and got[0]["headers"]["X-Emulator-Event-Id"] == got[1]["headers"]["X-Emulator-Event-Id"]
        dropped = _wait_deliveries(emu, n=5, webhook=dropper["id"], status="dropped")
        assert len(dropped) >= 5
        time.sleep(0.2)
        assert len(receiver.requests) == 2


def test_registration_errors_and_listing():
    with Emulator(clock="manual", now=NOW, webhooks=[{"url": "http://127.0.0.1:9/configured"}]) as emu:
        listed = httpx.get(emu.url + "/_emulator/webhooks").json()["webhooks"]
        assert [(w["url"], w["source"]) for w in listed] == [("http://127.0.0.1:9/configured", "config")]
        assert httpx.post(emu.url + "/_emulator/webhooks", json={"url": "ftp://x"}).status_code == 400
        assert httpx.post(emu.url + "/_emulator/webhooks", json={"url": "http://x", "tenant": "org_nope"}).status_code == 404
        r = httpx.post(emu.url + "/_emulator/webhooks", json={"url": "http://x", "tenant": ORG, "events": ["call.exploded"]})
        assert r.status_code == 400 and "call.exploded" in r.json()["error"]["message"]
        hook = _hook(emu, url="http://127.0.0.1:9/x", tenant=ORG, secret="k")
        assert hook["signed"] is True and "secret" not in hook
        state = emu.control.export_state()
        assert [w["url"] for w in state["webhooks"]] == ["http://127.0.0.1:9/configured", "http://127.0.0.1:9/x"]
        assert httpx.delete(f"{emu.url}/_emulator/webhooks/{hook['id']}").status_code == 204
        assert httpx.delete(f"{emu.url}/_emulator/webhooks/{hook['id']}").status_code == 404
        emu.control.import_state(state)
        assert len(httpx.get(emu.url + "/_emulator/webhooks").json()["webhooks"]) == 2


def test_a_dead_receiver_never_slows_requests():
    with Emulator(clock="manual", now=NOW) as emu:
        _hook(emu, url="http://10.255.255.1:9/blackhole", timeout=5, tenant=ORG, events=["call.completed"])
        for _ in range(20):
            emu.control.create_call(ORG, **SHORT)
        started = time.perf_counter()
        emu.control.advance(5)
        assert time.perf_counter() - started < 2.0
