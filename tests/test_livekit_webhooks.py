"""LiveKit webhooks, the pure part: an emulator event and its call become
WebhookEvent messages, and the request LiveKit would send is accepted by
livekit.api.WebhookReceiver (and refused once a byte changes)."""

from __future__ import annotations

import pytest
from livekit import api

from emulator.core.timeutil import iso_millis
from emulator.providers.livekit import webhooks

from .conftest import Driver, make_app
from .livekit_helpers import ACME, DEV

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
