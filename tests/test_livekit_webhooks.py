"""LiveKit webhooks: an emulator event and its call become WebhookEvent
messages, and the request LiveKit would send is accepted by
livekit.api.WebhookReceiver (and refused once a byte changes); delivered to a
real receiver registered with kind `livekit`, in every clock mode."""

from __future__ import annotations

import time

import httpx
import pytest
from livekit import api

from emulator.core.timeutil import iso_millis
from emulator.providers.livekit import webhooks
from emulator.testing import Emulator

from .conftest import Driver, make_app
from .livekit_helpers import ACME, DEV, HEPPU, heppu_call

MAGIC = "+15005550001"  # answered 5 s after it starts, talks 60 s


@pytest.fixture
def call():
    d = Driver(make_app())
    r = d.http.post("/api/v1/calls/outbound", headers={"x-api-key": "YOUR_API_KEY"}, json={"agentId": "550e8400-e29b-41d4-a716-446655440000", "phoneNumber": MAGIC})
    assert r.status_code == 201, r.text
    return d.engine.store.get(r.json()["data"]["id"])


def event(record, type_: str, at: float, **data) -> dict:
    """An event in the shared event model, as the events layer emits it."""
    p = record.plan
    return {"id": "evt_000000000042", "seq": 42, "type": type_, "at": iso_millis(at), "tenant": p.tenant, "vendor": "heppu",
            "callId": p.id, "room": p.room, "data": data}


def receive(message, pair=DEV):
    body, headers = webhooks.request(message, *pair)
    assert headers["Content-Type"] == "application/webhook+json" and not headers["Authorization"].startswith("Bearer")
    return api.WebhookReceiver(api.TokenVerifier(*pair)).receive(body.decode(), headers["Authorization"])


def test_room_started_when_the_call_connects(call):
    start = call.plan.start_at
    (msg,) = webhooks.webhook_events(event(call, "call.status_changed", start, status="connecting", previous="initiated"), call)
    got = receive(msg)
    assert got.event == "room_started" and got.room.name == call.plan.room and got.room.sid.startswith("RM_")
    assert got.room.creation_time == int(start) and got.id.startswith("EV_") and got.created_at == int(start)


def test_participant_joined_then_track_published(call):
    s = call.at(call.plan.start_at + 10)
    caller = next(p for p in s.participants if p.kind == "caller")
    joined, published = (receive(m, ACME) for m in webhooks.webhook_events(event(call, "participant.joined", caller.joined_at, identity=caller.identity, name=caller.name, kind="caller"), call))
    assert joined.event == "participant_joined" and joined.participant.identity == caller.identity
    assert joined.participant.kind == api.ParticipantInfo.Kind.SIP and joined.participant.attributes["sip.phoneNumber"] == MAGIC
    assert joined.room.num_participants == 2
    assert published.event == "track_published" and published.track.sid == joined.participant.tracks[0].sid
    assert published.room.name == call.plan.room and published.room.num_participants == 0  # sid and name only


def test_participant_left_and_room_finished(call):
    end = call.plan.natural_end
    agent = call.at(end - 1).participants[0]
    (left,) = [receive(m) for m in webhooks.webhook_events(event(call, "participant.left", end, identity=agent.identity, name=agent.name, kind="agent"), call)]
    assert left.event == "participant_left" and left.participant.state == api.ParticipantInfo.State.DISCONNECTED
    (finished,) = [receive(m) for m in webhooks.webhook_events(event(call, "call.ended", end, status="completed", reason=None), call)]
    assert finished.event == "room_finished" and finished.room.name == call.plan.room


def test_events_without_a_room_make_no_webhook(call):
    assert webhooks.webhook_events(event(call, "call.created", call.plan.created_at), call) == []
    assert webhooks.webhook_events(event(call, "transcript.turn", call.plan.start_at + 8, index=0), call) == []


def test_a_changed_body_or_wrong_secret_is_refused(call):
    (msg,) = webhooks.webhook_events(event(call, "call.status_changed", call.plan.start_at, status="connecting"), call)
    body, headers = webhooks.request(msg, *DEV)
    tampered = body.decode().replace(call.plan.room, call.plan.room + "x")
    with pytest.raises(Exception, match="hash mismatch"):
        api.WebhookReceiver(api.TokenVerifier(*DEV)).receive(tampered, headers["Authorization"])
    with pytest.raises(Exception):
        api.WebhookReceiver(api.TokenVerifier("devkey", "other")).receive(body.decode(), headers["Authorization"])


def test_body_is_protojson_lower_camel(call):
    (msg,) = webhooks.webhook_events(event(call, "call.status_changed", call.plan.start_at, status="connecting"), call)
    text = webhooks.body(msg).decode()
    assert '"creationTime":"' in text and '"emptyTimeout":300' in text and "creation_time" not in text


# -- delivered: a real receiver, a real server, every clock mode ---------------

from .test_webhooks import NOW, SHORT, Receiver  # noqa: E402

ORG = "org_abc123"  # signs with its first LiveKit pair, ACME


