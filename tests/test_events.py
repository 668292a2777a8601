"""Events as a program sees them: a real server, a real SSE client, under
every clock mode. The stream, the outbox and GET agree at every instant."""

from __future__ import annotations

import signal
import threading
import time

import httpx
import pytest
from httpx_sse import connect_sse

from emulator.testing import Emulator

NOW = "2025-12-01T12:00:00Z"
MODES = {"realtime": {}, "scaled": {"speed": 10.0}, "manual": {"now": NOW}}
# A short call: connects 0.2 s after creation, rings 0.1 s later, answered
# at 0.3 s, talks 1.2 s; two turns.
SHORT = {
    "startDelay": 0.2,
    "ringAt": 0.1,
    "answerAt": 0.3,
    "talkFor": 1.2,
    "giveUpAt": None,
    "outcome": "completed",
    "summary": "All done.",
    "turns": [{"at": 0.1, "role": "agent", "text": "Hello there"}, {"at": 0.6, "role": "customer", "text": "Hi, thanks"}],
}
EXPECTED = [
    "call.created",
    "call.status_changed",  # connecting
    "participant.joined",  # agent
    "call.status_changed",  # ringing
    "call.status_changed",  # active
    "participant.joined",  # caller
    "transcript.turn",
    "transcript.turn",
    "participant.left",
    "participant.left",
    "call.status_changed",  # completed
    "call.summary_ready",
    "call.ended",
]


def _assert_course(types: list[str]) -> None:
    """A short call's events: the caller's join and the turns may interleave."""
    assert types[:5] == EXPECTED[:5] and types[-5:] == EXPECTED[-5:]
    assert sorted(types[5:-5]) == sorted(EXPECTED[5:-5])


class Collector:
    """An SSE client in a thread, keeping every event it is sent."""

    def __init__(self, url: str, *, last_event_id: str | None = "0", until=None, **params) -> None:
        self.events: list[dict] = []
        self.ids: list[str] = []
        self.until = until or (lambda events: any(e["type"] == "call.ended" for e in events))
        self.done = threading.Event()
        headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
        self._thread = threading.Thread(target=self._run, args=(url, params, headers), daemon=True)
        self._thread.start()

    def _run(self, url, params, headers) -> None:
        import json

        with httpx.Client(timeout=httpx.Timeout(30.0)) as client:
            with connect_sse(client, "GET", url + "/_emulator/events/stream", params=params, headers=headers) as es:
                for sse in es.iter_sse():
                    ev = json.loads(sse.data)
                    assert sse.event == ev["type"]
                    self.ids.append(sse.id)
                    self.events.append(ev)
                    if self.until(self.events):
                        break
        self.done.set()

    def wait(self, timeout: float = 20.0) -> list[dict]:
        assert self.done.wait(timeout), f"stream ended with {[e['type'] for e in self.events]}"
        return self.events


def _outbox(emu, **params) -> list[dict]:
    return httpx.get(emu.url + "/_emulator/events", params=params).json()["events"]


@pytest.fixture(params=sorted(MODES))
def emu(request):
    with Emulator(clock=request.param, **MODES[request.param]) as e:
        e.mode = request.param
        yield e


def _tenant(emu) -> tuple[str, str]:
    t = emu.control.create_tenant("heppu")
    return t.id, t.keys[0]


def test_stream_outbox_and_get_agree(emu):
    tenant, key = _tenant(emu)
    stream = Collector(emu.url, tenant=tenant)
    call = emu.control.create_call(tenant, **SHORT)
    heppu = httpx.Client(base_url=emu.url, headers={"x-api-key": key})
    if emu.mode == "manual":
        # Step through the call; after each advance (which releases what fell
        # due before answering) the outbox says what GET shows.
        for _ in range(20):
            emu.control.advance(0.1)
            got = heppu.get(f"/api/v1/calls/{call.id}").json()["data"]
            events = _outbox(emu, callId=call.id)
            status = [e["data"]["status"] for e in events if e["type"] in ("call.created", "call.status_changed")][-1]
            turns = [e["data"]["content"] for e in events if e["type"] == "transcript.turn"]
            assert got["status"] == status
            assert [m["content"] for m in got["transcript"] or []] == turns
    events = stream.wait()
    _assert_course([e["type"] for e in events])
    assert events == _outbox(emu, callId=call.id)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert stream.ids == [str(e["seq"]) for e in events]
    assert all(e["id"] == f"evt_{e['seq']:012d}" and e["tenant"] == tenant and e["vendor"] == "heppu" and e["callId"] == call.id for e in events)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    statuses = [(e["data"]["previous"], e["data"]["status"]) for e in events if e["type"] == "call.status_changed"]
    assert statuses == [("initiated", "connecting"), ("connecting", "ringing"), ("ringing", "active"), ("active", "completed")]
    assert events[-1]["data"] == {"status": "completed", "reason": None}
    # The transcript on the stream is the transcript GET shows.
    got = heppu.get(f"/api/v1/calls/{call.id}").json()["data"]
    assert got["status"] == "completed"
    turns = [e["data"] for e in events if e["type"] == "transcript.turn"]
    assert [(t["content"], t["timestamp"][:19]) for t in turns] == [(m["content"], m["timestamp"][:19]) for m in got["transcript"]]
    heppu.close()


