"""Core snapshots in Trillet's words."""

from __future__ import annotations

from emulator.core.lifecycle import CallSnapshot
from emulator.core.timeutil import iso_millis
from emulator.providers.trillet.models import ActiveCallDetail, Participant, TranscriptEntry


def participants(s: CallSnapshot) -> list[Participant]:
    return [
        Participant(identity=p.identity, isAgent=p.kind == "agent", metadata=p.metadata, joinedAt=iso_millis(p.joined_at))
        for p in s.participants
    ]


def active_call(s: CallSnapshot) -> ActiveCallDetail:
    p = s.plan
    return ActiveCallDetail(
        id=p.id,
        roomName=p.room,
        customerPhone=p.contact_phone,
        customerName=p.contact_name,
        aiAgentName=p.agent_name,
        duration=int(s.duration),
        sentiment=s.sentiment,
        transcript=[TranscriptEntry(role=t.role, content=t.text) for t in s.turns],
        participants=participants(s),
    )
