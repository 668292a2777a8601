"""/_emulator/calls: create a call for any tenant from a full or partial
plan, force a transition now, inject a transcript turn, read the plan, its
interventions and the snapshot at the tenant's now."""

from __future__ import annotations

import heapq
from typing import Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES, call_or_404, iso, tenant_or_404
from emulator.control.durations import parse_control_instant, parse_duration
from emulator.control.errors import ControlError
from emulator.core.engine import Engine
from emulator.core.lifecycle import CallSnapshot
from emulator.core.plan import ENDED_STATUSES, PENDING_STATUSES, STATUSES, CallPlan, Intervention, Participant, Turn
from emulator.core.store import CallRecord
from emulator.web import get_engine, json_response

router = APIRouter(prefix="/_emulator", tags=["Calls"], dependencies=CONTROL_DEPENDENCIES)

Outcome = Literal["completed", "failed", "cancelled", "no_answer", "busy"]
Duration = str | float


def _duration(v):
    return None if v is None else parse_duration(v)


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    at: float = Field(ge=0, le=86400, description="Seconds after the call is answered")
    role: Literal["agent", "customer", "human"]
    text: str = Field(min_length=1, max_length=10_000)
    sentiment: Literal["positive", "neutral", "negative"] = "neutral"
    topics: list[str] = Field(default_factory=list)


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    identity: str = Field(min_length=1)
    name: str
    kind: Literal["agent", "caller", "human"]
    joins: Literal["connect", "answer", "handover"] = "connect"
    delay: float = Field(0.0, ge=0, le=86400)
    metadata: dict = Field(default_factory=dict)


