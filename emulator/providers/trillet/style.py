"""How Trillet names the parts of a call."""

from __future__ import annotations

from emulator.core.generate import CallStyle, hex_id, random_token

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
