"""Trillet's call API."""

from __future__ import annotations

from emulator.core.generate import CallStyle, hex_id, random_token
from emulator.providers.base import Provider
from emulator.providers.trillet.errors import error_body
from emulator.providers.trillet.routes import router

STYLE = CallStyle(
    call_id=lambda rng: hex_id(rng, 24),
    # Outbound rooms are "<agentId>-<10 chars>" as the docs' example shows.
    room=lambda rng, agent_id: f"{agent_id}-{random_token(rng, 10)}",
    job_id=lambda rng: "AJ_" + random_token(rng, 12),
    sip_participant_id=lambda rng: "PA_" + random_token(rng, 12),
    agent_identity="agent-001",
    caller_identity="customer-001",
    human_identity="human-001",
    caller_named_by_phone=False,
)

PROVIDER = Provider(
    name="trillet",
    title="Trillet call API",
    version="v2",
    description="Trillet's call API as served by call-emulator. Every call endpoint needs x-api-key and "
    "x-workspace-id; responses reflect the call at the emulator clock's now.",
    prefixes=("/v1/api/", "/v2/api/", "/v1/api", "/v2/api"),
    router=router,
    error_body=error_body,
    servers=[{"url": "https://api.trillet.ai", "description": "Trillet production"}],
    style=STYLE,
    required_headers=("x-workspace-id",),
)
