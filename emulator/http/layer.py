"""The emulator's one layer in front of the vendor routes: it resolves the
request's context, applies fault rules, and records the journal entry with
the status a fault (or the route) answered and the latency it added."""

from __future__ import annotations

import time

from emulator.control.fault_rules import inject
from emulator.control.scope import route_template
from emulator.http.context import SCOPE_KEY, resolve

CONTROL_PREFIX = "/_emulator"
# Marks a request the emulator makes to itself (the dashboard's vendor view):
# routed like any other, but no fault applies and the journal skips it.
INTERNAL = "emulator.internal"


class VendorLayer:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["path"].startswith(CONTROL_PREFIX):
            scope["app"].state.control.load()
            return await self.app(scope, receive, send)
        app = scope["app"]
        state = app.state
        path = scope["path"]
        provider = next((p for p in state.providers.values() if p.owns(path)), None)
        if provider is not None:
            ctx = resolve(state.engine, provider, scope)
            scope[SCOPE_KEY] = ctx
            tenant, at = (ctx.tenant.id if ctx.tenant is not None else None), ctx.now
        else:
            tenant, at = None, state.engine.now()
        started = time.perf_counter()
        status = 500
        template = fault = None

        async def recorded(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if provider is not None and state.faults.rules and not scope.get(INTERNAL):
                template = route_template(app, scope)
                fault, answered = await inject(state.faults, provider, tenant, template, scope, receive, recorded)
                if answered:
                    return
            await self.app(scope, receive, recorded)
        finally:
            if not scope.get(INTERNAL):
                route = scope.get("route")
                state.journal.record(
                    at, scope["method"], path, scope["query_string"], provider.name if provider else None, tenant,
                    getattr(route, "path", None) if route is not None else template, status,
                    time.perf_counter() - started, fault,
                )
