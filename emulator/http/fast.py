"""A short path for the vendors' most polled GET operations.

FastAPI's per-request machinery (dependency solving, its router, its
exception layers) costs several times what answering a cached call does.
These operations take only plain string path parameters, query parameters
and the request context, so a thin layer can call their endpoints itself:
the same APIRoute objects (path, endpoint, operation id, query parameters)
that generate the specs, no second declaration. Query parameters are
validated by FastAPI's own function over the route's own fields; a query
that fails takes the full path, so its 400 is the one FastAPI's handler
answers. Everything in strict mode takes the full path.

The layer sits inside the failsafe, as the router does: a crash here
answers the vendor's 500 on a connection that stays usable."""

from __future__ import annotations

import inspect

from fastapi.dependencies.utils import request_params_to_args
from fastapi.routing import APIRoute
from starlette.convertors import StringConvertor
from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse

from emulator.http.context import SCOPE_KEY, context_of
from emulator.providers.base import Provider, VendorError

QUERY_CACHE = 1024  # distinct query strings whose validated values are kept
_MISS = object()


class FastRoutes:
    def __init__(self, providers: list[Provider]) -> None:
        # Per provider, its GET routes in the router's order (so a literal
        # path still shadows a template), each marked fast or not.
        self._routes: dict[str, list[tuple[APIRoute, bool]]] = {}
        self._queries: dict[tuple[str, bytes], dict | None] = {}
        for provider in providers:
            gets = [r for r in provider.router.routes if isinstance(r, APIRoute) and "GET" in r.methods]
            fast = [r for r in gets if r.operation_id in provider.fast_operations]
            if len(fast) != len(provider.fast_operations):
                raise ValueError(f"{provider.name}: fast operations not found among its GET routes")
            for route in fast:
                _check(route)
            self._routes[provider.name] = [(r, r in fast) for r in gets]

    def match(self, provider: Provider, scope) -> tuple[APIRoute, dict] | None:
        """The fast route the router would pick for this request, with the
        endpoint's arguments, if any (None: the full path answers)."""
        if scope["method"] != "GET":
            return None
        for route, fast in self._routes.get(provider.name, ()):
            m = route.path_regex.match(scope["path"])
            if m is not None:
                if not fast:
                    return None
                args = m.groupdict()
                query = route.dependant.query_params
                if scope["query_string"] and not query:
                    return None  # the route class may answer a query it takes no part in (Trillet refuses repeats)
                if query:
                    values = self._query(route, scope["query_string"])
                    if values is None:
                        return None
                    args.update(values)
                return route, args
        return None

    def _query(self, route: APIRoute, query_string: bytes) -> dict | None:
        """The route's query parameters as FastAPI validates them (None: not
        valid). Pollers repeat the same query, so the values are kept per
        query string (bounded; the values are immutable)."""
        key = (route.unique_id, query_string)
        values = self._queries.get(key, _MISS)
        if values is _MISS:
            values, errors = request_params_to_args(route.dependant.query_params, QueryParams(query_string))
            values = None if errors else values
            if len(self._queries) >= QUERY_CACHE:
                del self._queries[next(iter(self._queries))]
            self._queries[key] = values
        return values


def _check(route: APIRoute) -> None:
    """Only what the short path reproduces exactly: GET, string path
    parameters, plain query parameters, the context, nothing else."""
    params = set(inspect.signature(route.endpoint).parameters)
    plain = all(isinstance(c, StringConvertor) for c in route.param_convertors.values())
    query = {f.name for f in route.dependant.query_params}
    d = route.dependant
    extra = d.header_params or d.cookie_params or d.body_params or d.request_param_name or d.response_param_name
    if route.methods != {"GET"} or not plain or extra or params != set(route.param_convertors) | query | {"ctx"}:
        raise ValueError(f"{route.operation_id} cannot take the short path")


async def serve(provider: Provider, route: APIRoute, args: dict, scope, receive, send) -> None:
    scope["route"] = route
    scope["path_params"] = {k: args[k] for k in route.param_convertors}
    try:
        response = await route.endpoint(**args, ctx=context_of(scope))
    except VendorError as exc:
        response = JSONResponse(provider.error_body(exc.status, exc.message, exc.extra), status_code=exc.status)
    await response(scope, receive, send)


class FastPath:
    """The layer that takes the short path when one matches (after the
    request layer resolved the context and applied faults)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        ctx = scope.get(SCOPE_KEY) if scope["type"] == "http" else None
        routes = scope["app"].state.fast_routes if ctx is not None else None
        short = routes.match(ctx.provider, scope) if routes is not None else None
        if short is None:
            return await self.app(scope, receive, send)
        await serve(ctx.provider, *short, scope, receive, send)
