"""Checks every request meets at the door, before any layer that keeps state
(journal, faults, routes) sees it: the Host header, the size of the query
string, the control token, the body's size, and JSON a stored value can be
rendered back from (no lone surrogates, no NaN, bounded nesting)."""

from __future__ import annotations

import asyncio
import hmac
import json
import math
from collections import Counter
from typing import Callable

from starlette.responses import JSONResponse

from emulator import limits
from emulator.serving import BODY_ARRIVED

ErrorBody = Callable[[str, int, str], dict]
CONTROL_PREFIX = "/_emulator"
_CONTROL_DIR = CONTROL_PREFIX + "/"
# Control routes anyone may read (liveness, readiness, the specs, and the
# dashboard's static page, which asks for the token itself).
PUBLIC_CONTROL = ("/_emulator/health", "/_emulator/ready", "/_emulator/openapi/", "/_emulator/ui")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# What the door read, for the layers inside it: the body's bytes, and on a
# vendor path the JSON value it parsed from them (only when it did;
# `check_json`).
BODY_KEY = "emulator.body"
JSON_KEY = "emulator.json"
NOT_JSON = object()
HOST_CACHE = 64  # distinct Host headers whose verdict is kept
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
# Starlette's and FastAPI's in-process TestClient sends this name; no
# browser can be made to resolve it to this server.
TEST_CLIENT_HOST = "testserver"


