"""Which requests take the short path: the vendors' most polled GET
operations and their create operations (POST).

FastAPI's per-request machinery (dependency solving, its router, its
exception layers) costs several times what answering a cached call does.
These operations take only plain string path parameters, query parameters
or one JSON body, and the request context, so the front
(emulator.http.front) can call their endpoints itself: the same APIRoute
objects (path, endpoint, operation id, query parameters, body field) that
generate the specs, no second declaration. Query parameters and bodies are
validated by FastAPI's own functions over the route's own fields; anything
that fails (a bad query, a body that is not valid JSON of the model, a body
the write-body rule refuses, credentials that open no tenant) takes the
full path before the endpoint runs, so its error is the one the route
answers. Everything in strict mode takes the full path."""

from __future__ import annotations

import inspect

from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import get_typed_return_annotation, request_params_to_args
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.convertors import StringConvertor
from starlette.datastructures import QueryParams
from starlette.responses import Response

from emulator.door import BODY_KEY, JSON_KEY
from emulator.http.context import SCOPE_KEY, headers_of
from emulator.providers.base import Provider
from emulator.web import MAX_BODY_BYTES, is_json_media_type

QUERY_CACHE = 1024  # distinct query strings whose validated values are kept
MEDIA_CACHE = 64  # distinct Content-Type values whose verdict is kept
METHODS = ("GET", "POST")
_MISS = object()


class FastRoutes:
    def __init__(self, providers: list[Provider]) -> None:
        # Per provider and method, its routes in the router's order (so a
        # literal path still shadows a template), each marked fast or not.
        self._routes: dict[tuple[str, str], list[tuple[APIRoute, bool]]] = {}
        self._queries: dict[tuple[str, bytes], dict | None] = {}
        self._json_types: dict[bytes, bool] = {}
        for provider in providers:
            routes = [r for r in provider.router.routes if isinstance(r, APIRoute)]
            fast = [r for r in routes if r.operation_id in provider.fast_operations]
            if len(fast) != len(provider.fast_operations):
                raise ValueError(f"{provider.name}: fast operations not found among its routes")
            for route in fast:
                _check(route)
            for method in METHODS:
                self._routes[provider.name, method] = [(r, r in fast) for r in routes if method in r.methods]

    def route(self, provider: Provider, method: str, path: str) -> tuple[APIRoute, dict] | None:
        """The fast route the router would pick for this method and path,
        with its path parameters (None: a route of the full path answers)."""
        for route, fast in self._routes.get((provider.name, method), ()):
            m = route.path_regex.match(path)
            if m is not None:
                return (route, m.groupdict()) if fast else None
        return None

    def arguments(self, route: APIRoute, args: dict, scope) -> dict | None:
        """The endpoint's arguments but the context: the path parameters,
        the validated query and body (None: they do not validate, or the
        route class may answer the query itself, so the full path answers)."""
        query = route.dependant.query_params
        if scope["query_string"] and not query:
            return None  # the route class may answer a query it takes no part in (Trillet refuses repeats)
        if query:
            values = self._query(route, scope["query_string"])
            if values is None:
                return None
            args.update(values)
        if route.body_field is not None:
            body = self._body(route, scope)
            if body is None:
                return None
            args[route.body_field.name] = body
        return args

    def _body(self, route: APIRoute, scope) -> BaseModel | None:
        """The body as FastAPI hands it to the endpoint, when the full path
        would get that far without an error: the write-body rule passes
        (emulator.web.check_write_body: size, a JSON media type), the JSON
        parses (the door parsed it: its value is json.loads'), the
        credentials open a tenant (FastAPI solves that dependency before it
        validates the body) and the whole value validates against the model
        (a single body parameter, not embedded). None otherwise."""
        value = scope.get(JSON_KEY, _MISS)
        ctx = scope[SCOPE_KEY]
        if value is _MISS or ctx.refused is not None or len(scope[BODY_KEY]) > MAX_BODY_BYTES:
            return None
        headers = headers_of(scope)
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return None
        if not self._json_type(headers.get(b"content-type", b"")):
            return None
        body, errors = route.body_field.validate(value, {}, loc=("body",))
        return None if errors else body

    def _json_type(self, ctype: bytes) -> bool:
        verdict = self._json_types.get(ctype)
        if verdict is None:
            verdict = is_json_media_type(ctype.decode("latin-1"))
            if len(self._json_types) >= MEDIA_CACHE:
                del self._json_types[next(iter(self._json_types))]
            self._json_types[ctype] = verdict
        return verdict

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
    """Only what the short path reproduces exactly: GET or POST, string path
    parameters, plain query parameters or (POST) one JSON body that is a
    model, the context, nothing else; an endpoint that returns its own
    Response (FastAPI sends it as it is: the decorator's status code and
    response class play no part), and a write inside store.atomic()."""
    params = set(inspect.signature(route.endpoint).parameters)
    plain = all(isinstance(c, StringConvertor) for c in route.param_convertors.values())
    query = {f.name for f in route.dependant.query_params}
    d = route.dependant
    extra = d.header_params or d.cookie_params or d.request_param_name or d.response_param_name or d.background_tasks_param_name
    body = set()
    if route.methods == {"POST"}:
        field = route.body_field
        model = field.field_info.annotation if field is not None else None
        single = field is not None and len(d.body_params) == 1 and not route._embed_body_fields
        if not (single and isinstance(model, type) and issubclass(model, BaseModel)) or query or not getattr(route.endpoint, "atomic", False):
            extra = True
        body = {field.name} if field is not None else set()
    elif route.methods != {"GET"} or d.body_params:
        extra = True
    returns = get_typed_return_annotation(route.endpoint)  # as FastAPI reads it
    if (
        not plain
        or extra
        or params != set(route.param_convertors) | query | body | {"ctx"}
        or returns is not Response
        or not isinstance(route.response_class, DefaultPlaceholder)
    ):
        raise ValueError(f"{route.operation_id} cannot take the short path")
