"""Heppu webhooks: `call.completed` exactly as Heppu documents it (the keys
and order of the docs' example, values from the call). The other names
(call.started, call.failed, call.no_answer, call.busy, call.cancelled) are
the emulator's own, not documented by Heppu: same payload, off unless an
endpoint asks for them."""

from __future__ import annotations

from emulator.core.timeutil import iso_seconds
from emulator.events.webhooks import WebhookKind, instant as _instant
from emulator.providers.heppu.render import twilio_call_sid

DOCUMENTED = ("call.completed",)
OWN = ("call.started", "call.failed", "call.no_answer", "call.busy", "call.cancelled")


def _name(ev: dict) -> str | None:
    if ev["type"] == "call.ended":
        status = ev["data"]["status"]
        return "call." + status if "call." + status in DOCUMENTED + OWN else None
    if ev["type"] == "call.status_changed" and ev["data"]["status"] == "active":
        return "call.started"
    return None


def payload(engine, ev: dict, name: str) -> dict | None:
    record = engine.store.get(ev["callId"])
    s = record.at(_instant(ev)) if record is not None else None
    if s is None:
        return None
    p = s.plan
    return {
        "event": name,
        "timestamp": iso_seconds(_instant(ev)),
        "webhookId": "whd_" + ev["id"].removeprefix("evt_"),
        "agentId": p.agent_id,
        "agentName": p.agent_name,
        "conversationId": p.id,
        "conversationType": "phone",
        "status": s.status,
        "outcome": p.outcome_label,
        "summary": s.summary,
        "duration": int(s.duration),
        "direction": p.direction,
        "agentNumber": p.agent_phone,
        "twilioCallSid": twilio_call_sid(s),
        "callMetadata": p.attributes.get("callMetadata") or {},
        "metadata": {"contactName": p.contact_name, "contactPhone": p.contact_phone, "contactEmail": p.contact_email},
        "organizationId": p.tenant,
    }


def payloads(engine, ev: dict) -> list[tuple[str, dict]]:
    name = _name(ev)
    body = payload(engine, ev, name) if name else None
    return [(name, body)] if body is not None else []


KIND = WebhookKind(name="heppu", events=DOCUMENTED + OWN, default_events=DOCUMENTED, payloads=payloads, vendor="heppu")
