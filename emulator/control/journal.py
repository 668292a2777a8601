"""The request journal: the last N vendor requests (method, path, tenant,
matched route, status, latency), so a test can assert what its client
called and how often. The request layer (emulator.http) records; /_emulator/journal reads."""

from __future__ import annotations

import itertools
from collections import deque

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES, iso
from emulator.web import json_response

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


# One recorded request, kept as a plain tuple (building a model per request
# costs more than answering many of them); models are built when read.
Row = tuple  # (seq, at, method, path, query bytes, vendor, tenant, route, status, latency s, fault)


class Journal:
    def __init__(self, size: int) -> None:
        self.entries: deque[Row] = deque(maxlen=size)
        self._seq = itertools.count(1)

    @property
    def capacity(self) -> int:
        return self.entries.maxlen or 0

    def record(self, at: float, method: str, path: str, query: bytes, vendor, tenant, route, status: int, latency: float, fault) -> None:
        self.entries.append((next(self._seq), at, method, path, query, vendor, tenant, route, status, latency, fault))

    def query(self, *, tenant=None, route=None, method=None, vendor=None, status=None) -> list[JournalEntry]:
        method = method.upper() if method is not None else None
        return [
            _entry(e)
            for e in list(self.entries)
            if (tenant is None or e[6] == tenant)
            and (route is None or e[7] == route or e[3] == route)
            and (method is None or e[2] == method)
            and (vendor is None or e[5] == vendor)
            and (status is None or e[8] == status)
        ]

    def clear(self, tenant: str | None = None) -> None:
        if tenant is None:
            self.entries.clear()
        else:
            kept = [e for e in self.entries if e[6] != tenant]
            self.entries.clear()
            self.entries.extend(kept)


def _entry(row: Row) -> JournalEntry:
    seq, at, method, path, query, vendor, tenant, route, status, latency, fault = row
    return JournalEntry(
        seq=seq, at=iso(at), method=method, path=path, query=query.decode("latin-1"), vendor=vendor, tenant=tenant,
        route=route, status=status, latencyMs=round(latency * 1000, 3), fault=fault,
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