def test_last_event_id_resumes_where_the_client_left(emu):
    tenant, _ = _tenant(emu)
    call = emu.control.create_call(tenant, **SHORT)
    if emu.mode == "manual":
        emu.control.advance(5)
    first = Collector(emu.url, tenant=tenant).wait()
    assert [e["callId"] for e in first] == [call.id] * len(EXPECTED)
    # A client that saw the first four reconnects with the fourth's id.
    resumed = Collector(emu.url, tenant=tenant, last_event_id=str(first[3]["seq"])).wait()
    assert resumed == first[4:]


def test_heartbeats_while_idle(emu):
    with httpx.stream("GET", emu.url + "/_emulator/events/stream", params={"heartbeat": 0.1, "tenant": "nobody"}, timeout=10) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        beats = 0
        for line in r.iter_lines():
            beats += line == ": heartbeat"
            if beats == 2:
                break
    assert beats == 2


def test_bad_filters_answer_400():
    with Emulator(clock="manual", now=NOW) as emu:
        r = httpx.get(emu.url + "/_emulator/events", params={"type": "call.exploded"})
        assert r.status_code == 400 and "type" in r.json()["error"]["message"]
        r = httpx.get(emu.url + "/_emulator/events/stream", headers={"Last-Event-ID": "yesterday"})
        assert r.status_code == 400


def test_advance_releases_everything_due_in_order_per_tenant_clock():
    with Emulator(clock="manual", now=NOW) as emu:
        a, _ = _tenant(emu)
        b, _ = _tenant(emu)
        emu.control.set_clock(b, mode="manual")  # b gets its own frozen clock
        for i in range(3):
            emu.control.create_call(a, **{**SHORT, "startDelay": 10.0 * i})
        on_b = emu.control.create_call(b, **SHORT)
        emu.control.advance("1h")
        events = _outbox(emu, tenant=a)
        assert sum(e["type"] == "call.ended" for e in events) == 3
        assert [e["at"] for e in events] == sorted(e["at"] for e in events)
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
        # b's clock did not move: its call was only created.
        assert [e["type"] for e in _outbox(emu, tenant=b)] == ["call.created"]
        emu.control.advance(60, tenant=b)
        _assert_course([e["type"] for e in _outbox(emu, callId=on_b.id)])
        assert len(_outbox(emu, tenant=a, type="call.ended", limit=2)) == 2


def test_an_intervention_reschedules_the_calls_events():
    with Emulator(clock="manual", now=NOW) as emu:
        tenant, key = _tenant(emu)
        call = emu.control.create_call(tenant, **{**SHORT, "talkFor": 600})
        emu.control.advance(1)
        r = httpx.delete(f"{emu.url}/api/v1/calls/{call.id}", headers={"x-api-key": key})
        assert r.status_code == 200, r.text
        emu.control.advance(3600)
        events = _outbox(emu, callId=call.id)
        assert events[-1]["type"] == "call.ended"
        assert events[-1]["at"] == "2025-12-01T12:00:01.000Z"
        assert sum(e["type"] == "call.ended" for e in events) == 1
        assert "call.summary_ready" not in [e["type"] for e in events]


def test_an_intervention_at_an_instant_already_released_still_ends_the_stream():
    """Under a frozen clock a call created now has its first events released
    at once; hanging it up at the same instant must still release its end
    (and webhooks for it), not skip events at an instant already passed."""
    from fastapi.testclient import TestClient

    from .conftest import make_app

    with TestClient(make_app()) as c:
        call = c.post("/_emulator/calls", json={"tenant": "org_abc123", "startDelay": 0, "ringAt": 0, "answerAt": 1, "talkFor": "1h"}).json()
        assert c.post(f"/_emulator/calls/{call['id']}/actions", json={"action": "hangup"}).status_code == 200
        events = c.get("/_emulator/events", params={"callId": call["id"]}).json()["events"]
        types = [e["type"] for e in events]
        assert types[-1] == "call.ended" and events[-1]["data"]["status"] == "cancelled"
        assert types.count("participant.joined") == types.count("participant.left")


def _hold_stream_open(url: str, ended: threading.Event) -> threading.Thread:
    """An SSE client that stays connected until the server goes away."""

    def read() -> None:
        try:
            with httpx.stream("GET", url + "/_emulator/events/stream", params={"heartbeat": 0.2}, timeout=30) as r:
                for _ in r.iter_lines():
                    pass
        except httpx.HTTPError:
            pass  # the server closed the stream: what stopping means
        ended.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


@pytest.mark.parametrize("config", ["manual", "default"])
@pytest.mark.parametrize("mode", ["thread", "subprocess"])
def test_stopping_with_a_stream_open_ends_the_server(mode, config):
    # A dashboard or SSE client left open must not keep the server from
    # stopping (the fixture's stop, Ctrl-C on `serve`): the stream is closed,
    # idle (manual clock) or busy (the defaults: realtime, demo traffic).
    settings = {"clock": "manual", "now": NOW} if config == "manual" else {}
    emu = Emulator(mode=mode, **settings).start()
    ended = threading.Event()
    try:
        _hold_stream_open(emu.url, ended)
        time.sleep(1.0)  # the stream is open and beating
        assert not ended.is_set()
        proc, thread = emu._proc, emu._thread
    finally:
        emu.stop()
    if mode == "thread":
        assert not thread.is_alive(), "the server thread was still serving the stream when stop gave up"
    else:
        # uvicorn ends by re-raising the signal it shut down on; -9 would be
        # the fixture's kill after serve ignored SIGTERM.
        assert proc.returncode in (0, -signal.SIGTERM), f"serve did not stop on SIGTERM by itself (exit {proc.returncode})"
    assert ended.wait(10), "the stream never ended"
