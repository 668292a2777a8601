"""/_emulator/faults: fault rules as the control plane reads and writes
them (the rules themselves, and how the request layer applies them before
the vendor routes run, are in emulator.control.fault_rules)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Literal

from fastapi import APIRouter, Path, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES
from emulator.control.durations import parse_duration
from emulator.control.errors import ControlError
from emulator.control.fault_rules import Rule
from emulator.web import get_engine, json_response

MAX_DELAY = 60.0


class FaultIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"vendor": "heppu", "route": "/api/v1/calls/{callId}", "method": "GET", "status": 429, "retryAfter": 2, "times": 1},
                {"vendor": "trillet", "delay": "200ms", "delayMax": "1s", "probability": 0.5},
            ]
        },
    )
    vendor: Literal["heppu", "trillet"] | None = Field(None, description="Only this vendor's routes")
    route: str | None = Field(
        None, min_length=1, max_length=300, description="A route template (/api/v1/calls/{callId}), a concrete path, or a glob (/v2/api/*)"
    )
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = Field(None, description="Only this method")
    tenant: str | None = Field(None, description="Only requests whose credentials open this tenant")
    status: int | None = Field(None, ge=400, le=599, description="Answer with this status and the vendor's error body")
    message: str | None = Field(None, max_length=500, description="The error message (default: the status phrase)")
    retryAfter: int | None = Field(None, ge=0, le=86400, description="Retry-After seconds (429 default: 1)")
    delay: str | float | None = Field(None, description="Latency to add: seconds or 250ms, 2s... (fixed, or the low end with delayMax)")
    delayMax: str | float | None = Field(None, description="With delay: latency drawn uniformly from [delay, delayMax]")
    probability: float = Field(1.0, ge=0, le=1, description="Chance each matching request is hit (seeded)")
    times: int | None = Field(None, ge=1, le=1_000_000, description="Apply at most this many times (default: unlimited)")

    @field_validator("delay", "delayMax", mode="before")
    @classmethod
    def _delay(cls, v):
        if v is None:
            return None
        seconds = parse_duration(v)
        if seconds > MAX_DELAY:
            raise ValueError(f"a fault delays at most {MAX_DELAY:g} s")
        return seconds

    @model_validator(mode="after")
    def _does_something(self):
        if self.status is None and self.delay is None:
            raise ValueError("a fault needs a status, a delay or both")
        if self.delayMax is not None and (self.delay is None or self.delayMax < self.delay):
            raise ValueError("delayMax needs a delay no greater than it")
        if self.retryAfter is not None and self.status is None:
            raise ValueError("retryAfter needs a status")
        return self


class FaultOut(BaseModel):
    id: str
    vendor: str | None
    route: str | None
    method: str | None
    tenant: str | None
    status: int | None
    message: str | None
    retryAfter: int | None
    delay: float | None = Field(description="Seconds")
    delayMax: float | None = Field(description="Seconds")
    probability: float
    times: int | None
    hits: int = Field(description="How many requests it has hit so far")
    routes: list[str] = Field(description="The routes it can match, as METHOD /template")


class FaultList(BaseModel):
    faults: list[FaultOut]


def _out(rule: Rule) -> FaultOut:
    return FaultOut(id=rule.id, hits=rule.hits, routes=rule.routes, **rule.spec.model_dump())  # type: ignore[arg-type]


def routes_matching(providers: dict, spec: FaultIn) -> list[str]:
    """Every vendor route (METHOD /template) a rule could match."""
    found = []
    for name, provider in providers.items():
        if spec.vendor is not None and name != spec.vendor:
            continue
        for route in provider.router.routes:
            if not isinstance(route, APIRoute):
                continue
            template = route.path_format
            if spec.route is not None and not (
                spec.route == template or fnmatchcase(template, spec.route) or route.path_regex.match(spec.route) or fnmatchcase(spec.route, template)
            ):
                continue
            for method in sorted(route.methods):
                if spec.method is None or spec.method == method:
                    found.append(f"{method} {template}")
    return found


router = APIRouter(prefix="/_emulator", tags=["Faults"], dependencies=CONTROL_DEPENDENCIES)


@router.get("/faults", operation_id="listFaults", summary="Fault rules, in the order they are tried", response_model=FaultList, responses=errors.UNAUTHORIZED)
async def list_faults(request: Request) -> Response:
    return json_response(FaultList(faults=[_out(r) for r in request.app.state.faults.rules]))


@router.post(
    "/faults",
    operation_id="addFault",
    summary="Add a fault rule (it must match at least one vendor route)",
    status_code=201,
    response_model=FaultOut,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED},
)
async def add_fault(body: FaultIn, request: Request) -> Response:
    engine = get_engine(request)
    if body.tenant is not None:
        tenant = engine.tenants.get(body.tenant)
        if tenant is None:
            raise ControlError(400, f"Fault rule names tenant {body.tenant}, which does not exist")
        if body.vendor is not None and body.vendor != tenant.vendor:
            raise ControlError(400, f"Fault rule matches nothing: tenant {tenant.id} is {tenant.vendor}, not {body.vendor}")
        body = body.model_copy(update={"vendor": tenant.vendor})
    routes = routes_matching(request.app.state.providers, body)
    if not routes:
        raise ControlError(400, "Fault rule matches no route: check vendor, route and method")
    rule = request.app.state.faults.add(body, routes)
    return json_response(_out(rule), status_code=201)


@router.delete("/faults/{faultId}", operation_id="removeFault", summary="Remove one fault rule", status_code=204, responses={**errors.UNAUTHORIZED, **errors.NOT_FOUND})
async def remove_fault(request: Request, faultId: str = Path()) -> Response:
    faults = request.app.state.faults
    if faults.get(faultId) is None:
        raise ControlError(404, f"No fault rule with id {faultId}")
    faults.remove(faultId)
    return Response(status_code=204)


@router.delete("/faults", operation_id="clearFaults", summary="Remove every fault rule (and reseed their generator)", status_code=204, responses=errors.UNAUTHORIZED)
async def clear_faults(request: Request) -> Response:
    request.app.state.faults.clear()
    return Response(status_code=204)
