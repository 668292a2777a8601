"""What every control route shares: the token check, the tenant and call
lookups, the registered providers, instants rendered as ISO 8601."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from emulator.control.errors import ControlError
from emulator.door import first_repeated
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


async def single_query_values(request: Request) -> None:
    """Control query parameters are the declared ones, one value each: an
    unknown or repeated one is an error, not silently ignored."""
    keys = [k for k, _ in request.query_params.multi_items()]
    repeated = first_repeated(keys)  # one pass: the door caps the count, this stays linear
    if repeated is not None:
        raise ControlError(400, f"Query parameter {repeated!r} given more than once")
    route = request.scope.get("route")
    if route is not None and keys:
        known = _query_names(route.dependant)
        unknown = sorted(set(keys) - known)
        if unknown:
            raise ControlError(400, f"Unknown query parameter {unknown[0]!r}")


def _query_names(dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


CONTROL_DEPENDENCIES = [Depends(require_token), Depends(single_query_values)]


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
