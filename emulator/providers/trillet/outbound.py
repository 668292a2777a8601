"""POST /v1/api/call: place an outbound call. The call is queued, starts
dialling a moment later and then lives its seeded life; while its room is
open it answers at /v2/api/active-calls/{roomName}."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Response

from emulator.providers.base import VendorError
from emulator.providers.trillet import errors, render
from emulator.providers.trillet.auth import TrilletContext, trillet_context
from emulator.providers.trillet.models import OutboundCallRequest, OutboundCallResponse
from emulator.providers.trillet.routing import TrilletRoute
from emulator.providers.trillet.style import STYLE
from emulator.web import json_bytes

router = APIRouter(tags=["Calls"], route_class=TrilletRoute)

# Seconds a new call waits in the queue before it starts dialling.
QUEUE_DELAY = 2.0


@router.post(
    "/v1/api/call",
    operation_id="initiateOutboundCall",
    summary="Initiate Outbound Call",
    description="Places an AI phone call. The call is queued, not yet connected: it starts dialling a moment later "
    "and its roomName answers at /v2/api/active-calls/{roomName} while it is live. dynamic_variables fill the "
    "conversation's placeholders (e.g. firstName in the greeting).",
    response_model=OutboundCallResponse,
    responses={
        200: {
            "description": "The call job was scheduled",
            "content": {"application/json": {"example": errors.EXAMPLES["outbound_call"]}},
            "links": {
                "GetActiveCall": {"operationId": "getActiveCall", "parameters": {"roomName": "$response.body#/roomName"}},
                "GetCallInsights": {"operationId": "getCallInsights", "parameters": {"roomName": "$response.body#/roomName"}},
                "EndActiveCall": {"operationId": "endActiveCall", "parameters": {"roomName": "$response.body#/roomName"}},
                "GetCallHistory": {"operationId": "getCallHistory", "parameters": {"callHistoryId": "$response.body#/callId"}},
            },
        },
        **errors.AUTH_ERRORS,
        **errors.bad_request(
            bad_phone="Invalid phone number in 'to': expected E.164 format, e.g. +14155551234",
            malformed_json="Malformed JSON in request body: EOF while parsing an object",
            missing_field="Missing required field 'call_agent_id'",
            no_phone_number="Agent a1b2c3d4e5f6a7b8c9d0e1f2 has no phone number configured",
        ),
        **errors.not_found("The agent does not exist in this workspace", "Agent not found: a1b2c3d4e5f6a7b8c9d0e1f2"),
        **errors.BODY_ERRORS,
    },
)
async def initiate_outbound_call(
    # The docs' sample is all "<string>" placeholders: this one can be sent.
    body: OutboundCallRequest = Body(
        openapi_examples={
            "basic": {"value": {"to": "+14155550123", "call_agent_id": "a1b2c3d4e5f6a7b8c9d0e1f2", "dynamic_variables": {"firstName": "Ada"}}}
        }
    ),
    ctx: TrilletContext = Depends(trillet_context),
) -> Response:
    agent = ctx.tenant.agent(body.call_agent_id)
    if agent is None:
        raise VendorError(404, f"Agent not found: {body.call_agent_id}", error="Agent not found")
    if agent.status != "active":
        raise VendorError(400, f"Agent {agent.id} is not active", error="Invalid configuration")
    if agent.type != "voice" or not agent.phone_numbers:
        raise VendorError(400, f"Agent {agent.id} has no phone number configured", error="Invalid configuration")

    variables = dict(body.dynamic_variables or {})
    record = ctx.engine.create_call(
        tenant=ctx.tenant,
        agent=agent,
        style=STYLE,
        now=ctx.now,
        contact_phone=body.to,
        variables=variables,
        start_delay=QUEUE_DELAY,
        waiting_status="queued",
        metadata=dict(body.metadata or {}),
        attributes={"callback_url": body.callback_url, "dynamic_variables": variables, "source": "api"},
    )
    return json_bytes(render.outbound_body(record.plan, f"Outbound call job scheduled for agent {agent.id} to number {body.to}"))