class Refused(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def host_name(value: str) -> str:
    """The name in a Host header, without port: [::1]:8000 -> [::1]."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    name, sep, port = value.rpartition(":")
    return (name if sep and port.isdigit() else value).rstrip(".")


def allowed_hosts(host: str, extra: list[str]) -> frozenset[str] | None:
    """The Host names the server answers to; None when any is allowed ('*')."""
    if "*" in extra:
        return None
    names = {*LOOPBACK_NAMES, TEST_CLIENT_HOST, host_name(host), *(host_name(h) for h in extra)}
    if ":" in host and not host.startswith("["):
        names.add(f"[{host.lower()}]")  # an IPv6 --host is written bracketed in Host
    return frozenset(names)


def check_query(query: bytes) -> None:
    """Caps, then one value per parameter name (checked in linear time by the
    routes that refuse repeats)."""
    if len(query) > limits.MAX_QUERY_BYTES:
        raise Refused(414, f"Query string too long (limit {limits.MAX_QUERY_BYTES} bytes)")
    if query and query.count(b"&") + 1 > limits.MAX_QUERY_PARAMS:
        raise Refused(400, f"Too many query parameters (limit {limits.MAX_QUERY_PARAMS})")


def first_repeated(keys) -> str | None:
    """The first name given more than once, in one pass."""
    counts = Counter(keys)
    return next((k for k, n in counts.items() if n > 1), None)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def check_json(body: bytes, max_depth: int):
    """Refuse JSON the emulator could store but not render back. Text that is
    not JSON at all is left to the route (its own malformed-JSON error).
    Returns the value, equal to what `json.loads(body)` gives (the hooks only
    refuse), or NOT_JSON."""
    try:
        # What json.loads(body, ...) does, without building a decoder per call.
        value = _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except json.JSONDecodeError:
        return NOT_JSON
    except (ValueError, RecursionError) as exc:  # NaN, 1e999, a 5,000-digit integer, absurd nesting
        message = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise Refused(400, f"Invalid JSON body: {message}") from None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > max_depth:
                raise Refused(400, f"JSON body nests deeper than {max_depth} levels")
            for k, v in item.items():
                _text(k)
                stack.append((v, depth + 1))
        elif isinstance(item, list):
            if depth > max_depth:
                raise Refused(400, f"JSON body nests deeper than {max_depth} levels")
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            _text(item)
    return value


def _text(s: str) -> None:
    if not s.isascii():
        try:
            s.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = s[exc.start]
            raise Refused(400, f"Invalid JSON body: lone surrogate \\u{ord(bad):04x} is not a Unicode character") from None


class DoorMiddleware:
    def __init__(self, app, *, error_body: ErrorBody) -> None:
        self.app = app
        self.error_body = error_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:
            receive = await scope["app"].state.door.admit(scope, receive, dict(scope["headers"]))
        except Refused as exc:
            return await refuse(scope, receive, send, exc, self.error_body)
        return await self.app(scope, receive, send)


class Door:
    """The checks, made from the settings once (they do not change while
    the app serves); both the middleware and the front (emulator.http.front)
    admit through it."""

    def __init__(self, settings) -> None:
        self.allowed = allowed_hosts(settings.host, settings.allowed_hosts)
        self.token = settings.control_token.encode() if settings.control_token else None
        self._hosts: dict[bytes, bool] = {}  # Host header -> allowed (clients repeat theirs)

    def host_allowed(self, host: bytes) -> bool:
        verdict = self._hosts.get(host)
        if verdict is None:
            verdict = host_name(host.decode("latin-1")) in self.allowed
            if len(self._hosts) >= HOST_CACHE:
                self._hosts.clear()
            self._hosts[host] = verdict
        return verdict

    async def admit(self, scope, receive, headers: dict[bytes, bytes]):
        """Every check, in order; raises Refused. `headers` is the request's
        by name (the last of a repeated header wins, as a dict). Returns the
        receive channel to go on with (the body replayed)."""
        control = self.check_head(scope, headers)
        if scope["method"] not in BODY_METHODS:
            return receive
        return await self.read_body(scope, receive, headers, control)

    def check_head(self, scope, headers: dict[bytes, bytes]) -> bool:
        """The checks on the request's head (whether the path is the control
        plane's); a request without a body needs no others."""
        host = headers.get(b"host")
        if self.allowed is not None and host is not None and not self.host_allowed(host):
            raise Refused(400, "Invalid Host header: this server answers to localhost, 127.0.0.1, [::1], its --host and --allowed-host names")
        query = scope.get("query_string", b"")
        if query:
            check_query(query)
        path = scope["path"]
        control = path == CONTROL_PREFIX or path.startswith(_CONTROL_DIR)
        if control and self.token and not path.startswith(PUBLIC_CONTROL):
            given = headers.get(b"x-emulator-token", b"")
            if not hmac.compare_digest(given, self.token):
                raise Refused(401, "Missing or invalid x-emulator-token")
        return control

    async def read_body(self, scope, receive, headers: dict[bytes, bytes], control: bool):
        """The body's checks: its size, its arrival, its JSON."""
        path = scope["path"]
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limits.MAX_BODY_BYTES:
            raise Refused(413, f"Request body too large: {int(declared)} bytes (limit {limits.MAX_BODY_BYTES})")
        body = await _read_body(receive, scope.get(BODY_ARRIVED, False))
        scope["emulator.body_read"] = True
        if body is None:
            return receive  # the client went away; the route will see the disconnect
        scope[BODY_KEY] = body
        ctype = headers.get(b"content-type", b"").lower()
        if body and (not ctype or b"json" in ctype):
            state_import = control and path.rstrip("/") == CONTROL_PREFIX + "/state"
            value = check_json(body, limits.MAX_STATE_DEPTH if state_import else limits.MAX_JSON_DEPTH)
            if value is not NOT_JSON and not control:  # for the short path (a state import is parsed by its route)
                scope[JSON_KEY] = value
        return _replay(body, receive)


async def refuse(scope, receive, send, exc: Refused, error_body: ErrorBody) -> None:
    """The door's answer to a refused request, in the path owner's shape."""
    headers = exc.headers
    if scope["method"] in BODY_METHODS and not scope.get("emulator.body_read") and not await _drained(receive, exc):
        # The body is still on its way: this connection cannot carry another request.
        headers = {**(headers or {}), "Connection": "close"}
    response = JSONResponse(error_body(scope["path"], exc.status, exc.message), exc.status, headers=headers)
    await response(scope, receive, send)


async def _read_body(receive, arrived: bool = False) -> bytes | None:
    """The whole body (None: the client went away). `arrived`: the server
    holds all of it (emulator.serving.BODY_ARRIVED), so the first receive()
    cannot wait and needs no timer."""
    chunks, size = [], 0
    while True:
        if arrived:
            arrived = False
            message = await receive()
        else:
            # asyncio.timeout, not wait_for: on 3.11 wait_for runs receive() as
            # a task of its own, a loop step and a task for every request.
            try:
                async with asyncio.timeout(limits.BODY_TIMEOUT):
                    message = await receive()
            except TimeoutError:
                raise Refused(408, f"Request body not received within {limits.BODY_TIMEOUT:g} s", {"Connection": "close"}) from None
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limits.MAX_BODY_BYTES:
            raise Refused(413, f"Request body too large: over {limits.MAX_BODY_BYTES} bytes (limit {limits.MAX_BODY_BYTES})", {"Connection": "close"})
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _drained(receive, refusal: Refused) -> bool:
    """Read and drop the body of a request refused before it was read, so the
    connection can carry the next one; False when it cannot be (too large,
    too slow, already known to exceed the limit)."""
    if refusal.status in (408, 413):
        return False
    try:
        await _read_body(receive)
    except Refused:
        return False
    return True


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
