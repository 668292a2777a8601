"""/_emulator/events: the outbox of every event the calls' timelines
released, and the same events live as Server-Sent Events. The emulator's
own: neither vendor documents a stream."""

from __future__ import annotations

import json

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES
from emulator.control.errors import ControlError
from emulator.core.timeline import EVENT_TYPES

router = APIRouter(prefix="/_emulator", tags=["Events"], dependencies=CONTROL_DEPENDENCIES)



class EventOut(BaseModel):
    id: str = Field(description="evt_ and the sequence number, 12 digits")
    seq: int = Field(description="Grows by one per event, across tenants")
    type: str = Field(description=", ".join(EVENT_TYPES))
    at: str = Field(description="The event's virtual instant, ISO 8601 with milliseconds")
    tenant: str
    vendor: str | None
    callId: str
    room: str | None
    data: dict = Field(
        description="call.created: status; call.status_changed: status, previous; participant.joined/left: identity, name, kind; "
        "transcript.turn: index, role, content, timestamp; call.ended: status, reason; call.summary_ready: summary"
    )


class EventList(BaseModel):
    events: list[EventOut]
    count: int


@router.get(
    "/events",
    operation_id="listEvents",
    summary="The outbox: events that happened, oldest first (bounded, newest kept)",
    response_model=EventList,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED},
)
async def list_events(
    request: Request,
    tenant: str | None = Query(None, description="Only this tenant's events"),
    callId: str | None = Query(None, description="Only this call's events"),
    type: str | None = Query(None, description="Only events of this type"),
    limit: int | None = Query(None, ge=1, le=100_000, description="At most this many, the newest"),
) -> Response:
    if type is not None and type not in EVENT_TYPES:
        raise ControlError(400, f"Invalid query parameter 'type': must be one of {', '.join(EVENT_TYPES)}")
    events = request.app.state.events.list(tenant, callId, type, limit)
    body = json.dumps({"events": events, "count": len(events)}, separators=(",", ":"))
    return Response(body, media_type="application/json")


def _frame(ev: dict) -> str:
    return f"id: {ev['seq']}\nevent: {ev['type']}\ndata: {json.dumps(ev, separators=(',', ':'))}\n\n"


@router.get(
    "/events/stream",
    operation_id="streamEvents",
    summary="Events as they happen, as Server-Sent Events (id: seq, event: type, data: the event); Last-Event-ID resumes",
    response_class=StreamingResponse,
    responses={
        200: {"description": "An endless text/event-stream; `: heartbeat` comments while idle", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **errors.BAD_REQUEST,
        **errors.UNAUTHORIZED,
    },
)
async def stream_events(
    request: Request,
    tenant: str | None = Query(None, description="Only this tenant's events"),
    callId: str | None = Query(None, description="Only this call's events"),
    heartbeat: float = Query(15.0, ge=0.05, le=300, description="Seconds without an event before a heartbeat comment"),
    last_event_id: str | None = Header(None, alias="Last-Event-ID", description="Resume after this seq (what the outbox still holds)"),
) -> StreamingResponse:
    after = None
    if last_event_id:
        raw = last_event_id.strip()
        raw = raw[4:] if raw.startswith("evt_") else raw
        if not raw.isdigit():
            raise ControlError(400, "Last-Event-ID must be an event's seq")
        after = int(raw)
    hub = request.app.state.events

    async def frames():
        yield ": stream open\n\n"
        async for ev in hub.follow(tenant, callId, after, idle=heartbeat):
            yield ": heartbeat\n\n" if ev is None else _frame(ev)

    return StreamingResponse(frames(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
