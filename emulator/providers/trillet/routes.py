"""Trillet call API routes (https://api.trillet.ai): active calls. The
outbound call and call history routes live beside this module and are
mounted on the same router."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Path, Response

from emulator.core.lifecycle import CallSnapshot
from emulator.core.store import CallRecord
from emulator.core.timeutil import iso_millis
from emulator.providers.base import VendorError
from emulator.providers.trillet import errors, history, outbound, render, webcalls
from emulator.providers.trillet.auth import TrilletContext, trillet_context
from emulator.providers.trillet.models import (
    ActiveCallDetail,
    ActiveCallList,
    CallInsights,
    EndCallResponse,
    RemoveAgentRequest,
    RemoveAgentResponse,
)
from emulator.providers.trillet.routing import TrilletRoute
from emulator.web import json_bytes, json_response

router = APIRouter(tags=["Active Calls"], route_class=TrilletRoute)

ROOM = Path(description="The LiveKit room name of the active call.")


def _room_record(ctx: TrilletContext, room_name: str) -> CallRecord | None:
    record = ctx.engine.store.by_room(room_name)
    return record if record is not None and record.plan.tenant == ctx.tenant.id else None


def live_call(ctx: TrilletContext, room_name: str) -> CallSnapshot:
    """The workspace's call live in `room_name` now, or 404 saying why not."""
    record = _room_record(ctx, room_name)
    snap = ctx.engine.snapshot(record, ctx.now) if record is not None else None
    if snap is None:
        raise VendorError(404, f"Active call not found: {room_name}", error="Not Found")
    if snap.ended:
        raise VendorError(404, f"Call in room {room_name} has already ended ({render.HISTORY_STATUS[snap.status]})", error="Not Found")
    if not snap.room_open:
        raise VendorError(404, f"Call in room {room_name} is not live yet ({render.HISTORY_STATUS[snap.status]})", error="Not Found")
    return snap


@router.get(
    "/v2/api/active-calls",
    operation_id="listActiveCalls",
    summary="List Active Calls",
    description="Every call live in the workspace now (connecting, ringing or talking), newest first.",
    response_model=ActiveCallList,
    responses={
        200: {"description": "The workspace's live calls", "content": {"application/json": {"example": errors.EXAMPLES["active_calls"]}}},
        **errors.AUTH_ERRORS,
    },
)
async def list_active_calls(ctx: TrilletContext = Depends(trillet_context)) -> Response:
    # Only calls not yet over are looked at: the store keeps them apart.
    store = ctx.engine.store
    bodies = ctx.engine.bodies
    items = []
    for record in sorted(store.open_calls(ctx.tenant.id, ctx.now), key=lambda r: r.key, reverse=True):
        call_id = record.plan.id
        if record.plan.created_at > ctx.now:
            continue
        key = ("trillet.active_item", call_id)
        item = bodies.get(key, record, ctx.now)  # a hit was live when rendered, and nothing has changed since
        if item is None:
            snap = ctx.engine.snapshot(record, ctx.now)
            if snap is None or not snap.room_open:
                continue
            item = bodies.put(key, record, ctx.now, _until(snap), json_response(render.active_call_item(snap)).body)
        items.append(item)
    # ActiveCallList's fields, in its order, around the items' own bytes.
    return json_bytes(b'{"data":[%s],"count":%d,"timestamp":"%s"}' % (b",".join(items), len(items), iso_millis(ctx.now).encode()))


def _until(snap: CallSnapshot) -> float:
    """Until when a live call's rendering holds: its next change, or the next
    whole second of its running duration."""
    next_second = snap.started_at + int(snap.duration) + 1
    return next_second if snap.next_change is None else min(snap.next_change, next_second)


@router.get(
    "/v2/api/active-calls/{roomName}",
    operation_id="getActiveCall",
    summary="Get Active Call Details",
    description="Details for one live call including participants, live transcript and sentiment.",
    response_model=ActiveCallDetail,
    responses={
        200: {
            "description": "The live call",
            "content": {"application/json": {"example": errors.EXAMPLES["active_call"]}},
            "links": {
                "GetCallInsights": {"operationId": "getCallInsights", "parameters": {"roomName": "$response.body#/roomName"}},
                "RemoveAgent": {
                    "operationId": "removeAgent",
                    "parameters": {"roomName": "$response.body#/roomName"},
                    "requestBody": {"participantIdentity": "$response.body#/participants/0/identity"},
                },
                "EndActiveCall": {"operationId": "endActiveCall", "parameters": {"roomName": "$response.body#/roomName"}},
            },
        },
        **errors.AUTH_ERRORS,
        **errors.NOT_FOUND,
    },
)
async def get_active_call(roomName: str = ROOM, ctx: TrilletContext = Depends(trillet_context)) -> Response:
    record = _room_record(ctx, roomName)
    key = ("trillet.active_call", roomName)
    if record is not None and (body := ctx.engine.bodies.get(key, record, ctx.now)) is not None:
        return json_bytes(body)  # live when rendered, and nothing has changed since
    snap = live_call(ctx, roomName)
    return json_bytes(ctx.engine.bodies.put(key, record, ctx.now, _until(snap), json_response(render.active_call(snap)).body))


