"""Core snapshots in Trillet's words. The polled shapes (active calls) are
built without validation: the server made every value itself, and strict
mode checks the bytes against the spec."""

from __future__ import annotations

import hashlib

from pydantic_core import to_json

from emulator.core.lifecycle import CallSnapshot
from emulator.core.plan import CallPlan
from emulator.core.timeutil import iso_millis, iso_seconds
from emulator.providers.livekit.ids import track_sid  # noqa: F401  (remove-agent names the LiveKit track)
from emulator.providers.trillet.models import (
    ActiveCallDetail,
    ActiveCallItem,
    CallHistoryDetail,
    CallHistoryItem,
    CallInsights,
    Cost,
    HistoryTranscriptEntry,
    ListParticipant,
    Participant,
    TranscriptEntry,
)

# Core status -> the word call history uses (docs/fidelity.md, "Trillet").
HISTORY_STATUS = {
    "scheduled": "scheduled",
    "queued": "queued",
    "initiated": "queued",
    "connecting": "ringing",
    "ringing": "ringing",
    "active": "active",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
    "no_answer": "no-answer",
    "busy": "busy",
}
# What a call costs: $0.02 a minute from connect to end, per second (the
# docs' only example charges 0.10 for 300 s).
RATE_PER_MINUTE = 0.02
# How many of the most recent distinct suggestions insights return.
RECENT_SUGGESTIONS = 3


def participants(s: CallSnapshot) -> list[Participant]:
    return [
        Participant.model_construct(identity=p.identity, isAgent=p.kind == "agent", metadata=p.metadata, joinedAt=iso_millis(p.joined_at))
        for p in s.participants
    ]


def _who_and_how_long(s: CallSnapshot) -> dict:
    """The fields the list item and the detail share, in the docs' order."""
    p = s.plan
    return dict(
        id=p.id,
        roomName=p.room,
        customerPhone=p.contact_phone,
        customerName=p.contact_name,
        aiAgentName=p.agent_name,
        duration=int(s.duration),
    )


def active_call(s: CallSnapshot) -> ActiveCallDetail:
    return ActiveCallDetail.model_construct(
        **_who_and_how_long(s),
        sentiment=s.sentiment,
        transcript=[TranscriptEntry.model_construct(role=t.role, content=t.text) for t in s.turns],
        participants=participants(s),
    )


def call_type(p: CallPlan) -> str:
    return "web" if p.attributes.get("callType") == "web" else "phone"


def active_call_item(s: CallSnapshot) -> ActiveCallItem:
    return ActiveCallItem.model_construct(
        **_who_and_how_long(s),
        status="active",
        sentiment=s.sentiment,
        lastMessage=s.turns[-1].text if s.turns else "",
        transferRequested=s.agent_muted,
        type=call_type(s.plan),
        participants=[ListParticipant.model_construct(identity=x.identity, isAgent=x.kind == "agent", joinedAt=iso_millis(x.joined_at)) for x in s.participants],
    )


def summary_so_far(s: CallSnapshot) -> str:
    return " ".join(t.note for t in s.turns if t.note)


def insights(s: CallSnapshot) -> CallInsights:
    topics = list(dict.fromkeys(topic for t in s.turns for topic in t.topics))
    recent: list[str] = []
    for t in reversed(s.turns):
        if t.suggestion and t.suggestion not in recent:
            recent.append(t.suggestion)
            if len(recent) == RECENT_SUGGESTIONS:
                break
    return CallInsights(sentiment=s.sentiment, topics=topics, summary=summary_so_far(s), suggestions=recent[::-1])


def call_flow_id(p: CallPlan) -> str:
    return hashlib.sha256(f"flow:{p.agent_id}:{p.script or ''}".encode()).hexdigest()[:24]


def call_flow_name(s: CallSnapshot, titles: dict[str, str]) -> str:
    return titles.get(s.plan.script or "", f"{s.plan.agent_name} Flow")


def cost(s: CallSnapshot) -> float:
    return round(int(s.duration) * RATE_PER_MINUTE / 60, 4)


def _numbers(s: CallSnapshot) -> tuple[str, str]:
    p = s.plan
    ours, theirs = p.agent_phone or "", p.contact_phone
    return (ours, theirs) if p.direction == "outbound" else (theirs, ours)


def history_summary(s: CallSnapshot) -> str:
    """The call's summary once it completed with its whole conversation;
    otherwise (live, cut short, taken over) the notes of what was said."""
    whole = not s.agent_muted and len(s.turns) >= len(s.plan.turns)
    return s.summary if s.summary and whole else summary_so_far(s)


def analyzed(s: CallSnapshot) -> dict:
    return {"answered_by_voicemail": s.plan.script == "voicemail"} if s.ended else {}


def history_item(s: CallSnapshot, titles: dict[str, str]) -> CallHistoryItem:
    p = s.plan
    frm, to = _numbers(s)
    extra = {"duration": int(s.duration)} if s.ended else {}
    return CallHistoryItem(
        _id=p.id,
        timestamp=p.created_at,
        callId=p.room or p.id,
        fromPhoneNumber=frm,
        toPhoneNumber=to,
        direction=p.direction,
        **extra,
        agent=p.agent_name,
        status=HISTORY_STATUS[s.status],
        callFlowName=call_flow_name(s, titles),
        cost=cost(s),
        recordingUrl=None,
        summary=history_summary(s),
        analyzedData=analyzed(s),
        variables=dict(p.attributes.get("dynamic_variables") or {}),
        transcript=[HistoryTranscriptEntry(role=t.role, content=t.text) for t in s.turns],
    )


def history_detail(s: CallSnapshot) -> CallHistoryDetail:
    p = s.plan
    frm, to = _numbers(s)
    return CallHistoryDetail(
        _id=p.id,
        workspaceId=p.tenant,
        agentId=p.agent_id,
        callFlowId=call_flow_id(s.plan),
        roomName=p.room or "",
        direction=p.direction,
        fromPhoneNumber=frm,
        toPhoneNumber=to,
        status=HISTORY_STATUS[s.status],
        startTime=int(s.started_at) if s.started_at is not None else None,
        endTime=int(s.ended_at) if s.ended_at is not None else None,
        cost=Cost(customer_charge=cost(s)),
        metadata=dict(p.metadata),
        functionCalls=[],
        summary=history_summary(s),
        analyzedData=analyzed(s),
        createdAt=iso_seconds(p.created_at),
        updatedAt=iso_seconds(s.updated_at),
    )


def outbound_body(plan: CallPlan, message: str) -> bytes:
    """OutboundCallResponse as its model_dump_json() writes it, without
    building the model: every value is a string the server made (or the
    request's validated number)."""
    return to_json({"status": "success", "message": message, "callId": plan.id, "roomName": plan.room, "jobId": plan.job_id})
