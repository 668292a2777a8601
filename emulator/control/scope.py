"""Who a vendor request is for: which provider owns its path, which route
template it matches, which tenant its credentials open. Used by the fault
and journal layers, which run before (and around) the routes themselves."""

from __future__ import annotations

from starlette.routing import Match

from emulator.core.engine import Engine


def route_template(app, scope) -> str | None:
    """The path template of the vendor route a request matches (fully, or by
    path only when the method is wrong), e.g. /api/v1/calls/{callId}."""
    partial = None
    for provider in app.state.providers.values():
        for route in provider.router.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return getattr(route, "path", None)
            if match is Match.PARTIAL and partial is None:
                partial = getattr(route, "path", None)
    return partial


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def tenant_of(engine: Engine, vendor: str | None, scope) -> str | None:
    """The tenant the request's credentials open, as the vendor resolves it:
    Heppu by key (x-api-key, else Bearer), Trillet by x-workspace-id once
    the key opens that workspace."""
    if vendor is None:
        return None
    key = _header(scope, b"x-api-key")
    if vendor == "heppu":
        if not key:
            auth = _header(scope, b"authorization") or ""
            key = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        tenants = engine.tenants.by_key(vendor, key) if key else []
        return tenants[0].id if tenants else None
    workspace = _header(scope, b"x-workspace-id")
    tenants = engine.tenants.by_key(vendor, key) if key else []
    return workspace if workspace and any(t.id == workspace for t in tenants) else None
