"""The Twirp RPCs: RoomService and SIP, served on the emulator's port under
/twirp. Every action is an intervention on the call, so it shows through
every API at once."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Callable

from fastapi import Request, Response
from google.protobuf.message import Message
from livekit.protocol import models
from livekit.protocol import room as room_pb
from livekit.protocol import sip as sip_pb

from emulator.core.engine import Engine
from emulator.core.plan import Participant
from emulator.core.tenants import Tenant
from emulator.providers.livekit import auth, rooms
from emulator.providers.livekit.auth import Principal
from emulator.providers.livekit.ids import participant_sid, sip_call_id
from emulator.providers.livekit.wire import TwirpError, decode, encode, encoding_of
from emulator.web import get_engine

log = logging.getLogger("emulator.livekit")

@dataclass
class Call:
    engine: Engine
    principal: Principal
    request: Request
    _nows: dict = field(default_factory=dict)

    def now(self, tenant_id: str) -> float:
        """The tenant's now, read once per request."""
        if tenant_id not in self._nows:
            self._nows[tenant_id] = self.engine.now(tenant_id)
        return self._nows[tenant_id]


def _room_or_none(c: Call, name: str) -> rooms.OpenRoom | None:
    return rooms.find(c.engine, c.principal.tenants, name)


def _participant(c: Call, room: str, identity: str) -> tuple[rooms.OpenRoom, models.ParticipantInfo]:
    found = _room_or_none(c, room)
    info = next((p for p in found.participants() if p.identity == identity), None) if found else None
    if found is None or info is None:
        raise TwirpError("not_found", "participant does not exist")
    return found, info


def _record(c: Call, found: rooms.OpenRoom):
    return c.engine.store.get(found.call.plan.id)  # type: ignore[union-attr]


# --- RoomService -------------------------------------------------------------


def list_rooms(c: Call, req: room_pb.ListRoomsRequest) -> room_pb.ListRoomsResponse:
    auth.require_list(c.principal)
    all_rooms = rooms.list_rooms(c.engine, c.principal.tenants)
    if req.names:
        wanted = set(req.names)
        all_rooms = [r for r in all_rooms if r.name in wanted]
    return room_pb.ListRoomsResponse(rooms=all_rooms)


def create_room(c: Call, req: room_pb.CreateRoomRequest) -> models.Room:
    auth.require_create(c.principal)
    if not req.name:
        raise TwirpError("invalid_argument", "room name is required")
    found = _room_or_none(c, req.name)
    if found is not None:  # LiveKit answers an existing room as it is
        return found.info()
    record = c.engine.store.by_room(req.name)
    if record is not None:
        s = c.engine.snapshot(record, c.now(record.plan.tenant))
        if s is not None and s.room_open:
            raise TwirpError("already_exists", "room name is in use by another project's call")
    tenant = c.principal.tenants[0]
    bare = rooms.BareRoom(
        tenant=tenant.id,
        name=req.name,
        created_at=c.now(tenant.id),
        empty_timeout=req.empty_timeout or rooms.EMPTY_TIMEOUT,
        max_participants=req.max_participants,
        metadata=req.metadata,
    )
    rooms.bare_rooms(c.engine)[req.name] = bare
    return rooms.bare_room_info(bare)


def delete_room(c: Call, req: room_pb.DeleteRoomRequest) -> room_pb.DeleteRoomResponse:
    auth.require_create(c.principal)
    found = _room_or_none(c, req.room)
    if found is None:
        raise TwirpError("not_found", "requested room does not exist")
    if found.bare is not None:
        rooms.bare_rooms(c.engine).pop(found.bare.name, None)
    else:
        # The call ends with its room, as Trillet's end-call ends it.
        status = "completed" if found.call.answered_at is not None else "cancelled"  # type: ignore[union-attr]
        c.engine.intervene(_record(c, found), "end", status=status, reason=None, source="livekit", now=found.now)
    return room_pb.DeleteRoomResponse()


def list_participants(c: Call, req: room_pb.ListParticipantsRequest) -> room_pb.ListParticipantsResponse:
    auth.require_admin(c.principal, req.room)
    found = _room_or_none(c, req.room)
    # An unknown room lists nobody (OSS LiveKit answers an empty list).
    return room_pb.ListParticipantsResponse(participants=found.participants() if found else [])


