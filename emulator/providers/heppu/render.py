"""Core snapshots in Heppu's words."""

from __future__ import annotations

from emulator.core.lifecycle import CallSnapshot
from emulator.core.timeutil import iso_seconds
from emulator.providers.heppu.models import AgentRef, Call, LiveParticipant, LiveRoomStatus, TranscriptMessage

ROLES = {"agent": "assistant", "human": "assistant", "customer": "user"}


def _iso(ts: float | None) -> str | None:
    return iso_seconds(ts) if ts is not None else None


def call(s: CallSnapshot) -> Call:
    p = s.plan
    started = s.started_at is not None
    return Call(
        id=p.id,
        status=s.status,
        direction=p.direction,
        phoneNumber=p.contact_phone,
        duration=int(s.duration) if s.status == "completed" else None,
        startedAt=_iso(s.started_at),
        endedAt=_iso(s.ended_at),
        failureReason=s.failure_reason,
        agent=AgentRef(id=p.agent_id, name=p.agent_name, type=p.agent_type),
        summary=s.summary,
        transcript=[TranscriptMessage(role=ROLES[t.role], content=t.text, timestamp=iso_seconds(t.at)) for t in s.turns] or None,
        metadata=p.metadata,
        roomId=p.room if started else None,
        jobId=p.job_id if started else None,
        sipParticipantId=p.sip_participant_id if s.ringing_at is not None else None,
        liveRoomStatus=LiveRoomStatus(
            roomExists=s.room_open,
            numParticipants=len(s.participants),
            participants=[LiveParticipant(identity=x.identity, name=x.name) for x in s.participants],
        )
        if s.live
        else None,
        createdAt=iso_seconds(p.created_at),
        updatedAt=iso_seconds(s.updated_at),
    )
