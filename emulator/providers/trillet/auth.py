"""Trillet authentication: `x-api-key` and `x-workspace-id`, both required;
the key must belong to the workspace."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Header, Security
from fastapi.security import APIKeyHeader

from emulator.core.engine import Engine
from emulator.core.tenants import Tenant
from emulator.providers.base import VendorError
from emulator.web import get_engine

VENDOR = "trillet"

api_key_header = APIKeyHeader(name="x-api-key", scheme_name="ApiKeyAuth", auto_error=False, description="API key used for authenticating requests to the API.")


@dataclass
class TrilletContext:
    engine: Engine
    tenant: Tenant
    now: float


async def trillet_context(
    engine: Engine = Depends(get_engine),
    api_key: str | None = Security(api_key_header),
    workspace_id: str | None = Header(None, alias="x-workspace-id", description="Workspace identifier for the API."),
) -> TrilletContext:
    if not api_key:
        raise VendorError(401, "Missing x-api-key header")
    tenants = engine.tenants.by_key(VENDOR, api_key)
    if not tenants:
        raise VendorError(401, "Invalid API key")
    if not workspace_id:
        raise VendorError(400, "Missing x-workspace-id header")
    tenant = next((t for t in tenants if t.id == workspace_id), None)
    if tenant is None:
        raise VendorError(403, "API key does not have access to this workspace")
    return TrilletContext(engine, tenant, engine.now(tenant.id))
