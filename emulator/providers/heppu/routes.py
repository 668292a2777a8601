"""Heppu Calls API routes (https://v2.heppu.ai/api/v1)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response

from emulator.providers.base import VendorError
from emulator.providers.heppu import errors, policy, render
from emulator.providers.heppu.auth import HeppuContext, heppu_context
from emulator.providers.heppu.models import CallResponse, CancelledCall, CancelResponse
from emulator.web import json_body_route, json_bytes, json_response

router = APIRouter(prefix="/api/v1", tags=["Calls"], route_class=json_body_route(VendorError))


@router.get(
    "/calls/{callId}",
    operation_id="getCall",
    summary="Get Call Details",
    description="Retrieve comprehensive information about a specific call, including full transcript, summary, "
    "duration, LiveKit room status, and metadata.",
    response_model=CallResponse,
    responses={
        200: {
            "description": "Detailed call information including transcript and LiveKit status",
            "content": {
                "application/json": {
                    "examples": {name: {"value": errors.EXAMPLES[name]} for name in ("completed", "active", "failed")}
                }
            },
        },
        **errors.UNAUTHORIZED,
        **errors.FORBIDDEN,
        **errors.NOT_FOUND,
    },
)
async def get_call(
    callId: str = Path(description="Unique call identifier"),
    ctx: HeppuContext = Depends(heppu_context),
) -> Response:
    record = owned_record(ctx, callId)
    bodies, key = ctx.engine.bodies, ("heppu.call", callId)
    body = bodies.get(key, record, ctx.now)
    if body is None:
        snap = record.at(ctx.now)
        body = bodies.put(key, record, ctx.now, snap.next_change, json_response(CallResponse(data=render.call(snap))).body)
    return json_bytes(body)


def owned_record(ctx: HeppuContext, call_id: str):
    """The organisation's call `call_id`: 404 when no call has that id (yet)
    or no Heppu organisation owns it (a Trillet call's id is not Heppu's to
    reveal), 403 when another organisation's."""
    engine = ctx.engine
    record = engine.store.get(call_id)
    plan = record.plan if record is not None else None
    owner = engine.tenants.get(plan.tenant) if plan is not None else None
    if owner is None or ctx.now < plan.created_at or owner.vendor != ctx.tenant.vendor:
        raise VendorError(404, "Call not found")
    if plan.tenant != ctx.tenant.id:
        raise VendorError(403, "Access denied - call belongs to different organization")
    return record


def owned_call(ctx: HeppuContext, call_id: str):
    """The organisation's call `call_id` as it stands now (see owned_record)."""
    record = owned_record(ctx, call_id)
    return record, record.at(ctx.now)


@router.delete(
    "/calls/{callId}",
    operation_id="cancelCall",
    summary="Cancel Call",
    description="Cancel an active or scheduled call. A call in progress ends at once: its LiveKit room closes and "
    "the transcript stops. Scheduled, queued, initiated, connecting, ringing and active calls can be cancelled; "
    "completed, failed, cancelled, no_answer and busy calls cannot.",
    response_model=CancelResponse,
    responses={
        200: {
            "description": "The call is cancelled",
            "links": {"GetCancelledCall": {"operationId": "getCall", "parameters": {"callId": "$response.body#/data/id"}}},
            "content": {
                "application/json": {
                    "example": {"data": {"id": "call_abc123", "status": "cancelled"}, "message": "Call cancelled successfully"}
                }
            },
        },
        **errors.conflict(
            "The call has already ended", already_ended=(policy.CANCEL_ENDED, "Cannot cancel call: it is already completed")
        ),
        **errors.UNAUTHORIZED,
        **errors.FORBIDDEN,
        **errors.NOT_FOUND,
    },
)
async def cancel_call(
    callId: str = Path(description="Unique call identifier"),
    ctx: HeppuContext = Depends(heppu_context),
) -> Response:
    record, snap = owned_call(ctx, callId)
    if snap.ended:
        raise VendorError(policy.CANCEL_ENDED, f"Cannot cancel call: it is already {snap.status}")
    ctx.engine.intervene(record, "end", now=ctx.now, status="cancelled", source="api")
    return json_response(CancelResponse(data=CancelledCall(id=record.plan.id, status="cancelled"), message="Call cancelled successfully"))
