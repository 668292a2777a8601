"""Heppu authentication: `x-api-key` or `Authorization: Bearer`, both
organisation-scoped. x-api-key wins when both are sent."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from emulator.core.engine import Engine
from emulator.core.tenants import Tenant
from emulator.providers.base import VendorError
from emulator.web import get_engine

VENDOR = "heppu"

api_key_header = APIKeyHeader(name="x-api-key", scheme_name="ApiKeyAuth", auto_error=False, description="Organisation API key")
bearer = HTTPBearer(scheme_name="BearerAuth", auto_error=False, description="The same API key as a Bearer token")


@dataclass
class HeppuContext:
    engine: Engine
    tenant: Tenant
    now: float


async def heppu_context(
    engine: Engine = Depends(get_engine),
    api_key: str | None = Security(api_key_header),
    token: HTTPAuthorizationCredentials | None = Security(bearer),
) -> HeppuContext:
    key = api_key or (token.credentials if token else None)
    tenants = engine.tenants.by_key(VENDOR, key) if key else []
    if not tenants:
        raise VendorError(401, "Unauthorized")
    tenant = tenants[0]
    now = engine.now(tenant.id)
    return HeppuContext(engine, tenant, now)
