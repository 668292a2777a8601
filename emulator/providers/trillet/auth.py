"""Trillet authentication: `x-api-key` and `x-workspace-id`, both required;
the key must belong to the workspace."""

from __future__ import annotations

from fastapi import Header, Request, Security
from fastapi.security import APIKeyHeader

from emulator.core.engine import Engine
from emulator.core.tenants import Tenant
from emulator.http.context import RequestContext, context_of
from emulator.providers.base import VendorError

VENDOR = "trillet"

# Declared on every route for the spec; the request context has already
# read the same headers.
api_key_header = APIKeyHeader(name="x-api-key", scheme_name="ApiKeyAuth", auto_error=False, description="API key used for authenticating requests to the API.")

TrilletContext = RequestContext


def authenticate(engine: Engine, headers: dict[bytes, bytes]) -> Tenant:
    api_key = headers.get(b"x-api-key", b"").decode("latin-1")
    if not api_key:
        raise VendorError(401, "Missing x-api-key header")
    tenants = engine.tenants.by_key(VENDOR, api_key)
    if not tenants:
        raise VendorError(401, "Invalid API key")
    workspace_id = headers.get(b"x-workspace-id", b"").decode("latin-1")
    if not workspace_id:
        raise VendorError(400, "Missing x-workspace-id header")
    for tenant in tenants:
        if tenant.id == workspace_id:
            return tenant
    raise VendorError(403, "API key does not have access to this workspace")


async def trillet_context(
    request: Request,
    api_key: str | None = Security(api_key_header),
    workspace_id: str | None = Header(None, alias="x-workspace-id", description="Workspace identifier for the API."),
) -> RequestContext:
    return context_of(request.scope)
