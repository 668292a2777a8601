"""Heppu's Calls API."""

from __future__ import annotations

from emulator.core.generate import CallStyle, random_token
from emulator.core.plan import CallPlan
from emulator.providers.base import Provider
from emulator.providers.heppu.errors import error_body
from emulator.providers.heppu.routes import router


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

PROVIDER = Provider(
    name="heppu",
    title="Heppu Calls API",
    version="v1",
    description="Heppu's Calls API as served by call-emulator. Calls are scheduled or placed, ring, are answered, "
    "talk and end; every response reflects the call at the emulator clock's now.",
    prefixes=("/api/v1/", "/api/v1"),
    router=router,
    error_body=error_body,
    servers=[{"url": "https://v2.heppu.ai", "description": "Heppu production"}],
    style=STYLE,
    call_reads=lambda plan: [("getCall", f"/api/v1/calls/{plan.id}")],
    credentials=lambda tenant: {"x-api-key": tenant.keys[0]},
)

# Routes beyond Get Call register on the same router.
from emulator.providers.heppu import create, listing  # noqa: E402,F401
