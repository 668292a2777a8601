"""Trillet webhooks. Trillet documents `callback_url` on a call but not what
it receives: the emulator sends every event of the call as
`{"event": <the emulator's event type>, "data": <the call>}` (the envelope of
Trillet's one account-webhook example), where the call is the same object
the routes show at that instant: the active-call object while the call is
not over, the call-history object once it has ended."""

from __future__ import annotations

import hashlib
import hmac
import json

from emulator.core.timeline import EVENT_TYPES
from emulator.events.webhooks import WebhookKind, instant as _instant
from emulator.providers.trillet import render

EVENTS = EVENT_TYPES  # a callback URL gets every event of its call


def call_object(s) -> dict:
    model = render.history_detail(s) if s.ended else render.active_call(s)
    return json.loads(model.model_dump_json(by_alias=True))


def payloads(engine, ev: dict) -> list[tuple[str, dict]]:
    record = engine.store.get(ev["callId"])
    s = record.at(_instant(ev)) if record is not None else None
    if s is None:
        return []
    return [(ev["type"], {"event": ev["type"], "data": call_object(s)})]


def targets(engine, ev: dict) -> list[str]:
    record = engine.store.get(ev["callId"])
    url = record.plan.attributes.get("callback_url") if record is not None else None
    return [url] if url else []


def sign(secret: str, body: bytes) -> dict[str, str]:
    """Trillet's documented header: hex HMAC-SHA256 of the raw body."""
    return {"X-Trillet-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


KIND = WebhookKind(name="trillet", events=EVENTS, default_events=EVENTS, payloads=payloads, targets=targets, sign=sign, vendor="trillet")
