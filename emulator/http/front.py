"""The front: a short-path request (emulator.http.fast) from the server to
its endpoint in one step.

On the full path a request crosses FastAPI's and Starlette's layers and the
emulator's own (CORS, the door, the commit, the request layer, the
failsafe): an await, a closure and a wrapped `send` each, together most of
what a cached poll costs. For a request the short path serves, the front
does what those layers would do, in their order: the door's checks
(emulator.door.Door), the request's context, the endpoint, the vendor's
error or the failsafe's 500, the commit before the answer starts, the
journal's row, and the `Vary: Origin` CORS adds to every answer.

What it does not reproduce it leaves to the full path, before doing
anything a client could see: a request with an Origin header (CORS answers
it), a header given twice (the door and the context read repeats
differently), any fault rule, the dashboard's internal reads, strict mode,
and every method and path no fast route serves. A query or body that does
not validate is handed on with its body replayed, so its error is the
route's own."""

from __future__ import annotations

import time

from starlette.responses import JSONResponse

from emulator.door import BODY_METHODS, Refused, refuse
from emulator.failsafe import crashed
from emulator.http.context import SCOPE_KEY, resolve
from emulator.http.fast import METHODS
from emulator.http.layer import INTERNAL
from emulator.providers.base import VendorError

VARY = (b"vary", b"Origin")  # what CORSMiddleware adds to an answer to a request without Origin
TAKEN_CACHE = 4096  # distinct (method, path) whose routing is kept
TAKEN_PATH = 256  # longest path kept (a call's is under 64 characters)
_MISS = object()


class Front:
    def __init__(self, app, full, providers, error_body) -> None:
        self.app = app  # the FastAPI app, whose state the front reads
        self.full = full  # the full path: the app's FastAPI layers
        # Its state's own dict: read a few times per request, each
        # attribute read through State.__getattr__ costs a call.
        self.state = app.state._state
        self.providers = list(providers)
        self.error_body = error_body
        # Where each (method, path) routes, or None: pollers repeat their
        # paths, and the routes never change (bounded; the oldest goes first).
        self._taken: dict[tuple[str, str], tuple | None] = {}

    def take(self, scope):
        """(provider, route, path parameters) when the short path may serve
        this request, else None (nothing read, nothing recorded). The path
        parameters are shared between requests: copied before any change."""
        method = scope["method"]
        if method not in METHODS or INTERNAL in scope:
            return None
        state = self.state
        if state["fast_routes"] is None or state["faults"].rules:
            return None
        key = (method, scope["path"])
        taken = self._taken.get(key, _MISS)
        if taken is _MISS:
            taken = self._route(*key)
            if len(key[1]) <= TAKEN_PATH:
                if len(self._taken) >= TAKEN_CACHE:
                    del self._taken[next(iter(self._taken))]
                self._taken[key] = taken
        return taken

    def _route(self, method: str, path: str):
        for provider in self.providers:
            if path.startswith(provider.prefixes):
                hit = self.state["fast_routes"].route(provider, method, path)
                return None if hit is None else (provider, *hit)
        return None

    async def serve(self, taken, scope, receive, send) -> None:
        provider, route, params = taken
        full = self.full
        raw = scope["headers"]
        headers = dict(raw)
        if len(headers) != len(raw) or b"origin" in headers:
            return await full(scope, receive, send)
        state = self.state
        door = state["door"]
        try:
            # Door.admit's two steps, inline: a coroutine fewer per GET
            # (about 0.4 µs of the 8 a cached poll costs in the app).
            control = door.check_head(scope, headers)
            if scope["method"] in BODY_METHODS:
                receive = await door.read_body(scope, receive, headers, control)
        except Refused as exc:
            return await refuse(scope, receive, _varied(send), exc, self.error_body)
        ctx = resolve(state["engine"], provider, scope, headers)
        scope[SCOPE_KEY] = ctx
        crash = None
        try:
            args = state["fast_routes"].arguments(route, dict(params), scope)
        except Exception as exc:  # answered below, as the failsafe would
            crash = exc
        else:
            if args is None:
                return await full(scope, receive, send)  # the route's own error
        started = time.perf_counter()
        status = 500
        answering = False
        try:
            if crash is not None:
                raise crash
            scope["route"] = route
            scope["path_params"] = dict(params)
            try:
                if ctx.refused is not None:
                    raise ctx.refused  # as the route's context dependency does
                response = await route.endpoint(**args, ctx=ctx)
            except VendorError as exc:
                # What the app's VendorError handler answers on the full path.
                response = JSONResponse(provider.error_body(exc.status, exc.message, exc.extra), status_code=exc.status)
            status = response.status_code
            answering = True
            if state["persistence"].enabled:
                state["persistence"].flush(self.app)  # committed before the answer starts, as CommitMiddleware does
            await send({"type": "http.response.start", "status": status, "headers": [*response.raw_headers, VARY]})
            await send({"type": "http.response.body", "body": response.body})
        except Exception:
            answer = crashed(scope, self.error_body)
            if answering:
                raise  # half a response may be out: only closing the connection tells the client
            status = 500
            if state["persistence"].enabled:
                state["persistence"].flush(self.app)
            await _varied(send)({"type": "http.response.start", "status": 500, "headers": answer.raw_headers})
            await send({"type": "http.response.body", "body": answer.body})
        finally:
            tenant = ctx.tenant.id if ctx.tenant is not None else None
            state["journal"].record(
                ctx.now, scope["method"], scope["path"], scope["query_string"], provider.name, tenant,
                route.path if "route" in scope else None, status, time.perf_counter() - started, None,
            )


def _varied(send):
    """`send` with the Vary header CORS adds (for answers not built here)."""

    async def varied(message):
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), VARY]}
        await send(message)

    return varied