def get_participant(c: Call, req: room_pb.RoomParticipantIdentity) -> models.ParticipantInfo:
    auth.require_admin(c.principal, req.room)
    return _participant(c, req.room, req.identity)[1]


def remove_participant(c: Call, req: room_pb.RoomParticipantIdentity) -> room_pb.RemoveParticipantResponse:
    auth.require_admin(c.principal, req.room)
    found, info = _participant(c, req.room, req.identity)
    record = _record(c, found)
    kind = next(p.kind for p in found.call.participants if p.identity == req.identity)  # type: ignore[union-attr]
    if kind == "caller":
        # The callee leaves: the call ends as when they hang up.
        c.engine.intervene(record, "end", status="completed", reason=None, source="livekit", now=found.now)
    else:
        # The agent leaves (a human takes over once answered, as after
        # Trillet's remove-agent); a human leaving only leaves.
        c.engine.intervene(record, "leave", identity=req.identity, source="livekit", now=found.now)
    return room_pb.RemoveParticipantResponse()


def mute_published_track(c: Call, req: room_pb.MuteRoomTrackRequest) -> room_pb.MuteRoomTrackResponse:
    auth.require_admin(c.principal, req.room)
    found, info = _participant(c, req.room, req.identity)
    track = next((t for t in info.tracks if t.sid == req.track_sid), None)
    if track is None:
        raise TwirpError("not_found", "track is not found")
    if not req.muted:
        # LiveKit's default config (room.enable_remote_unmute: false).
        raise TwirpError("failed_precondition", "remote unmute not enabled")
    if not track.muted:
        c.engine.intervene(_record(c, found), "mute", identity=req.identity, source="livekit", now=found.now)
        track.muted = True
    return room_pb.MuteRoomTrackResponse(track=track)


def update_participant(c: Call, req: room_pb.UpdateParticipantRequest) -> models.ParticipantInfo:
    auth.require_admin(c.principal, req.room)
    found, _ = _participant(c, req.room, req.identity)
    changes: dict = {}
    if req.name:
        changes["name"] = req.name
    if req.metadata:
        try:
            metadata = json.loads(req.metadata)
        except ValueError:
            metadata = None
        if not isinstance(metadata, dict):
            raise TwirpError("invalid_argument", "metadata must be a JSON object (the vendors' participants carry it as one)")
        changes["metadata"] = metadata
    if req.attributes:
        changes["attributes"] = dict(req.attributes)
    if changes:
        c.engine.intervene(_record(c, found), "update", identity=req.identity, changes=changes, source="livekit", now=found.now)
    return _participant(c, req.room, req.identity)[1]


# --- SIP -----------------------------------------------------------------------


def _dialling_agent(tenants: tuple[Tenant, ...], number: str):
    """The tenant and agent placing a SIP call: the agent whose number is
    `sip_number`, else the first tenant's first voice agent with a number."""
    for t in tenants:
        for a in t.agents:
            if number and number in a.phone_numbers:
                return t, a
    if number:
        raise TwirpError("invalid_argument", f"sip_number {number} is not a number of any agent this key opens")
    for t in tenants:
        for a in t.agents:
            if a.type == "voice" and a.status == "active" and a.phone_numbers:
                return t, a
    raise TwirpError("failed_precondition", "no agent with a phone number to place the call from")


def create_sip_participant(c: Call, req: sip_pb.CreateSIPParticipantRequest) -> sip_pb.SIPParticipantInfo:
    auth.require_sip_call(c.principal)
    if not req.sip_call_to:
        raise TwirpError("invalid_argument", "missing sip_call_to")
    tenant, agent = _dialling_agent(c.principal.tenants, req.sip_number)
    engine = c.engine
    style = c.request.app.state.providers[tenant.vendor].style
    room = req.room_name or None
    if room is not None:
        existing = engine.store.by_room(room)
        s = engine.snapshot(existing, c.now(existing.plan.tenant)) if existing is not None else None
        if s is not None and not s.ended:
            raise TwirpError("failed_precondition", f"room {room} is in use by call {s.plan.id}: the emulator places one call per room")
        rooms.bare_rooms(engine).pop(room, None)  # the call takes a bare room over
    identity = req.participant_identity or f"sip_{req.sip_call_to}"
    participants = (
        Participant(style.agent_identity, agent.name, "agent", "connect", 0.0),
        Participant(identity, req.participant_name or req.sip_call_to, "caller", "answer", 0.0, {}),
        Participant(style.human_identity, "Human agent", "human", "handover", 1.0),
    )
    overrides = dict(participants=participants, start_delay=0.0, attributes={"source": "livekit", "sipTrunkId": req.sip_trunk_id})
    if req.sip_number:
        overrides["agent_phone"] = req.sip_number
    if room is not None:
        overrides["room"] = room
    record = engine.create_call(tenant=tenant, agent=agent, style=style, now=c.now(tenant.id), contact_phone=req.sip_call_to, **overrides)
    name = record.plan.room or ""
    return sip_pb.SIPParticipantInfo(
        participant_id=participant_sid(name, identity),
        participant_identity=identity,
        room_name=name,
        sip_call_id=sip_call_id(name, identity),
    )


