"""HTTP glue shared by providers and the control plane."""

from __future__ import annotations


from typing import Callable, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel

from emulator import limits
from emulator.core.engine import Engine

T = TypeVar("T")


def get_engine(request: Request) -> Engine:
    """The app's engine. Called directly, not as a dependency: FastAPI runs a
    plain `def` dependency in its thread pool."""
    return request.app.state.engine


def json_response(model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise through pydantic-core in the model's field order."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json", headers=headers)


class JSONBytes(Response):
    """Bytes already serialised (a cached body), with the headers Starlette's
    Response gives them, made without its general-purpose init (a cached
    poll answers in less time than that init takes)."""

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int = 200) -> None:
        if status_code < 200 or status_code in (204, 304):
            raise ValueError(f"status {status_code} carries no body")
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-length", b"%d" % len(body)), (b"content-type", b"application/json")]


def json_bytes(body: bytes, status_code: int = 200) -> Response:
    """Bytes already serialised (a cached body)."""
    return JSONBytes(body, status_code)


# One request body limit for every vendor route: neither vendor documents
# one for JSON bodies (docs/fidelity.md). 1 MiB holds Heppu's largest body,
# a batch of 1,000 calls.
MAX_BODY_BYTES = 1024 * 1024
MSG_UNSUPPORTED = "Content-Type must be application/json"


def is_json_media_type(ctype: str) -> bool:
    """application/json or application/<anything>+json, parameters ignored
    (the test FastAPI itself uses to decide whether to parse JSON)."""
    import email.message

    m = email.message.Message()
    m["content-type"] = ctype
    sub = m.get_content_subtype()
    return m.get_content_maintype() == "application" and (sub == "json" or sub.endswith("+json"))


async def check_write_body(request: Request, error: Callable[[int, str], Exception]) -> None:
    """The one rule for a vendor write request's body (docs/fidelity.md,
    "Request bodies"): larger than MAX_BODY_BYTES is 413; a non-empty body
    whose Content-Type is missing or not JSON is 415. An empty body has no
    media type to check: the route decides whether it needed one."""
    if request.method not in WRITE_METHODS:
        return
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise error(413, f"Request body too large: {declared} bytes (limit {MAX_BODY_BYTES})")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise error(413, f"Request body too large: {len(body)} bytes (limit {MAX_BODY_BYTES})")
    if body and not is_json_media_type(request.headers.get("content-type", "")):
        raise error(415, MSG_UNSUPPORTED)


# DELETE routes take no body (a body sent with one is ignored).
WRITE_METHODS = ("POST", "PUT", "PATCH")


def json_body_route(error: Callable[[int, str], Exception]) -> type:
    """An APIRoute class whose write requests pass `check_write_body`, with
    `error(status, message)` raised so the provider's own shape answers."""
    from fastapi.routing import APIRoute

    class JsonBodyRoute(APIRoute):
        def get_route_handler(self):
            handler = super().get_route_handler()

            async def checked(request: Request) -> Response:
                await check_write_body(request, error)
                return await handler(request)

            return checked

    return JsonBodyRoute


async def off_loop(scan: Callable[[], T], size: int) -> T:
    """Run `scan` (a read over `size` stored calls) in a worker thread when it
    is large, so the event loop keeps answering meanwhile. Scans only read:
    the loop may add calls or interventions while one runs, which it sees or
    not, never half."""
    if size <= limits.OFFLOAD_SCAN:
        return scan()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(scan)