@router.get(
    "/v2/api/active-calls/{roomName}/insights",
    operation_id="getCallInsights",
    summary="Get Call Insights",
    description="Live insights derived from the conversation so far: sentiment, topics, summary and suggestions.",
    response_model=CallInsights,
    responses={
        200: {
            "description": "Insights for the live call",
            "content": {"application/json": {"example": errors.EXAMPLES["insights"]}},
            "links": {"EndActiveCall": {"operationId": "endActiveCall", "parameters": {"roomName": "$request.path.roomName"}}},
        },
        **errors.AUTH_ERRORS,
        **errors.NOT_FOUND,
    },
)
async def get_call_insights(roomName: str = ROOM, ctx: TrilletContext = Depends(trillet_context)) -> Response:
    return json_response(render.insights(live_call(ctx, roomName)))


@router.post(
    "/v2/api/active-calls/{roomName}/end-call",
    operation_id="endActiveCall",
    summary="End Active Call",
    description="Ends a live call now. The room closes and the call is in call history as ended: completed if it "
    "was answered, cancelled if not.",
    response_model=EndCallResponse,
    responses={
        200: {
            "description": "The call was ended",
            "content": {"application/json": {"example": errors.EXAMPLES["end_call"]}},
            "links": {
                "ListCallHistory": {"operationId": "listCallHistory", "parameters": {"search": "$response.body#/roomName"}},
                "GetActiveCall": {"operationId": "getActiveCall", "parameters": {"roomName": "$response.body#/roomName"}},
            },
        },
        **errors.AUTH_ERRORS,
        **errors.NOT_FOUND,
        **errors.BODY_ERRORS,
    },
)
async def end_active_call(roomName: str = ROOM, ctx: TrilletContext = Depends(trillet_context)) -> Response:
    snap = live_call(ctx, roomName)
    record = ctx.engine.store.get(snap.plan.id)
    status = "completed" if snap.answered_at is not None else "cancelled"
    iv = ctx.engine.intervene(record, "end", now=ctx.now, status=status, source="api")
    return json_response(EndCallResponse(success=True, message="Call ended successfully", roomName=roomName, endTime=iso_millis(iv.at)))


@router.post(
    "/v2/api/active-calls/{roomName}/remove-agent",
    operation_id="removeAgent",
    summary="Remove AI Agent (Human Takeover)",
    description="Mutes the AI agent (it stays in the room) so a human can take over: the agent speaks no more turns "
    "and the call's handover script continues with a human participant.",
    response_model=RemoveAgentResponse,
    responses={
        200: {"description": "The agent was muted", "content": {"application/json": {"example": errors.EXAMPLES["remove_agent"]}}},
        **errors.AUTH_ERRORS,
        **errors.bad_request(body="Missing required field 'participantIdentity'", not_agent="Participant customer-001 is not an AI agent"),
        **errors.NOT_FOUND,
        **errors.NOT_ANSWERED,
        **errors.BODY_ERRORS,
    },
)
async def remove_agent(
    roomName: str = ROOM,
    body: RemoveAgentRequest = Body(openapi_examples={"agent": {"value": {"participantIdentity": "agent-001"}}}),
    ctx: TrilletContext = Depends(trillet_context),
) -> Response:
    snap = live_call(ctx, roomName)
    identity = body.participantIdentity
    participant = next((p for p in snap.participants if p.identity == identity), None)
    if participant is None:
        raise VendorError(404, f"Participant {identity} is not in room {roomName}", error="Not Found")
    if participant.kind != "agent":
        raise VendorError(400, f"Participant {identity} is not an AI agent", error="Bad Request")
    if snap.answered_at is None:
        raise VendorError(409, f"Call in room {roomName} has not been answered yet: there is no conversation to take over", error="Conflict")
    if participant.muted_at is None:  # muting again changes nothing
        ctx.engine.intervene(ctx.engine.store.get(snap.plan.id), "mute", now=ctx.now, identity=identity, source="api")
    return json_response(
        RemoveAgentResponse(success=True, message="Agent removed from call", roomName=roomName, mutedTracks=[render.track_sid(roomName, identity)])
    )


# The outbound call, call history and web call routes, on the same router as plain
# routes (the spec step that restores the docs' examples walks APIRoutes).
router.routes.extend(outbound.router.routes)
router.routes.extend(history.router.routes)
router.routes.extend(webcalls.router.routes)
