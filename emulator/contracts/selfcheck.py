"""Strict mode: every response on a vendor or control route is checked
against the app's own spec before it leaves. A response off the spec becomes
a 500 in that route's error shape naming the route, the JSON path and the
violated rule, and is logged.

Installed only when strict mode is on, so it costs nothing otherwise."""

from __future__ import annotations

import json
import logging
from typing import Callable

from emulator.contracts.spec import SpecIndex, Violation, check_response

log = logging.getLogger("emulator.strict")

ErrorBody = Callable[[str, int, str], dict]


class SelfCheckMiddleware:
    """ASGI middleware; the spec index is built from app.state.specs on the
    first request, so specs added after install are covered too."""

    def __init__(self, app, *, specs: Callable[[], dict[str, dict]], error_body: ErrorBody) -> None:
        self.app = app
        self._specs = specs
        self._error_body = error_body
        self._index: SpecIndex | None = None

    @property
    def index(self) -> SpecIndex:
        if self._index is None:
            self._index = SpecIndex(self._specs())
        return self._index

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        op = self.index.find(scope["method"], scope["path"])
        if op is None:
            return await self.app(scope, receive, send)

        start: dict | None = None
        chunks: list[bytes] = []
        passthrough = False
        is_json = True

        async def capture(message):
            nonlocal start, passthrough, is_json
            if passthrough:
                return await send(message)
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                is_json = "json" in headers.get(b"content-type", b"").decode("latin-1")
                if not is_json and op.response_for(message["status"]) is not None:
                    # Streams and other non-JSON bodies of a declared status go out untouched.
                    passthrough = True
                    return await send(message)
                start = message
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                return await self._finish(scope, op, start, b"".join(chunks), is_json, send)
            await send(message)

        await self.app(scope, receive, capture)

    async def _finish(self, scope, op, start, body: bytes, is_json: bool, send) -> None:
        status = start["status"]
        if not is_json:
            problems = check_response(self.index, op, status, None)
        else:
            try:
                problems = check_response(self.index, op, status, json.loads(body) if body else None)
            except ValueError:
                problems = [Violation("$", "json", "the body is not valid JSON")]
        problems_text = "; ".join(str(p) for p in problems)
        if not problems:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        message = f"Response off the spec: {op.label} answered {status}: {problems_text}"
        log.error("%s (request %s %s)", message, scope["method"], scope["path"])
        out = json.dumps(self._error_body(scope["path"], 500, message)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": out})


def install(app, error_body: ErrorBody) -> None:
    """Wrap `app` in strict mode: error_body(path, status, message) renders
    the error in the shape of whoever owns the path."""
    app.add_middleware(SelfCheckMiddleware, specs=lambda: app.state.specs, error_body=error_body)
