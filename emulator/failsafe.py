"""What happens when a route fails: its store changes are undone, and the
500 goes out as an ordinary response on a connection that stays usable
(Starlette's own last-resort handler re-raises after answering, and the
server then drops the connection under the client's next request)."""

from __future__ import annotations

import functools
import logging
from http import HTTPStatus
from typing import Callable

from fastapi.routing import APIRoute
from starlette.responses import JSONResponse

from emulator.core.store import atomic

log = logging.getLogger("emulator")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class FailsafeMiddleware:
    def __init__(self, app, *, error_body: Callable[[str, int, str], dict]) -> None:
        self.app = app
        self.error_body = error_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watch(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            answer = crashed(scope, self.error_body)
            if started:
                raise  # half a response is out: only closing the connection tells the client
            await answer(scope, receive, send)


def crashed(scope, error_body: Callable[[str, int, str], dict]) -> JSONResponse:
    """Log the error being handled; the 500 that answers it, in the path
    owner's shape."""
    log.exception("unhandled error on %s %s", scope["method"], scope["path"])
    return JSONResponse(error_body(scope["path"], 500, HTTPStatus.INTERNAL_SERVER_ERROR.phrase), 500)


def atomic_writes(routers) -> None:
    """Run every write route's endpoint inside store.atomic(): when it raises
    (an error answer, or a crash) nothing it stored remains. Endpoints do not
    await between their first change and their answer, so one request's
    changes never interleave with another's. Called before the routers are
    included: an app builds its routes from each route's endpoint."""
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.methods & WRITE_METHODS and not getattr(route.endpoint, "atomic", False):
                route.endpoint = _atomic(route.endpoint)


def _atomic(endpoint):
    @functools.wraps(endpoint)
    async def run(*args, **kwargs):
        with atomic():
            return await endpoint(*args, **kwargs)

    run.atomic = True
    return run