class CallCreate(BaseModel):
    """Every field but `tenant` is optional: what is not given is drawn from
    the seed (and from the magic-number table when contactPhone is one)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"tenant": "org_abc123", "contactPhone": "+15005550002"},
                {"tenant": "69cf4b468d2a8a6a8e39b684", "outcome": "completed", "answerAt": "8s", "talkFor": "2m", "script": "support"},
            ]
        },
    )
    tenant: str = Field(description="Organisation or workspace id; the call's vendor is the tenant's")
    vendor: Literal["heppu", "trillet"] | None = Field(None, description="Must match the tenant's vendor when given")
    agentId: str | None = Field(None, description="One of the tenant's agents (default: its first voice agent)")
    direction: Literal["inbound", "outbound"] | None = None
    contactPhone: str | None = Field(None, max_length=32, description="The callee's number; a magic number forces its outcome")
    contactName: str | None = Field(None, max_length=200)
    contactEmail: str | None = Field(None, max_length=200)
    script: str | None = Field(None, description="Conversation script (fixtures/scripts)")
    variables: dict[str, str] | None = Field(None, description="Values for the script's placeholders")
    turns: list[TurnIn] | None = Field(None, max_length=1000, description="An explicit transcript instead of a script")
    outcome: Outcome | None = Field(None, description="How the call ends if nothing intervenes")
    failureReason: str | None = Field(None, max_length=200)
    startAt: str | float | None = Field(None, description="When it starts connecting (ISO 8601 or epoch); may be in the past")
    startDelay: Duration | None = Field(None, description="Or: how long after now it starts connecting")
    ringAt: Duration | None = Field(None, description="Seconds after start it rings; null: never rings")
    answerAt: Duration | None = Field(None, description="Seconds after start it is answered; null: not answered")
    talkFor: Duration | None = Field(None, description="Seconds from answer to end")
    giveUpAt: Duration | None = Field(None, description="Seconds after start an unanswered call ends; null: rings until told")
    waitingStatus: Literal["scheduled", "queued", "initiated"] | None = None
    participants: list[ParticipantIn] | None = Field(None, max_length=50)
    summary: str | None = None
    metadata: dict[str, Any] | None = None
    attributes: dict[str, Any] | None = None

    _d = field_validator("startDelay", "ringAt", "answerAt", "talkFor", "giveUpAt", mode="before")(lambda cls, v: _duration(v))

    @field_validator("startAt", mode="before")
    @classmethod
    def _start(cls, v):
        return None if v is None else parse_control_instant(v)


class TranscriptTurn(BaseModel):
    at: str
    role: str
    text: str
    sentiment: str


class RoomParticipantOut(BaseModel):
    identity: str
    name: str
    kind: str
    joinedAt: str
    muted: bool


class SnapshotOut(BaseModel):
    now: str = Field(description="The tenant's now the snapshot was taken at")
    status: Literal[STATUSES]  # type: ignore[valid-type]
    failureReason: str | None
    startedAt: str | None
    ringingAt: str | None
    answeredAt: str | None
    endedAt: str | None
    updatedAt: str
    duration: float
    transcript: list[TranscriptTurn]
    roomOpen: bool
    participants: list[RoomParticipantOut]
    summary: str | None


class CallOut(BaseModel):
    id: str
    vendor: str
    tenant: str
    plan: CallPlan = Field(description="The whole scripted timeline: instants in epoch seconds, phases as offsets from start_at, turns from the answer")
    interventions: list[Intervention]
    snapshot: SnapshotOut | None = Field(description="The call at the tenant's now; null before it is created")


class CallSummary(BaseModel):
    id: str
    tenant: str
    vendor: str
    status: str | None
    contactPhone: str
    room: str | None
    createdAt: str
    direction: str
    agentId: str
    agentName: str
    startedAt: str | None = Field(description="When it started connecting; null while waiting")
    endedAt: str | None
    duration: float = Field(description="Seconds since it started, up to the tenant's now or its end")


class CallList(BaseModel):
    calls: list[CallSummary]


def snapshot_out(s: CallSnapshot) -> SnapshotOut:
    return SnapshotOut(
        now=iso(s.now),
        status=s.status,
        failureReason=s.failure_reason,
        startedAt=iso(s.started_at),
        ringingAt=iso(s.ringing_at),
        answeredAt=iso(s.answered_at),
        endedAt=iso(s.ended_at),
        updatedAt=iso(s.updated_at),
        duration=round(s.duration, 3),
        transcript=[TranscriptTurn(at=iso(t.at), role=t.role, text=t.text, sentiment=t.sentiment) for t in s.turns],
        roomOpen=s.room_open,
        participants=[
            RoomParticipantOut(identity=p.identity, name=p.name, kind=p.kind, joinedAt=iso(p.joined_at), muted=p.muted_at is not None)
            for p in s.participants
        ],
        summary=s.summary,
    )


def call_out(engine: Engine, record: CallRecord, now: float) -> CallOut:
    tenant = engine.tenants.get(record.plan.tenant)
    snap = engine.snapshot(record, now)
    return CallOut(
        id=record.plan.id,
        vendor=tenant.vendor if tenant else "",
        tenant=record.plan.tenant,
        plan=record.plan,
        interventions=list(record.interventions),
        snapshot=snapshot_out(snap) if snap is not None else None,
    )


_FIELDS = {
    "direction": "direction",
    "contactName": "contact_name",
    "contactEmail": "contact_email",
    "outcome": "outcome",
    "failureReason": "failure_reason",
    "waitingStatus": "waiting_status",
    "summary": "summary",
    "metadata": "metadata",
    "attributes": "attributes",
    "startDelay": "start_delay",
    "talkFor": "talk_for",
}
# Null means something for these (never rings, not answered, until told).
_NULLABLE = {"ringAt": "ring_at", "answerAt": "answer_at", "giveUpAt": "give_up_at"}


def plan_args(engine: Engine, body: CallCreate, now: float) -> dict:
    given = {"contact_phone": body.contactPhone, "script": body.script, "variables": body.variables}
    args: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if body.script and body.script not in engine.scripts:
        raise ControlError(400, f"Unknown script {body.script!r}; known: {', '.join(sorted(engine.scripts))}")
    for name, field in _FIELDS.items():
        value = getattr(body, name)
        if value is not None:
            args[field] = value
    for name, field in _NULLABLE.items():
        if name in body.model_fields_set:
            args[field] = getattr(body, name)
    if body.startAt is not None:
        if body.startDelay is not None:
            raise ControlError(400, "Give startAt or startDelay, not both")
        args["created_at"] = min(now, body.startAt)
        args["start_delay"] = body.startAt - args["created_at"]
    if body.turns is not None:
        turns = tuple(Turn(at=t.at, role=t.role, text=t.text, sentiment=t.sentiment, topics=tuple(t.topics)) for t in sorted(body.turns, key=lambda t: t.at))
        args["turns"] = turns
        if body.talkFor is None and turns:
            args["talk_for"] = round(turns[-1].at + len(turns[-1].text) / 15.0 + 2.0, 3)
    if body.participants is not None:
        args["participants"] = tuple(Participant(**p.model_dump()) for p in body.participants)
    if body.outcome is not None and body.outcome != "failed" and "failure_reason" not in args:
        args["failure_reason"] = None
    return args


@router.post(
    "/calls",
    operation_id="createCall",
    summary="Create a call for a tenant from a full or partial plan",
    status_code=201,
    response_model=CallOut,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED, **errors.NOT_FOUND},
)
async def create_call(body: CallCreate, request: Request) -> Response:
    engine = get_engine(request)
    tenant = tenant_or_404(engine, body.tenant)
    if body.vendor is not None and body.vendor != tenant.vendor:
        raise ControlError(400, f"Tenant {tenant.id} is a {tenant.vendor} tenant, not {body.vendor}")
    provider = request.app.state.providers.get(tenant.vendor)
    if provider is None:
        raise ControlError(400, f"No provider serves vendor {tenant.vendor}")
    voice = [a for a in tenant.agents if a.type == "voice"]
    agent = tenant.agent(body.agentId) if body.agentId else (voice[0] if voice else None)
    if agent is None:
        raise ControlError(400, f"Tenant {tenant.id} has no agent {body.agentId}" if body.agentId else f"Tenant {tenant.id} has no voice agent")
    now = engine.now(tenant.id)
    args = plan_args(engine, body, now)
    try:
        record = engine.create_call(tenant=tenant, agent=agent, style=provider.style, now=now, **args)
    except ValueError as exc:
        raise ControlError(400, f"Inconsistent plan: {exc}") from None
    return json_response(call_out(engine, record, now), status_code=201)


@router.get(
    "/calls",
    operation_id="listCalls",
    summary="Calls, newest last, with their status at each tenant's now",
    response_model=CallList,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED},
)
async def list_calls(
    request: Request,
    tenant: str | None = Query(None, description="Only this tenant's calls"),
    status: Literal[STATUSES] | None = Query(None, description="Only calls in this status now"),  # type: ignore[valid-type]
    limit: int = Query(100, ge=1, le=1000),
) -> Response:
    engine = get_engine(request)
    store = engine.store
    tenant_ids = [tenant] if tenant else [t.id for t in engine.tenants.all()]
    # Newest first from each tenant's index (or, for a status, from its
    # status's index), merged, stopping at `limit`: never a whole-store scan.
    streams = []
    for tenant_id in tenant_ids:
        now = engine.now(tenant_id)
        if status is None or status in ENDED_STATUSES:
            keys = store.tenant_index(tenant_id) if status is None else store.ended_index(tenant_id, status, now)
        else:
            keys = sorted(store.key(r.plan.id) for r in store.open_calls(tenant_id, now))
        streams.append(_newest(store, keys, now, status))
    out = []
    for _, record, snap in heapq.merge(*streams, key=lambda item: item[0], reverse=True):
        t = engine.tenants.get(record.plan.tenant)
        out.append(
            CallSummary(
                id=record.plan.id,
                tenant=record.plan.tenant,
                vendor=t.vendor if t else "",
                status=snap.status if snap else None,
                contactPhone=record.plan.contact_phone,
                room=record.plan.room,
                createdAt=iso(record.plan.created_at),
                direction=record.plan.direction,
                agentId=record.plan.agent_id,
                agentName=record.plan.agent_name,
                startedAt=iso(snap.started_at) if snap else None,
                endedAt=iso(snap.ended_at) if snap else None,
                duration=round(snap.duration, 3) if snap else 0.0,
            )
        )
        if len(out) == limit:
            break
    return json_response(CallList(calls=out[::-1]))


def _newest(store, keys, now: float, status: str | None):
    """(key, record, snapshot at `now`) of the calls in `status` (any when
    None: the snapshot is None for a call created later), newest first, lazily."""
    for key in reversed(keys):
        record = store.get(key[2])
        if record is None:
            continue
        snap = record.at(now)
        if status is None or (snap is not None and snap.status == status):
            yield key, record, snap


CallId = Path(description="The call's id (Heppu call id or Trillet call id)")
ONE = {**errors.UNAUTHORIZED, **errors.NOT_FOUND}


@router.get("/calls/{callId}", operation_id="getControlCall", summary="A call's plan, interventions and snapshot", response_model=CallOut, responses=ONE)
async def get_call(request: Request, callId: str = CallId) -> Response:
    engine = get_engine(request)
    record = call_or_404(engine, callId)
    return json_response(call_out(engine, record, engine.now(record.plan.tenant)))


Action = Literal["answer", "hangup", "fail", "drop", "no_answer", "busy", "cancel", "start", "remove_agent"]


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"action": "answer"}, {"action": "fail", "reason": "network_error"}]})
    action: Action = Field(
        description="answer: the callee picks up now. hangup: ends now (completed if answered, else cancelled). "
        "fail: failed now with `reason` (default network_error). drop: an answered call fails now with call_dropped. "
        "no_answer / busy: an unanswered call ends so now. cancel: cancelled now. start: a waiting call starts connecting now. "
        "remove_agent: the AI agent of an active call is muted and a human takes over (Trillet's remove-agent, for any vendor)."
    )
    reason: str | None = Field(None, min_length=1, max_length=200, description="failureReason for fail")


def _force(engine: Engine, record: CallRecord, body: ActionIn, now: float) -> None:
    snap = engine.snapshot(record, now)
    if snap is None:
        raise ControlError(409, f"Call {record.plan.id} is not created yet at its tenant's now")
    status, action = snap.status, body.action
    if status in ENDED_STATUSES:
        raise ControlError(409, f"Call {record.plan.id} has already ended ({status})")
    if body.reason is not None and action != "fail":
        raise ControlError(400, "Only the fail action takes a reason")
    answered = status == "active"
    waiting = status in PENDING_STATUSES
    if action == "answer":
        if answered or waiting:
            raise ControlError(409, f"Call {record.plan.id} is {status}: only a connecting or ringing call can be answered")
        engine.intervene(record, "answer", now=now, source="control")
    elif action == "start":
        if not waiting:
            raise ControlError(409, f"Call {record.plan.id} is {status}: only a waiting call can be started")
        engine.intervene(record, "start", now=now, source="control")
    elif action == "remove_agent":
        if not answered:
            raise ControlError(409, f"Call {record.plan.id} is {status}: only an active call's agent can be removed")
        agent = next((p for p in snap.participants if p.kind == "agent" and p.muted_at is None), None)
        if agent is None:
            raise ControlError(409, f"Call {record.plan.id} has no agent left to remove")
        engine.intervene(record, "mute", identity=agent.identity, source="control", now=now)
    elif action == "drop":
        if not answered:
            raise ControlError(409, f"Call {record.plan.id} is {status}: only an active call can be dropped")
        engine.intervene(record, "end", now=now, status="failed", reason="call_dropped", source="control")
    elif action in ("no_answer", "busy"):
        if answered:
            raise ControlError(409, f"Call {record.plan.id} is already answered")
        engine.intervene(record, "end", now=now, status=action, source="control")
    elif action == "hangup":
        engine.intervene(record, "end", now=now, status="completed" if answered else "cancelled", source="control")
    elif action == "cancel":
        engine.intervene(record, "end", now=now, status="cancelled", source="control")
    elif action == "fail":
        engine.intervene(record, "end", now=now, status="failed", reason=body.reason or "network_error", source="control")


@router.post(
    "/calls/{callId}/actions",
    operation_id="forceTransition",
    summary="Force a transition now: answer, hang up, fail, drop, no answer, busy, cancel, start, remove the agent",
    response_model=CallOut,
    responses={**errors.BAD_REQUEST, **ONE, **errors.CONFLICT},
)
async def force_transition(body: ActionIn, request: Request, callId: str = CallId) -> Response:
    engine = get_engine(request)
    record = call_or_404(engine, callId)
    now = engine.now(record.plan.tenant)
    _force(engine, record, body, now)
    return json_response(call_out(engine, record, now))


class SayIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"role": "customer", "text": "Can I speak to a person?"}]})
    role: Literal["agent", "customer", "human"]
    text: str = Field(min_length=1, max_length=10_000)
    sentiment: Literal["positive", "neutral", "negative"] = "neutral"
    topics: list[str] = Field(default_factory=list, max_length=20)


@router.post(
    "/calls/{callId}/turns",
    operation_id="injectTurn",
    summary="Add a transcript turn spoken now (the call must be active)",
    response_model=CallOut,
    responses={**errors.BAD_REQUEST, **ONE, **errors.CONFLICT},
)
async def inject_turn(body: SayIn, request: Request, callId: str = CallId) -> Response:
    engine = get_engine(request)
    record = call_or_404(engine, callId)
    now = engine.now(record.plan.tenant)
    snap = engine.snapshot(record, now)
    if snap is None or snap.status != "active":
        raise ControlError(409, f"Call {callId} is {snap.status if snap else 'not created yet'}: turns are spoken only in an active call")
    engine.say(record, body.role, body.text, now=now, sentiment=body.sentiment, topics=tuple(body.topics))
    return json_response(call_out(engine, record, now))
