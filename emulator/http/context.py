"""One context per vendor request, resolved once by one layer: which
provider owns the path, which tenant the credentials open (or the vendor's
error if none), and the tenant's `now`, read from its clock exactly once.
Faults, the journal and the route handlers all read it from the scope;
nothing downstream re-reads the clock or re-resolves the tenant."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.core.engine import Engine
from emulator.core.tenants import Tenant
from emulator.providers.base import Provider, VendorError

SCOPE_KEY = "emulator.context"


@dataclass(slots=True)
class RequestContext:
    engine: Engine
    provider: Provider
    tenant: Tenant | None  # None: the credentials open no tenant (see `refused`)
    refused: VendorError | None  # the vendor's answer to those credentials
    now: float  # the tenant's now (the global clock's without a tenant)


def headers_of(scope) -> dict[bytes, bytes]:
    """The request's headers by lower-case name (the first of repeats)."""
    found: dict[bytes, bytes] = {}
    for key, value in scope["headers"]:
        found.setdefault(key, value)
    return found


def resolve(engine: Engine, provider: Provider, scope, headers: dict[bytes, bytes] | None = None) -> RequestContext:
    """`headers`: the request's by name, when the caller has them already."""
    try:
        tenant, refused = provider.authenticate(engine, headers_of(scope) if headers is None else headers), None
    except VendorError as exc:
        tenant, refused = None, exc
    now = engine.now(tenant.id if tenant is not None else None)
    return RequestContext(engine, provider, tenant, refused, now)


def context_of(scope) -> RequestContext:
    """The context the layer resolved; the vendor's auth error if the
    credentials opened no tenant."""
    ctx: RequestContext = scope[SCOPE_KEY]
    if ctx.refused is not None:
        raise ctx.refused
    return ctx
