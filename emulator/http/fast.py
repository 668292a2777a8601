"""A short path for the vendors' most polled GET operations.

FastAPI's per-request machinery (dependency solving, its router, its
exception layers) costs several times what answering a cached call does.
These operations take only plain string path parameters and the request
context, so the request layer can call their endpoints itself: the same
APIRoute objects (path, endpoint, operation id) that generate the specs, no
second declaration. Requests with a query string, and everything in strict
mode, take the full path."""

from __future__ import annotations

import inspect

from fastapi.routing import APIRoute
from starlette.convertors import StringConvertor
from starlette.responses import JSONResponse

from emulator.http.context import context_of
from emulator.providers.base import Provider, VendorError


class FastRoutes:
    def __init__(self, providers: list[Provider]) -> None:
        # Per provider, its GET routes in the router's order (so a literal
        # path still shadows a template), each marked fast or not.
        self._routes: dict[str, list[tuple[APIRoute, bool]]] = {}
        for provider in providers:
            gets = [r for r in provider.router.routes if isinstance(r, APIRoute) and "GET" in r.methods]
            fast = [r for r in gets if r.operation_id in provider.fast_operations]
            if len(fast) != len(provider.fast_operations):
                raise ValueError(f"{provider.name}: fast operations not found among its GET routes")
            for route in fast:
                _check(route)
            self._routes[provider.name] = [(r, r in fast) for r in gets]

    def match(self, provider: Provider, scope) -> tuple[APIRoute, dict] | None:
        """The fast route the router would pick for this request, if any."""
        if scope["method"] != "GET" or scope["query_string"]:
            return None
        for route, fast in self._routes.get(provider.name, ()):
            m = route.path_regex.match(scope["path"])
            if m is not None:
                return (route, m.groupdict()) if fast else None
        return None


def _check(route: APIRoute) -> None:
    """Only what the short path reproduces exactly: GET, string path
    parameters, the context, nothing else."""
    params = set(inspect.signature(route.endpoint).parameters)
    plain = all(isinstance(c, StringConvertor) for c in route.param_convertors.values())
    if route.methods != {"GET"} or not plain or params != set(route.param_convertors) | {"ctx"} or route.dependant.query_params:
        raise ValueError(f"{route.operation_id} cannot take the short path")


async def serve(provider: Provider, route: APIRoute, params: dict, scope, receive, send) -> None:
    scope["route"] = route
    scope["path_params"] = params
    try:
        response = await route.endpoint(**params, ctx=context_of(scope))
    except VendorError as exc:
        response = JSONResponse(provider.error_body(exc.status, exc.message, exc.extra), status_code=exc.status)
    await response(scope, receive, send)
