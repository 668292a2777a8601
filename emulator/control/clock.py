"""/_emulator/clock: the global clock, and per-tenant clocks so one suite can
freeze and advance its own time while others share the global one."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES, iso, tenant_or_404
from emulator.control.durations import MAX_INSTANT, parse_control_instant, parse_duration
from emulator.control.errors import ControlError
from emulator.core.clock import Clock
from emulator.web import get_engine, json_response

router = APIRouter(prefix="/_emulator", tags=["Clock"], dependencies=CONTROL_DEPENDENCIES)


class ClockOut(BaseModel):
    tenant: str | None = Field(description="The tenant whose clock this is; null for the global clock")
    own: bool = Field(description="True when the tenant has its own clock; false when it follows the global one")
    mode: Literal["realtime", "scaled", "manual"]
    speed: float = Field(description="Speed factor of the scaled mode")
    now: str = Field(description="The clock's now, ISO 8601 with milliseconds")
    epoch: float = Field(description="The clock's now in seconds since the Unix epoch")


class ClockUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"mode": "manual", "now": "2025-01-01T12:00:00Z"}]})
    mode: Literal["realtime", "scaled", "manual"] | None = Field(None, description="realtime, scaled (x speed) or manual (frozen)")
    speed: float | None = Field(None, gt=0, le=1_000_000, description="Speed factor for the scaled mode")
    now: str | float | None = Field(None, description="Set the clock to this instant (ISO 8601 or epoch seconds)")

    @field_validator("now", mode="before")
    @classmethod
    def _now(cls, v):
        return None if v is None else parse_control_instant(v)


class Advance(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"by": "90s"}, {"by": 30}, {"by": "PT5M"}]})
    by: str | float = Field(description="How far to move: seconds, or 250ms, 90s, 5m, 1h30m, 2d, PT1M30S")

    @field_validator("by", mode="before")
    @classmethod
    def _by(cls, v):
        return parse_duration(v)


def clock_out(clock: Clock, tenant: str | None, own: bool) -> ClockOut:
    state = clock.state()
    return ClockOut(tenant=tenant, own=own, mode=state.mode.value, speed=state.speed, now=iso(state.now), epoch=state.now)


def _apply(clock: Clock, body: ClockUpdate) -> None:
    clock.configure(mode=body.mode, speed=body.speed, now=body.now)


def _advance(clock: Clock, seconds: float) -> None:
    if clock.now() + seconds >= MAX_INSTANT:
        raise ControlError(400, "Advancing that far would pass the year 9999")
    clock.advance(seconds)


def _moved(engine, tenant: str | None = None) -> None:
    """A clock moved or changed pace: what fell due in between happens now,
    in order, before the answer; the scheduler re-plans its sleep."""
    engine.scheduler.release(tenant)
    engine.scheduler.waker()


COMMON = {**errors.BAD_REQUEST, **errors.UNAUTHORIZED}
TENANT = {**COMMON, **errors.NOT_FOUND}


@router.get("/clock", operation_id="getClock", summary="Read the global clock", response_model=ClockOut, responses=errors.UNAUTHORIZED)
async def get_clock(request: Request) -> Response:
    return json_response(clock_out(get_engine(request).clocks.global_clock, None, False))


@router.put("/clock", operation_id="setClock", summary="Set the global clock's mode, speed or now", response_model=ClockOut, responses=COMMON)
async def set_clock(body: ClockUpdate, request: Request) -> Response:
    engine = get_engine(request)
    clock = engine.clocks.global_clock
    _apply(clock, body)
    _moved(engine)
    return json_response(clock_out(clock, None, False))


@router.post("/clock/advance", operation_id="advanceClock", summary="Move the global clock forward", response_model=ClockOut, responses=COMMON)
async def advance_clock(body: Advance, request: Request) -> Response:
    engine = get_engine(request)
    clock = engine.clocks.global_clock
    _advance(clock, body.by)
    _moved(engine)
    return json_response(clock_out(clock, None, False))


TenantId = Path(description="A Heppu organisation id or Trillet workspace id")


@router.get("/tenants/{tenantId}/clock", operation_id="getTenantClock", summary="Read a tenant's clock", response_model=ClockOut, responses=TENANT)
async def get_tenant_clock(request: Request, tenantId: str = TenantId) -> Response:
    engine = get_engine(request)
    tenant_or_404(engine, tenantId)
    return json_response(clock_out(engine.clocks.for_tenant(tenantId), tenantId, engine.clocks.has_own(tenantId)))


@router.put(
    "/tenants/{tenantId}/clock",
    operation_id="setTenantClock",
    summary="Give a tenant its own clock (created frozen at the global now) and set it",
    response_model=ClockOut,
    responses=TENANT,
)
async def set_tenant_clock(body: ClockUpdate, request: Request, tenantId: str = TenantId) -> Response:
    engine = get_engine(request)
    tenant_or_404(engine, tenantId)
    clock = engine.clocks.own(tenantId)
    _apply(clock, body)
    _moved(engine, tenantId)
    return json_response(clock_out(clock, tenantId, True))


@router.post(
    "/tenants/{tenantId}/clock/advance",
    operation_id="advanceTenantClock",
    summary="Move a tenant's own clock forward (it gets one, frozen at the global now, if it had none)",
    response_model=ClockOut,
    responses=TENANT,
)
async def advance_tenant_clock(body: Advance, request: Request, tenantId: str = TenantId) -> Response:
    engine = get_engine(request)
    tenant_or_404(engine, tenantId)
    clock = engine.clocks.own(tenantId)
    _advance(clock, body.by)
    _moved(engine, tenantId)
    return json_response(clock_out(clock, tenantId, True))


@router.delete(
    "/tenants/{tenantId}/clock",
    operation_id="dropTenantClock",
    summary="Drop a tenant's own clock: it follows the global clock again",
    response_model=ClockOut,
    responses=TENANT,
)
async def drop_tenant_clock(request: Request, tenantId: str = TenantId) -> Response:
    engine = get_engine(request)
    tenant_or_404(engine, tenantId)
    engine.clocks.drop(tenantId)
    _moved(engine, tenantId)
    return json_response(clock_out(engine.clocks.global_clock, tenantId, False))