def _verified(receiver: Receiver, room: str, pair=ACME) -> list:
    """Every POST for `room`, each verified as livekit-api verifies it."""
    check = api.WebhookReceiver(api.TokenVerifier(*pair))
    out = []
    for r in list(receiver.requests):
        h = {k.lower(): v for k, v in r["headers"].items()}
        assert h["content-type"] == "application/webhook+json"
        msg = check.receive(r["raw"].decode(), h["authorization"])
        if msg.room.name == room:
            out.append(msg)
    return out


def _wait_finished(receiver: Receiver, room: str) -> list:
    receiver.wait(lambda rs: any(r["json"]["event"] == "room_finished" and r["json"]["room"]["name"] == room for r in rs))
    return _verified(receiver, room)


def _assert_room_lifecycle(msgs: list, room: str) -> None:
    names = [m.event for m in msgs]
    assert names[0] == "room_started" and names[-1] == "room_finished" and names.count("room_started") == names.count("room_finished") == 1, names
    joined = [i for i, n in enumerate(names) if n == "participant_joined"]
    left = [i for i, n in enumerate(names) if n == "participant_left"]
    assert len(joined) == len(left) >= 2, names  # the agent and the caller
    assert max(joined) < min(left), names
    for i in joined:  # each join is followed by its track
        assert names[i + 1] == "track_published" and msgs[i + 1].participant.identity == msgs[i].participant.identity
        assert msgs[i + 1].track.sid == msgs[i].participant.tracks[0].sid
    assert {msgs[i].participant.identity for i in joined} == {msgs[i].participant.identity for i in left}
    assert all(msgs[i].participant.state == api.ParticipantInfo.State.DISCONNECTED for i in left)
    assert all(m.room.name == room for m in msgs) and len({m.id for m in msgs}) == len(msgs)
    assert [m.created_at for m in msgs] == sorted(m.created_at for m in msgs)


def _register(emu, url: str, **extra) -> dict:
    r = httpx.post(emu.url + "/_emulator/webhooks", json={"url": url, "tenant": ORG, "kind": "livekit", **extra})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_realtime_default_a_controlled_call_sends_its_room_lifecycle(receiver):
    with Emulator() as emu:  # the default: realtime clock, demo traffic on
        _register(emu, receiver.url)
        call = emu.control.create_call(ORG, **SHORT)
        msgs = _wait_finished(receiver, call.plan.room)
        _assert_room_lifecycle(msgs, call.plan.room)


def test_scaled_heppu_outbound_call_room_is_its_room_id(receiver):
    with Emulator(clock="scaled", speed=40.0) as emu:
        _register(emu, receiver.url, secret="s3cret")
        created = heppu_call(emu.url)
        msgs = _wait_finished(receiver, emu.control.call(created["id"]).plan.room)
        room_id = httpx.get(f"{emu.url}/api/v1/calls/{created['id']}", headers=HEPPU).json()["data"]["roomId"]
        assert room_id and msgs[0].room.name == room_id  # the room Heppu's Get Call names
        _assert_room_lifecycle(msgs, room_id)
        # With a secret the emulator's HMAC rides along; LiveKit's JWT is still the one that signs.
        raw = next(r for r in receiver.requests if r["json"]["room"]["name"] == room_id)
        assert raw["headers"].get("X-Emulator-Signature", "").startswith("v1=")


def test_manual_each_webhook_is_sent_at_the_instant_the_room_changes(receiver):
    config = [{"url": receiver.url, "tenant": ORG, "kind": "livekit"}]  # the config file's webhooks section
    with Emulator(clock="manual", now=NOW, webhooks=config) as emu:
        call = emu.control.create_call(ORG, **SHORT)
        room = call.plan.room
        time.sleep(0.3)
        assert _verified(receiver, room) == []  # waiting to start: no room yet
        emu.control.advance(SHORT["startDelay"] + 0.05)
        receiver.wait(lambda rs: any(r["json"]["event"] == "room_started" for r in rs))
        time.sleep(0.3)
        early = [m.event for m in _verified(receiver, room)]
        assert early[0] == "room_started" and "room_finished" not in early and "participant_left" not in early
        emu.control.advance(5)
        msgs = _wait_finished(receiver, room)
        _assert_room_lifecycle(msgs, room)
        got = emu.control.call(call.id)
        assert msgs[0].created_at == int(got.plan.start_at)
        deliveries = httpx.get(emu.url + "/_emulator/webhooks/deliveries", params={"callId": call.id}).json()["deliveries"]
        assert [d["event"] for d in deliveries] == [m.event for m in msgs] and {d["status"] for d in deliveries} == {"delivered"}
        # Queued at the instants of the room's changes: started when the call started, finished when it ended.
        assert deliveries[0]["at"] == got.snapshot.startedAt and deliveries[-1]["at"] == got.snapshot.endedAt


def test_an_agent_hung_up_call_finishes_its_room(receiver):
    with Emulator(clock="manual", now=NOW) as emu:
        _register(emu, receiver.url, events=["room_started", "room_finished"])
        call = emu.control.create_call(ORG, ringAt=0.1, answerAt=0.3, talkFor=600, startDelay=0.1)
        emu.control.advance(2)
        emu.control.act(call.id, "hangup")
        emu.control.advance(1)
        msgs = _wait_finished(receiver, call.plan.room)
        assert [m.event for m in msgs] == ["room_started", "room_finished"]  # only what the endpoint asked for
