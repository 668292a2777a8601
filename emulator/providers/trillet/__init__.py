"""Trillet's call API."""

from __future__ import annotations

from emulator.providers.base import Provider
from emulator.providers.trillet.auth import authenticate
from emulator.providers.trillet.errors import error_body
from emulator.providers.trillet.routes import router
from emulator.providers.trillet.style import STYLE


def _webhook():
    from emulator.providers.trillet.webhooks import KIND

    return KIND


PROVIDER = Provider(
    name="trillet",
    title="Trillet call API",
    version="v2",
    description="Trillet's call API as served by call-emulator. Every call endpoint needs x-api-key and "
    "x-workspace-id; responses reflect the call at the emulator clock's now.",
    prefixes=("/v1/api/", "/v2/api/", "/v1/api", "/v2/api"),
    router=router,
    error_body=error_body,
    authenticate=authenticate,
    servers=[{"url": "https://api.trillet.ai", "description": "Trillet production"}],
    style=STYLE,
    webhook=_webhook(),
    required_headers=("x-workspace-id",),
    fast_operations=("getActiveCall", "listActiveCalls", "initiateOutboundCall"),
    # Live calls are read by room; every call, live or ended, from history.
    call_reads=lambda plan: ([("getActiveCall", f"/v2/api/active-calls/{plan.room}")] if plan.room else [])
    + [("getCallHistory", f"/v2/api/call-history/{plan.id}")],
    credentials=lambda tenant: {"x-api-key": tenant.keys[0], "x-workspace-id": tenant.id},
)
