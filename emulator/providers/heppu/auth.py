"""Heppu authentication: `x-api-key` or `Authorization: Bearer`, both
organisation-scoped. x-api-key wins when both are sent."""

from __future__ import annotations

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from emulator.core.engine import Engine
from emulator.core.tenants import Tenant
from emulator.http.context import RequestContext, context_of
from emulator.providers.base import VendorError
from emulator.providers.heppu import retries
from emulator.providers.heppu.style import STYLE

VENDOR = "heppu"

# Declared on every route for the spec's security schemes; the request
# context has already read the same headers.
api_key_header = APIKeyHeader(name="x-api-key", scheme_name="ApiKeyAuth", auto_error=False, description="Organisation API key")
bearer = HTTPBearer(scheme_name="BearerAuth", auto_error=False, description="The same API key as a Bearer token")

HeppuContext = RequestContext


def authenticate(engine: Engine, headers: dict[bytes, bytes]) -> Tenant:
    """The organisation the credentials open, as HTTPBearer reads a token."""
    key = headers.get(b"x-api-key", b"").decode("latin-1")
    if not key:
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        token = token.strip()
        key = token if scheme.lower() == "bearer" and token else ""
    tenants = engine.tenants.by_key(VENDOR, key) if key else []
    if not tenants:
        raise VendorError(401, "Unauthorized")
    return tenants[0]


async def heppu_context(
    request: Request,
    api_key: str | None = Security(api_key_header),
    token: HTTPAuthorizationCredentials | None = Security(bearer),
) -> RequestContext:
    return context_of(request.scope)


def catch_up(engine: Engine, tenant: Tenant, now: float) -> None:
    """Retries due by now become calls before anything reads the organisation's calls."""
    retries.catch_up(engine, tenant, now, STYLE)
