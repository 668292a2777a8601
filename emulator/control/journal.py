"""The request journal: the last N vendor requests (method, path, tenant,
matched route, status, latency), so a test can assert what its client
called and how often. The request layer (emulator.http) records the rows
(emulator.control.journal_rows); /_emulator/journal reads them."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES, iso
from emulator.control.journal_rows import Journal, Row
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
    return json_response(JournalPage(entries=[_entry(r) for r in shown], total=len(found), capacity=journal.capacity))


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
