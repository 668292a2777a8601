"""The request journal: the last N vendor requests (method, path, tenant,
matched route, status, latency), so a test can assert what its client
called and how often. A small ASGI layer records; /_emulator/journal reads."""

from __future__ import annotations

import itertools
import time
from collections import deque

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES, iso
from emulator.control.scope import route_template, tenant_of
from emulator.web import json_response

CONTROL_PREFIX = "/_emulator"


class JournalEntry(BaseModel):
    seq: int = Field(description="Increases by one per recorded request")
    at: str = Field(description="The tenant's virtual now when the request arrived (the global clock's if no tenant)")
    method: str
    path: str
    query: str
    vendor: str | None = Field(description="heppu, trillet, or null for a path no vendor owns")
    tenant: str | None = Field(description="The tenant the credentials open, or null")
    route: str | None = Field(description="The matched route template, e.g. /api/v1/calls/{callId}")
    status: int
    latencyMs: float = Field(description="Wall-clock time to answer, injected latency included")
    fault: str | None = Field(description="The id of the fault rule that answered or delayed it")


class JournalPage(BaseModel):
    entries: list[JournalEntry]
    total: int = Field(description="How many entries matched the filters (before limit)")
    capacity: int = Field(description="How many requests the journal keeps")


class Journal:
    def __init__(self, size: int) -> None:
        self.entries: deque[JournalEntry] = deque(maxlen=size)
        self._seq = itertools.count(1)

    @property
    def capacity(self) -> int:
        return self.entries.maxlen or 0

    def record(self, **fields) -> None:
        self.entries.append(JournalEntry(seq=next(self._seq), **fields))

    def query(self, *, tenant=None, route=None, method=None, vendor=None, status=None) -> list[JournalEntry]:
        out = []
        for e in self.entries:
            if tenant is not None and e.tenant != tenant:
                continue
            if route is not None and e.route != route and e.path != route:
                continue
            if method is not None and e.method != method.upper():
                continue
            if vendor is not None and e.vendor != vendor:
                continue
            if status is not None and e.status != status:
                continue
            out.append(e)
        return out

    def clear(self, tenant: str | None = None) -> None:
        if tenant is None:
            self.entries.clear()
        else:
            kept = [e for e in self.entries if e.tenant != tenant]
            self.entries.clear()
            self.entries.extend(kept)


class JournalMiddleware:
    """Outermost of the emulator's own layers: it sees the status a fault
    answered with, and the latency it added."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        app = scope.get("app")
        # Requests the emulator makes to itself (the vendor view) are not a client's.
        if scope["type"] != "http" or app is None or scope["path"].startswith(CONTROL_PREFIX) or scope.get("emulator.internal"):
            return await self.app(scope, receive, send)
        state = app.state
        provider = next((p for p in state.providers.values() if p.owns(scope["path"])), None)
        vendor = provider.name if provider else None
        tenant = tenant_of(state.engine, vendor, scope)
        at = state.engine.now(tenant)
        started = time.perf_counter()
        status = {"code": 500}

        async def _send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            state.journal.record(
                at=iso(at),
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                vendor=vendor,
                tenant=tenant,
                route=route_template(app, scope),
                status=status["code"],
                latencyMs=round((time.perf_counter() - started) * 1000, 3),
                fault=scope.get("emulator.fault"),
            )


router = APIRouter(prefix="/_emulator", tags=["Journal"], dependencies=CONTROL_DEPENDENCIES)


@router.get(
    "/journal",
    operation_id="getJournal",
    summary="Recorded vendor requests, oldest first, filtered",
    response_model=JournalPage,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED},
)
async def get_journal(
    request: Request,
    tenant: str | None = Query(None, description="Only requests whose credentials opened this tenant"),
    route: str | None = Query(None, description="Only this route template (/api/v1/calls/{callId}) or exact path"),
    method: str | None = Query(None, description="Only this HTTP method"),
    vendor: str | None = Query(None, description="Only this vendor's paths"),
    status: int | None = Query(None, ge=100, le=599, description="Only this status"),
    limit: int | None = Query(None, ge=1, le=100_000, description="Only the last N matches"),
) -> Response:
    journal: Journal = request.app.state.journal
    found = journal.query(tenant=tenant, route=route, method=method, vendor=vendor, status=status)
    shown = found[-limit:] if limit else found
    return json_response(JournalPage(entries=shown, total=len(found), capacity=journal.capacity))


@router.delete(
    "/journal",
    operation_id="clearJournal",
    summary="Forget recorded requests (all, or one tenant's)",
    status_code=204,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED},
)
async def clear_journal(request: Request, tenant: str | None = Query(None, description="Only this tenant's entries")) -> Response:
    request.app.state.journal.clear(tenant)
    return Response(status_code=204)
