"""Heppu's Calls API."""

from __future__ import annotations

from emulator.providers.base import Provider
from emulator.providers.heppu.errors import error_body
from emulator.providers.heppu.auth import authenticate
from emulator.providers.heppu.routes import router
from emulator.providers.heppu.style import STYLE


def _webhook():
    from emulator.providers.heppu.webhooks import KIND

    return KIND


PROVIDER = Provider(
    name="heppu",
    title="Heppu Calls API",
    version="v1",
    description="Heppu's Calls API as served by call-emulator. Calls are scheduled or placed, ring, are answered, "
    "talk and end; every response reflects the call at the emulator clock's now.",
    prefixes=("/api/v1/", "/api/v1"),
    router=router,
    error_body=error_body,
    authenticate=authenticate,
    servers=[{"url": "https://v2.heppu.ai", "description": "Heppu production"}],
    style=STYLE,
    webhook=_webhook(),
    attach=lambda engine: _attach(engine),
    fast_operations=("getCall", "listCalls", "outboundCall", "scheduleCall"),
    call_reads=lambda plan: [("getCall", f"/api/v1/calls/{plan.id}")],
    credentials=lambda tenant: {"x-api-key": tenant.keys[0]},
)


def _attach(engine) -> None:
    from emulator.providers.heppu import retries

    retries.attach(engine, STYLE)


# Routes beyond Get Call register on the same router.
from emulator.providers.heppu import create, listing  # noqa: E402,F401
