"""Fault injection: rules matched by vendor, route, method and tenant that
answer with a status in the vendor's own error shape, add latency, or both;
applied with a probability drawn from a seeded generator, at most N times.
The request layer (emulator.http) applies them before the vendor routes run."""

from __future__ import annotations

import asyncio
import itertools
import random
from fnmatch import fnmatchcase
from http import HTTPStatus
from typing import Literal

from fastapi import APIRouter, Path, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES
from emulator.control.durations import parse_duration
from emulator.control.errors import ControlError
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


class Rule:
    def __init__(self, rule_id: str, spec: FaultIn, routes: list[str]) -> None:
        self.id = rule_id
        self.spec = spec
        self.routes = routes
        self.hits = 0

    def out(self) -> FaultOut:
        s = self.spec
        return FaultOut(id=self.id, hits=self.hits, routes=self.routes, **s.model_dump())  # type: ignore[arg-type]

    def exhausted(self) -> bool:
        return self.spec.times is not None and self.hits >= self.spec.times

    def matches(self, vendor: str, method: str, path: str, template: str | None, tenant: str | None) -> bool:
        s = self.spec
        if s.vendor is not None and s.vendor != vendor:
            return False
        if s.method is not None and s.method != method:
            return False
        if s.tenant is not None and s.tenant != tenant:
            return False
        if s.route is not None and not (s.route in (path, template) or fnmatchcase(path, s.route)):
            return False
        return True


class Faults:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rules: list[Rule] = []
        self._ids = itertools.count(1)
        self.rng = random.Random(f"{seed}:faults")

    def add(self, spec: FaultIn, routes: list[str]) -> Rule:
        rule = Rule(f"fault_{next(self._ids)}", spec, routes)
        self.rules.append(rule)
        return rule

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def remove(self, rule_id: str) -> None:
        self.rules = [r for r in self.rules if r.id != rule_id]

    def clear(self) -> None:
        self.__init__(self.seed)

    def forget_tenant(self, tenant_id: str) -> None:
        self.rules = [r for r in self.rules if r.spec.tenant != tenant_id]

    def pick(self, vendor: str, method: str, path: str, template: str | None, tenant: str | None) -> Rule | None:
        for rule in self.rules:
            if rule.exhausted() or not rule.matches(vendor, method, path, template, tenant):
                continue
            if rule.spec.probability < 1.0 and not self.rng.random() < rule.spec.probability:
                continue
            rule.hits += 1
            return rule
        return None

    def delay_of(self, rule: Rule) -> float:
        s = rule.spec
        if s.delay is None:
            return 0.0
        return self.rng.uniform(s.delay, s.delayMax) if s.delayMax is not None else s.delay


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


async def inject(faults: Faults, provider, tenant: str | None, template: str | None, scope, receive, send) -> tuple[str | None, bool]:
    """Apply the first fault rule that hits this vendor request: wait its
    delay, answer its status in the vendor's error shape. (the rule's id or
    None, whether it answered)."""
    rule = faults.pick(provider.name, scope["method"], scope["path"], template, tenant)
    if rule is None:
        return None, False
    delay = faults.delay_of(rule)
    if delay > 0:
        await asyncio.sleep(delay)
    if rule.spec.status is None:
        return rule.id, False
    status = rule.spec.status
    headers = {}
    retry_after = rule.spec.retryAfter if rule.spec.retryAfter is not None else (1 if status == 429 else None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    message = rule.spec.message or _phrase(status)
    response = _json(provider.error_body(status, message, {}), status, headers)
    await response(scope, receive, send)
    return rule.id, True


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Injected fault"


def _json(body: dict, status: int, headers: dict):
    from fastapi.responses import JSONResponse

    return JSONResponse(body, status_code=status, headers=headers)


router = APIRouter(prefix="/_emulator", tags=["Faults"], dependencies=CONTROL_DEPENDENCIES)


@router.get("/faults", operation_id="listFaults", summary="Fault rules, in the order they are tried", response_model=FaultList, responses=errors.UNAUTHORIZED)
async def list_faults(request: Request) -> Response:
    return json_response(FaultList(faults=[r.out() for r in request.app.state.faults.rules]))


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
    return json_response(rule.out(), status_code=201)


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
