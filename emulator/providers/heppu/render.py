"""Core snapshots in Heppu's words. The polled shapes (a call, a list item)
are built without validation: the server made every value itself, and
strict mode checks the bytes against the spec."""

from __future__ import annotations

import hashlib

from pydantic_core import to_json

from emulator.core.lifecycle import CallSnapshot
from emulator.core.timeutil import iso_seconds
from emulator.providers.heppu.models import (
    AgentRef,
    Call,
    CallListItem,
    Contact,
    ListAgent,
    LiveParticipant,
    LiveRoomStatus,
    RetryPlan,
    ScheduledCall,
    TranscriptMessage,
)

ROLES = {"agent": "assistant", "human": "assistant", "customer": "user"}


def _iso(ts: float | None) -> str | None:
    return iso_seconds(ts) if ts is not None else None


def call(s: CallSnapshot) -> Call:
    p = s.plan
    started = s.started_at is not None
    return Call.model_construct(
        id=p.id,
        status=s.status,
        direction=p.direction,
        phoneNumber=p.contact_phone,
        duration=int(s.duration) if s.status == "completed" else None,
        startedAt=_iso(s.started_at),
        endedAt=_iso(s.ended_at),
        failureReason=s.failure_reason,
        agent=AgentRef.model_construct(id=p.agent_id, name=p.agent_name, type=p.agent_type),
        summary=s.summary,
        transcript=[TranscriptMessage.model_construct(role=ROLES[t.role], content=t.text, timestamp=iso_seconds(t.at)) for t in s.turns] or None,
        metadata=p.metadata,
        roomId=p.room if started else None,
        jobId=p.job_id if started else None,
        sipParticipantId=p.sip_participant_id if s.ringing_at is not None else None,
        liveRoomStatus=LiveRoomStatus.model_construct(
            roomExists=s.room_open,
            numParticipants=len(s.participants),
            participants=[LiveParticipant.model_construct(identity=x.identity, name=x.name) for x in s.participants],
        )
        if s.live
        else None,
        createdAt=iso_seconds(p.created_at),
        updatedAt=iso_seconds(s.updated_at),
    )


def twilio_call_sid(s: CallSnapshot) -> str | None:
    """The telephony leg's SID once the call has started dialling: the
    fixture's own, else one derived from the call id."""
    p = s.plan
    if "twilioCallSid" in p.attributes:
        return p.attributes["twilioCallSid"]
    if s.started_at is None:
        return None
    return "CA" + hashlib.sha256(p.id.encode()).hexdigest()[:32]


def list_item(s: CallSnapshot) -> CallListItem:
    p = s.plan
    return CallListItem.model_construct(
        id=p.id,
        status=s.status,
        direction=p.direction,
        scheduledAt=_iso(p.scheduled_at),
        duration=int(s.duration) if s.status == "completed" else None,
        outcome=p.outcome_label if s.status == "completed" else None,
        twilioCallSid=twilio_call_sid(s),
        agent=ListAgent.model_construct(id=p.agent_id, name=p.agent_name),
        contact=Contact.model_construct(phone=p.contact_phone, name=p.contact_name, email=p.contact_email),
        phoneNumber=p.contact_phone,
        createdAt=iso_seconds(p.created_at),
    )


def scheduled_call(s: CallSnapshot, retry: dict | None) -> ScheduledCall:
    p = s.plan
    return ScheduledCall(
        id=p.id,
        status=s.status,
        direction="outbound",
        agentId=p.agent_id,
        agent=ListAgent(id=p.agent_id, name=p.agent_name),
        contact=Contact(phone=p.contact_phone, name=p.contact_name, email=p.contact_email),
        phoneNumber=p.contact_phone,
        callerId=p.agent_phone,
        scheduledAt=_iso(p.scheduled_at),
        priority=p.attributes["priority"],
        retry=RetryPlan(**retry) if retry else None,
        callMetadata=p.attributes.get("callMetadata"),
        metadata=p.metadata,
        createdAt=iso_seconds(p.created_at),
    )


def outbound_body(s: CallSnapshot, message: str) -> bytes:
    """OutboundResponse(data=OutboundCall, message) as its model_dump_json()
    writes it (field order, compact, NaN and infinities as null), without
    building the models: every value is the server's own or the request's
    validated body. OutboundMetadata allows extra fields: its own come first,
    the rest in their order."""
    p = s.plan
    meta = p.metadata
    data = {
        "id": p.id,
        "status": s.status,
        "agentId": p.agent_id,
        "phoneNumber": p.contact_phone,
        "callerId": p.agent_phone,
        "startedAt": iso_seconds(p.created_at),
        "agent": {"id": p.agent_id, "name": p.agent_name, "type": "voice"},
        "metadata": {"caller_id": meta["caller_id"], "from_phone_number": meta["from_phone_number"], "priority": meta["priority"], **meta},
    }
    return to_json({"data": data, "message": message}, inf_nan_mode="null")
