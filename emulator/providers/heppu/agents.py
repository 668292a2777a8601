"""Which agent places a call, and from which number."""

from __future__ import annotations

from emulator.core.tenants import Agent, Tenant
from emulator.providers.base import VendorError


def calling_agent(tenant: Tenant, agent_id: str, caller_id: str | None) -> tuple[Agent, str]:
    """The organisation's voice agent `agent_id` and the caller ID its call
    shows (the given one, else the agent's first number). An agent of another
    organisation is "not found": a key never learns about other
    organisations' agents."""
    agent = tenant.agent(agent_id)
    if agent is None:
        raise VendorError(404, "Agent not found")
    if agent.type != "voice":
        raise VendorError(400, f"Agent {agent.id} is a {agent.type} agent; calls need a voice agent")
    if agent.status == "inactive":
        raise VendorError(400, f"Agent {agent.id} is inactive")
    number = caller_id or (agent.phone_numbers[0] if agent.phone_numbers else None)
    if number is None:
        raise VendorError(400, f"Agent {agent.id} has no phone number; assign one or pass callerId")
    return agent, number