# --- Routing -------------------------------------------------------------------

RPCS: dict[tuple[str, str], tuple[type[Message], Callable]] = {
    ("livekit.RoomService", "ListRooms"): (room_pb.ListRoomsRequest, list_rooms),
    ("livekit.RoomService", "CreateRoom"): (room_pb.CreateRoomRequest, create_room),
    ("livekit.RoomService", "DeleteRoom"): (room_pb.DeleteRoomRequest, delete_room),
    ("livekit.RoomService", "ListParticipants"): (room_pb.ListParticipantsRequest, list_participants),
    ("livekit.RoomService", "GetParticipant"): (room_pb.RoomParticipantIdentity, get_participant),
    ("livekit.RoomService", "RemoveParticipant"): (room_pb.RoomParticipantIdentity, remove_participant),
    ("livekit.RoomService", "MutePublishedTrack"): (room_pb.MuteRoomTrackRequest, mute_published_track),
    ("livekit.RoomService", "UpdateParticipant"): (room_pb.UpdateParticipantRequest, update_participant),
    ("livekit.SIP", "CreateSIPParticipant"): (sip_pb.CreateSIPParticipantRequest, create_sip_participant),
}
# Methods a real LiveKit server has that the emulator does not: unimplemented
# rather than bad_route, so a client learns the route is right.
KNOWN = {
    "livekit.RoomService": {"UpdateSubscriptions", "SendData", "UpdateRoomMetadata", "ForwardParticipant", "MoveParticipant", "PerformRpc"},
    "livekit.SIP": {
        "ListSIPTrunk", "CreateSIPInboundTrunk", "CreateSIPOutboundTrunk", "GetSIPInboundTrunk", "GetSIPOutboundTrunk",
        "ListSIPInboundTrunk", "ListSIPOutboundTrunk", "DeleteSIPTrunk", "CreateSIPDispatchRule", "ListSIPDispatchRule",
        "DeleteSIPDispatchRule", "TransferSIPParticipant", "UpdateSIPInboundTrunk", "UpdateSIPOutboundTrunk", "UpdateSIPDispatchRule",
    },
    "livekit.AgentDispatchService": {"CreateDispatch", "DeleteDispatch", "ListDispatch"},
    "livekit.Egress": set(),
    "livekit.Ingress": set(),
}

async def handle(request: Request, path: str) -> Response:
    """One Twirp request: route, decode, authenticate, run, encode."""
    route = f"{request.method} /twirp/{path}"
    if request.method != "POST":
        return TwirpError("bad_route", f"unsupported method {request.method} (only POST is allowed)", {"twirp_invalid_route": route}).response()
    service, _, method = path.partition("/")
    rpc = RPCS.get((service, method))
    if rpc is None:
        if method in KNOWN.get(service, ()):
            return TwirpError("unimplemented", f"{service}.{method} is not emulated").response()
        return TwirpError("bad_route", f"no handler for path \"/twirp/{path}\"", {"twirp_invalid_route": route}).response()
    encoding = encoding_of(request.headers.get("content-type"))
    if encoding is None:
        ctype = request.headers.get("content-type", "")
        return TwirpError("bad_route", f"unexpected Content-Type: \"{ctype}\"", {"twirp_invalid_route": route}).response()
    cls, fn = rpc
    engine = get_engine(request)
    try:
        principal = auth.authenticate(engine, request.headers.get("authorization"))
        message = decode(await request.body(), cls, encoding)
        return encode(fn(Call(engine, principal, request), message), encoding)
    except TwirpError as exc:
        return exc.response()
    except Exception:  # never a stack trace on the wire
        log.exception("LiveKit %s.%s failed", service, method)
        return TwirpError("internal", "internal error").response()
