"""How Heppu's calls look: id shapes, participant identities, metadata."""

from __future__ import annotations

from emulator.core.generate import CallStyle, random_token
from emulator.core.plan import CallPlan


def _metadata(plan: CallPlan) -> dict:
    first, _, last = (plan.contact_name or "").partition(" ")
    return {
        "caller_id": plan.agent_phone,
        "from_phone_number": plan.agent_phone,
        "priority": plan.attributes.get("priority", 5),
        "source": plan.attributes.get("source", "api"),
        "contact": {"firstName": first, "lastName": last},
    }


STYLE = CallStyle(
    call_id=lambda rng: "call_" + random_token(rng, 12),
    room=lambda rng, agent_id: "room_" + random_token(rng, 12),
    job_id=lambda rng: "job_" + random_token(rng, 10),
    sip_participant_id=lambda rng: "sip_" + random_token(rng, 10),
    agent_identity="agent",
    caller_identity="caller",
    human_identity="human",
    caller_named_by_phone=True,
    metadata=_metadata,
)
