"""Which vendor route template a request matches, for fault rules, which
act before routing has run (the journal reads the route routing found)."""

from __future__ import annotations

from starlette.routing import Match


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
