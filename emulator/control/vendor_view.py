"""/_emulator/calls/{callId}/vendor: a call as its vendor's own GET routes
show it at this instant, byte for byte. The reads the provider declares are
replayed through the app with the tenant's first key; the request layer
applies no fault to them and does not journal them (they are the emulator
looking, not a client)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from emulator.control.calls import ONE, CallId
from emulator.control.common import CONTROL_DEPENDENCIES, call_or_404, iso
from emulator.http.layer import INTERNAL
from emulator.web import get_engine, json_response

router = APIRouter(prefix="/_emulator", tags=["Calls"], dependencies=CONTROL_DEPENDENCIES)



class VendorRead(BaseModel):
    operationId: str = Field(description="The vendor operation read, as named in its spec")
    method: str
    path: str
    status: int = Field(description="The status the vendor route answered")
    body: Any = Field(description="The body the vendor route answered, parsed from its JSON")


class VendorView(BaseModel):
    callId: str
    vendor: str
    tenant: str
    now: str = Field(description="The tenant's now when the reads were made")
    reads: list[VendorRead] = Field(description="Each GET the vendor documents for one call; empty when the tenant has no key")


async def _get(app, request: Request, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    host = request.headers.get("host", "127.0.0.1")
    raw = [(b"host", host.encode("latin-1"))] + [(k.encode(), v.encode()) for k, v in headers.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": request.url.scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": raw,
        "client": ("127.0.0.1", 0),
        "server": request.scope.get("server"),
        INTERNAL: True,
    }
    status, chunks = 500, []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def _parse(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")


@router.get(
    "/calls/{callId}/vendor",
    operation_id="getVendorView",
    summary="The call as each of its vendor's GET routes answers now (the dashboard's vendor JSON)",
    response_model=VendorView,
    responses=ONE,
)
async def vendor_view(request: Request, callId: str = CallId) -> Response:
    engine = get_engine(request)
    record = call_or_404(engine, callId)
    tenant = engine.tenants.get(record.plan.tenant)
    provider = request.app.state.providers.get(tenant.vendor) if tenant else None
    now = engine.now(record.plan.tenant)
    reads: list[VendorRead] = []
    if provider is not None and provider.call_reads and provider.credentials and tenant.keys:
        headers = provider.credentials(tenant)
        for operation, path in provider.call_reads(record.plan):
            status, body = await _get(request.app, request, path, headers)
            reads.append(VendorRead(operationId=operation, method="GET", path=path, status=status, body=_parse(body)))
    return json_response(VendorView(callId=callId, vendor=tenant.vendor if tenant else "", tenant=record.plan.tenant, now=iso(now), reads=reads))

