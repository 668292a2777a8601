"""LiveKit webhooks from the emulator's events: which LiveKit events one
emulator event is, their WebhookEvent messages, and the request LiveKit
sends (JSON body, a bare JWT in Authorization carrying the body's sha256),
so livekit.api.WebhookReceiver accepts it.

`webhook_events`, `body` and `request` are pure (an event and its call in,
messages and bytes out). The package's `WEBHOOK` kind hands them to the events layer, which
delivers them to endpoints registered with kind `livekit`: the payload is the
message as protojson (serialised there exactly as `body` does), and each
attempt is signed with the tenant's first LiveKit key pair."""

from __future__ import annotations

import base64
import hashlib
import json
import time

from google.protobuf import json_format
from livekit.protocol import models
from livekit.protocol.webhook import WebhookEvent

from emulator.core.lifecycle import CallSnapshot
from emulator.core.store import CallRecord
from emulator.core.timeutil import parse_instant
from emulator.providers.livekit import auth, rooms
from emulator.providers.livekit.ids import event_id

# Seconds a webhook token stays valid (LiveKit signs with a 5 min TTL).
TOKEN_TTL = 300
# Events carry instants to the millisecond: the state a join shows is read
# a millisecond after, the state something left or ended from one before.
_MS = 0.001

_DISCONNECTED = models.ParticipantInfo.State.Value("DISCONNECTED")


def _short_room(room: models.Room) -> models.Room:
    # track_* events carry only the room's sid and name (LiveKit's default).
    return models.Room(sid=room.sid, name=room.name)


def _participant(s: CallSnapshot, identity: str) -> models.ParticipantInfo | None:
    p = next((p for p in s.participants if p.identity == identity), None)
    return rooms.participant_info(s, p) if p is not None else None


def webhook_events(event: dict, record: CallRecord) -> list[WebhookEvent]:
    """The LiveKit webhook events one emulator event stands for, in order
    (a join is participant_joined then track_published)."""
    kind, data = event["type"], event.get("data") or {}
    at = parse_instant(event["at"])
    created = int(at)

    def make(name: str, room: models.Room, **fields) -> WebhookEvent:
        return WebhookEvent(event=name, room=room, id=event_id(event["id"], name), created_at=created, **fields)

    if kind == "call.status_changed" and data.get("status") == "connecting":
        s = record.at(at + _MS)
        return [make("room_started", rooms.room_info(s))] if s is not None and s.room_open else []
    if kind == "participant.joined":
        s = record.at(at + _MS)
        info = _participant(s, data["identity"]) if s is not None and s.room_open else None
        if info is None:
            return []
        room = rooms.room_info(s)
        return [
            make("participant_joined", room, participant=info),
            make("track_published", _short_room(room), participant=info, track=info.tracks[0]),
        ]
    if kind == "participant.left":
        before = record.at(at - _MS)
        info = _participant(before, data["identity"]) if before is not None else None
        if info is None:
            return []
        info.state = _DISCONNECTED
        after = record.at(at + _MS)
        room = rooms.room_info(after if after is not None and after.room_open else before)
        return [make("participant_left", room, participant=info)]
    if kind == "call.ended":
        before = record.at(at - _MS)
        if before is None or not before.room_open:
            return []  # the call never had an open room
        room = rooms.room_info(before)
        room.num_participants = room.num_publishers = 0
        return [make("room_finished", room)]
    return []


def body(message: WebhookEvent) -> bytes:
    """The body as LiveKit's server writes it (protojson defaults):
    lowerCamel names, unset fields left out, int64 as strings."""
    return json.dumps(json_format.MessageToDict(message), separators=(",", ":")).encode()


def authorization(body_bytes: bytes, key: str, secret: str) -> str:
    """The Authorization header value: a bare JWT (no Bearer) whose sha256
    claim is the padded base64 SHA-256 of the exact body."""
    digest = base64.b64encode(hashlib.sha256(body_bytes).digest()).decode()
    return auth.sign(key, secret, {"sha256": digest, "iat": int(time.time())}, TOKEN_TTL)


def request(message: WebhookEvent, key: str, secret: str) -> tuple[bytes, dict[str, str]]:
    """Body and headers of one webhook POST."""
    b = body(message)
    return b, {"Content-Type": "application/webhook+json", "User-Agent": "LiveKit", "Authorization": authorization(b, key, secret)}


def _pair(engine, tenant_id: str):
    tenant = engine.tenants.get(tenant_id)
    return tenant.livekit_keys[0] if tenant is not None and tenant.livekit_keys else None


def payloads(engine, ev: dict) -> list[tuple[str, dict]]:
    """(event name, protojson dict) per LiveKit webhook of one emulator event;
    none for a tenant without a LiveKit key pair to sign them."""
    record = engine.store.get(ev["callId"]) if ev.get("callId") else None
    if record is None or _pair(engine, ev["tenant"]) is None:
        return []
    # The events layer writes compact JSON of this dict: the bytes of `body`.
    return [(m.event, json_format.MessageToDict(m)) for m in webhook_events(ev, record)]


def request_headers(engine, tenant_id: str, raw: bytes) -> dict[str, str]:
    """LiveKit's headers for the exact bytes sent, signed with the tenant's first pair."""
    pair = _pair(engine, tenant_id)
    if pair is None:
        return {}
    return {"Content-Type": "application/webhook+json", "User-Agent": "LiveKit", "Authorization": authorization(raw, pair.key, pair.secret)}
