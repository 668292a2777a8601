"""A call's LiveKit room, as LiveKit's messages: the room exists exactly while
the call's room is open, its participants are the snapshot's participants,
and everything is read from the same snapshot the vendor routes render, so
ListParticipants, Heppu's liveRoomStatus and Trillet's participants agree at
every instant.

Besides call rooms there are bare rooms, made by CreateRoom with a name no
call uses: empty, they close after their empty_timeout (LiveKit's rule), or
when a call takes them over (CreateSIPParticipant into that room)."""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass

from livekit.protocol import models

from emulator.core.engine import Engine
from emulator.core.lifecycle import CallSnapshot, RoomParticipant
from emulator.core.store import CallRecord
from emulator.core.tenants import Tenant
from emulator.providers.livekit.ids import participant_sid, room_sid, sip_call_id, track_sid

# LiveKit's defaults (OSS config): room.empty_timeout, room.departure_timeout.
EMPTY_TIMEOUT = 300
DEPARTURE_TIMEOUT = 20

_AUDIO = models.TrackType.Value("AUDIO")
_MICROPHONE = models.TrackSource.Value("MICROPHONE")
_ACTIVE = models.ParticipantInfo.State.Value("ACTIVE")
_KIND = models.ParticipantInfo.Kind


@dataclass
class BareRoom:
    tenant: str
    name: str
    created_at: float
    empty_timeout: int
    max_participants: int
    metadata: str

    def open_at(self, now: float) -> bool:
        return self.created_at <= now < self.created_at + self.empty_timeout


# Bare rooms belong to an engine: a reset (a new engine) forgets them.
_BARE: "weakref.WeakKeyDictionary[Engine, dict[str, BareRoom]]" = weakref.WeakKeyDictionary()


def bare_rooms(engine: Engine) -> dict[str, BareRoom]:
    return _BARE.setdefault(engine, {})


def is_web(s: CallSnapshot) -> bool:
    return s.plan.attributes.get("callType") == "web"


def kind_of(s: CallSnapshot, p: RoomParticipant) -> int:
    if p.kind == "agent":
        return _KIND.Value("AGENT")
    if p.kind == "caller" and not is_web(s):
        return _KIND.Value("SIP")
    return _KIND.Value("STANDARD")  # the browser user of a web call, a human taking over


def attributes(s: CallSnapshot, p: RoomParticipant) -> dict[str, str]:
    """The sip.* attributes LiveKit sets on a SIP participant, and any set
    later (UpdateParticipant)."""
    if p.kind != "caller" or is_web(s):
        return dict(p.attributes)
    plan = s.plan
    attrs = {
        "sip.callID": sip_call_id(plan.room or "", p.identity),
        "sip.callStatus": "active",
        "sip.phoneNumber": plan.contact_phone,
        "sip.trunkPhoneNumber": plan.agent_phone or "",
    }
    trunk = plan.attributes.get("sipTrunkId")
    if trunk:
        attrs["sip.trunkID"] = trunk
    return attrs | dict(p.attributes)


def participant_info(s: CallSnapshot, p: RoomParticipant) -> models.ParticipantInfo:
    room = s.plan.room or ""
    kind = kind_of(s, p)
    track = models.TrackInfo(
        sid=track_sid(room, p.identity),
        type=_AUDIO,
        name="phone" if kind == _KIND.Value("SIP") else "microphone",
        muted=p.muted_at is not None,
        source=_MICROPHONE,
        mime_type="audio/opus",
    )
    return models.ParticipantInfo(
        sid=participant_sid(room, p.identity),
        identity=p.identity,
        state=_ACTIVE,
        tracks=[track],
        metadata=json.dumps(p.metadata, separators=(",", ":")) if p.metadata else "",
        joined_at=int(p.joined_at),
        joined_at_ms=int(p.joined_at * 1000),
        name=p.name,
        version=1,
        permission=models.ParticipantPermission(
            can_subscribe=True, can_publish=True, can_publish_data=True, agent=kind == _KIND.Value("AGENT")
        ),
        is_publisher=True,
        kind=kind,
        attributes=attributes(s, p),
    )


def room_info(s: CallSnapshot) -> models.Room:
    """The call's room; created when the call started connecting."""
    started = s.started_at or s.plan.start_at
    n = len(s.participants)
    return models.Room(
        sid=room_sid(s.plan.room or ""),
        name=s.plan.room or "",
        empty_timeout=EMPTY_TIMEOUT,
        departure_timeout=DEPARTURE_TIMEOUT,
        creation_time=int(started),
        creation_time_ms=int(started * 1000),
        num_participants=n,
        num_publishers=n,
    )


def bare_room_info(b: BareRoom) -> models.Room:
    return models.Room(
        sid=room_sid(b.name),
        name=b.name,
        empty_timeout=b.empty_timeout,
        departure_timeout=DEPARTURE_TIMEOUT,
        max_participants=b.max_participants,
        creation_time=int(b.created_at),
        creation_time_ms=int(b.created_at * 1000),
        metadata=b.metadata,
    )


def _may_be_open(record: CallRecord, now: float) -> bool:
    """Cheap test before a snapshot: a call nobody touched is open only
    between its planned start and end."""
    if record.interventions:
        return True
    p = record.plan
    end = p.natural_end
    return p.start_at <= now and (end is None or end > now)


def open_calls(engine: Engine, tenant: Tenant) -> list[CallSnapshot]:
    """The tenant's calls whose rooms are open at its now, oldest first."""
    now = engine.now(tenant.id)
    out = []
    for record in engine.store.for_tenant(tenant.id):
        if record.plan.room and _may_be_open(record, now):
            s = engine.snapshot(record, now)
            if s is not None and s.room_open:
                out.append(s)
    return out


@dataclass
class OpenRoom:
    tenant: Tenant
    now: float
    call: CallSnapshot | None = None  # a call's room
    bare: BareRoom | None = None  # or a bare room

    def info(self) -> models.Room:
        return room_info(self.call) if self.call is not None else bare_room_info(self.bare)  # type: ignore[arg-type]

    def participants(self) -> list[models.ParticipantInfo]:
        if self.call is None:
            return []
        return [participant_info(self.call, p) for p in self.call.participants]


def find(engine: Engine, tenants: tuple[Tenant, ...], name: str) -> OpenRoom | None:
    """The room called `name` among `tenants`' rooms, if open now."""
    by_id = {t.id: t for t in tenants}
    record = engine.store.by_room(name)
    if record is not None and record.plan.tenant in by_id:
        tenant = by_id[record.plan.tenant]
        now = engine.now(tenant.id)
        s = engine.snapshot(record, now)
        if s is not None and s.room_open:
            return OpenRoom(tenant, now, call=s)
    bare = bare_rooms(engine).get(name)
    if bare is not None and bare.tenant in by_id:
        tenant = by_id[bare.tenant]
        now = engine.now(tenant.id)
        if bare.open_at(now):
            return OpenRoom(tenant, now, bare=bare)
    return None


def list_rooms(engine: Engine, tenants: tuple[Tenant, ...]) -> list[models.Room]:
    rooms = []
    bare = bare_rooms(engine)
    for tenant in tenants:
        rooms += [room_info(s) for s in open_calls(engine, tenant)]
        now = engine.now(tenant.id)
        rooms += [bare_room_info(b) for b in bare.values() if b.tenant == tenant.id and b.open_at(now)]
    return rooms
