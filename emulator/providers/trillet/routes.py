"""Trillet call API routes (https://api.trillet.ai)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Response

from emulator.core.lifecycle import CallSnapshot
from emulator.providers.base import VendorError
from emulator.providers.trillet import errors, render
from emulator.providers.trillet.auth import TrilletContext, trillet_context
from emulator.providers.trillet.models import ActiveCallDetail
from emulator.web import json_response

router = APIRouter(tags=["Active Calls"])


def live_call(ctx: TrilletContext, room_name: str) -> CallSnapshot:
    """The workspace's call live in `room_name` now, or 404."""
    record = ctx.engine.store.by_room(room_name)
    snap = ctx.engine.snapshot(record, ctx.now) if record is not None and record.plan.tenant == ctx.tenant.id else None
    if snap is None or not snap.room_open:
        raise VendorError(404, f"Active call not found: {room_name}", error="Not Found")
    return snap


@router.get(
    "/v2/api/active-calls/{roomName}",
    operation_id="getActiveCall",
    summary="Get Active Call Details",
    description="Details for one live call including participants, live transcript and sentiment.",
    response_model=ActiveCallDetail,
    responses={
        200: {"description": "The live call", "content": {"application/json": {"example": errors.EXAMPLES["active_call"]}}},
        **errors.AUTH_ERRORS,
        **errors.NOT_FOUND,
    },
)
async def get_active_call(
    roomName: str = Path(description="The LiveKit room name of the active call."),
    ctx: TrilletContext = Depends(trillet_context),
) -> Response:
    return json_response(render.active_call(live_call(ctx, roomName)))
