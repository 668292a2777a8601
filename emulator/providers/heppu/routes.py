"""Heppu Calls API routes (https://v2.heppu.ai/api/v1)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response

from emulator.providers.base import VendorError
from emulator.providers.heppu import errors, render
from emulator.providers.heppu.auth import HeppuContext, heppu_context
from emulator.providers.heppu.models import CallResponse
from emulator.web import json_response

router = APIRouter(prefix="/api/v1", tags=["Calls"])


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
    record = ctx.engine.store.get(callId)
    snap = ctx.engine.snapshot(record) if record is not None else None
    if snap is None:
        raise VendorError(404, "Call not found")
    if record.plan.tenant != ctx.tenant.id:
        raise VendorError(403, "Access denied - call belongs to different organization")
    return json_response(CallResponse(data=render.call(snap)))
