"""Web calls (WebRTC, no phone number): connect, disconnect, and the web
SDK's public-agent route. A web call is a call like any other: live in
active calls while its room is open, in call history once it ends, its room
served by the LiveKit API; the reply's token joins that room.

The official web SDK sends its key as `X-API_KEY` and no x-workspace-id;
both are accepted (docs/fidelity.md)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Body, Depends, Header, Request, Response, Security

from emulator.core.engine import Engine
from emulator.core.generate import random_token
from emulator.core.tenants import Agent, Tenant
from emulator.providers.base import VendorError
from emulator.providers.trillet import errors
from emulator.providers.trillet.auth import VENDOR, api_key_header
from emulator.providers.trillet.models import (
    PublicWebCallRequest,
    WebCallAgent,
    WebCallVoice,
    WebConnectRequest,
    WebConnectResponse,
    WebDisconnectRequest,
    WebDisconnectResponse,
)
from emulator.providers.trillet.routing import TrilletRoute
from emulator.providers.trillet.style import STYLE
from emulator.web import get_engine, json_response

router = APIRouter(tags=["Web Calls"], route_class=TrilletRoute)

# The browser user's identity in the room (the SDK tells the agent apart by
# its `agent-` prefix).
WEB_USER = "web-user"
WEB_STYLE = replace(STYLE, room=lambda rng, agent_id: f"web-{agent_id}-{random_token(rng, 10)}", caller_identity=WEB_USER)
# The docs' agent example; tenants carry no model or voice.
MODEL = "gpt-4o-mini"
VOICE = WebCallVoice(provider="openai", voiceId="alloy", language="en")


def _key(request: Request, api_key: str | None) -> str | None:
    # Starlette reads headers case-insensitively: X-API_KEY is x-api_key.
    return api_key or request.headers.get("x-api_key")


def keyed_workspace(engine: Engine, request: Request, api_key: str | None) -> Tenant:
    """The workspace a web-call request acts for: the one x-workspace-id
    names, or without it the only one the key opens."""
    key = _key(request, api_key)
    if not key:
        raise VendorError(401, "Missing x-api-key header")
    tenants = engine.tenants.by_key(VENDOR, key)
    if not tenants:
        raise VendorError(401, "Invalid API key")
    workspace_id = request.headers.get("x-workspace-id")
    if not workspace_id:
        if len(tenants) > 1:
            raise VendorError(400, f"Missing x-workspace-id header: this API key opens {len(tenants)} workspaces")
        return tenants[0]
    tenant = next((t for t in tenants if t.id == workspace_id), None)
    if tenant is None:
        raise VendorError(403, "API key does not have access to this workspace")
    return tenant


def _start(engine: Engine, tenant: Tenant, agent: Agent, mode: str, variables: dict | None, callback_url: str | None, source: str) -> Response:
    if agent.status != "active":
        raise VendorError(400, f"Agent {agent.id} is not active", error="Invalid configuration")
    variables = dict(variables or {})
    # The browser is connected at once: the room opens now, the user is
    # there half a second later, and the agent talks; it ends when the
    # conversation does or the page disconnects.
    record = engine.create_call(
        tenant=tenant,
        agent=agent,
        style=WEB_STYLE,
        now=engine.now(tenant.id),
        contact_phone="",
        variables=variables,
        fill_contact=False,
        start_delay=0.0,
        ring_at=0.0,
        answer_at=0.0,
        give_up_at=None,
        outcome="completed",
        failure_reason=None,
        direction="inbound",
        attributes={"callType": "web", "mode": mode, "callback_url": callback_url, "dynamic_variables": variables, "source": source},
    )
    plan = record.plan
    user = next(p for p in plan.participants if p.kind == "caller")
    # LiveKit's signing (PyJWT, its protobuf wire) loads with the first web call, not at start.
    from emulator.providers.livekit.auth import room_token

    return json_response(
        WebConnectResponse(
            status="success",
            callId=plan.id,
            roomName=plan.room or "",
            token=room_token(tenant, plan.room or "", user.identity, user.name),
            agent=WebCallAgent(id=agent.id, name=agent.name, model=MODEL, voice=VOICE),
        )
    )


CONNECTED = {
    "description": "The web call is live; join roomName with token",
    "content": {"application/json": {"example": errors.EXAMPLES["web_connect"]}},
    "links": {
        "GetActiveCall": {"operationId": "getActiveCall", "parameters": {"roomName": "$response.body#/roomName"}},
        "DisconnectWebCall": {"operationId": "disconnectWebCall", "requestBody": {"roomName": "$response.body#/roomName"}},
    },
}


@router.post(
    "/v1/api/calls/web/connect",
    operation_id="connectWebCall",
    summary="Connect Web Call",
    description="Starts a browser (WebRTC) call with an agent and returns the LiveKit room and a token to join it. "
    "The key may come as x-api-key or, as the official web SDK sends it, X-API_KEY; x-workspace-id may be left out "
    "when the key opens exactly one workspace.",
    response_model=WebConnectResponse,
    responses={
        200: CONNECTED,
        **errors.AUTH_ERRORS,
        **errors.not_found("The agent does not exist in this workspace", "Agent not found: a1b2c3d4e5f6a7b8c9d0e1f2"),
        **errors.BODY_ERRORS,
    },
)
async def connect_web_call(
    request: Request,
    body: WebConnectRequest = Body(),
    engine: Engine = Depends(get_engine),
    api_key: str | None = Security(api_key_header),
) -> Response:
    tenant = keyed_workspace(engine, request, api_key)
    agent = tenant.agent(body.agentId)
    if agent is None:
        raise VendorError(404, f"Agent not found: {body.agentId}", error="Agent not found")
    return _start(engine, tenant, agent, body.mode, body.dynamic_variables, body.callback_url, "web")


@router.post(
    "/v1/api/calls/web/disconnect",
    operation_id="disconnectWebCall",
    summary="Disconnect Web Call",
    description="Ends a live web call: its room closes and it is in call history as completed.",
    response_model=WebDisconnectResponse,
    responses={
        200: {"description": "The web call ended", "content": {"application/json": {"example": errors.EXAMPLES["web_disconnect"]}}},
        **errors.AUTH_ERRORS,
        **errors.not_found("No live web call in this room", "Web call not found: web-a1b2c3d4e5f6a7b8c9d0e1f2-k3m9x2p7q1"),
        **errors.BODY_ERRORS,
    },
)
async def disconnect_web_call(
    request: Request,
    body: WebDisconnectRequest = Body(),
    engine: Engine = Depends(get_engine),
    api_key: str | None = Security(api_key_header),
) -> Response:
    tenant = keyed_workspace(engine, request, api_key)
    record = engine.store.by_room(body.roomName)
    now = engine.now(tenant.id)
    snap = engine.snapshot(record, now) if record is not None and record.plan.tenant == tenant.id else None
    if snap is None or snap.plan.attributes.get("callType") != "web" or not snap.room_open:
        raise VendorError(404, f"Web call not found: {body.roomName}", error="Not Found")
    engine.intervene(record, "end", status="completed" if snap.answered_at is not None else "cancelled", source="api", now=now)
    return json_response(WebDisconnectResponse(status="success", message="Session ended successfully"))


@router.post(
    "/v1/api/web-call/public",
    operation_id="connectPublicWebCall",
    summary="Connect Public Web Call",
    description="The web SDK's route for agents with public access: no API key, only x-workspace-id. Agents are "
    "public when the tenants file marks them so (\"public\": true).",
    response_model=WebConnectResponse,
    responses={
        200: CONNECTED,
        400: errors.AUTH_ERRORS[400],
        **errors.not_found("No such workspace, or no such agent in it", "Agent not found: 64f8e3b1c12d8e9a4f3c2d1e"),
        403: {
            "model": errors.ErrorResponse,
            "description": "The agent does not allow public access",
            "content": {"application/json": {"example": errors.error_body(403, "Public access is not enabled for agent a1b2c3d4e5f6a7b8c9d0e1f2", {})}},
        },
        **errors.BODY_ERRORS,
    },
)
async def connect_public_web_call(
    body: PublicWebCallRequest = Body(),
    engine: Engine = Depends(get_engine),
    workspace_id: str | None = Header(None, alias="x-workspace-id", description="Workspace identifier for the API."),
) -> Response:
    if not workspace_id:
        raise VendorError(400, "Missing x-workspace-id header")
    tenant = engine.tenants.get(workspace_id)
    if tenant is None or tenant.vendor != VENDOR:
        raise VendorError(404, f"Workspace not found: {workspace_id}", error="Not Found")
    agent = tenant.agent(body.call_agent_id)
    if agent is None:
        raise VendorError(404, f"Agent not found: {body.call_agent_id}", error="Agent not found")
    if not agent.public:
        raise VendorError(403, f"Public access is not enabled for agent {agent.id}", error="Forbidden")
    return _start(engine, tenant, agent, body.mode, body.dynamic_variables, body.callback_url, "public")
