"""What every control route shares: the token check, the tenant and call
lookups, the registered providers, instants rendered as ISO 8601."""

from __future__ import annotations

import hmac

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from emulator.control.errors import ControlError
from emulator.core.engine import Engine
from emulator.core.store import CallRecord
from emulator.core.tenants import Tenant
from emulator.core.timeutil import iso_millis

TOKEN_HEADER = "x-emulator-token"
token_header = APIKeyHeader(
    name=TOKEN_HEADER,
    scheme_name="ControlToken",
    auto_error=False,
    description="Required when the emulator was started with a control token (always, off loopback)",
)


async def require_token(request: Request, token: str | None = Security(token_header)) -> None:
    expected = request.app.state.settings.control_token
    if expected and not (token and hmac.compare_digest(token.encode(), expected.encode())):
        raise ControlError(401, f"Missing or invalid {TOKEN_HEADER}")


def providers(request: Request) -> dict:
    return request.app.state.providers


def tenant_or_404(engine: Engine, tenant_id: str) -> Tenant:
    tenant = engine.tenants.get(tenant_id)
    if tenant is None:
        raise ControlError(404, f"No tenant with id {tenant_id}")
    return tenant


def call_or_404(engine: Engine, call_id: str) -> CallRecord:
    record = engine.store.get(call_id)
    if record is None:
        raise ControlError(404, f"No call with id {call_id}")
    return record


def iso(ts: float | None) -> str | None:
    return None if ts is None else iso_millis(ts)
