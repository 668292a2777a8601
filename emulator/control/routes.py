"""/_emulator: health, readiness, the published specs, and every control
router (clock, tenants, calls, faults, journal, state)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from emulator.control import calls, clock, errors, events, faults, journal, state, tenants, vendor_view, webhooks
from emulator.control.errors import ControlError
from emulator.web import get_engine, json_response

router = APIRouter(prefix="/_emulator", tags=["Emulator"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    ready: bool
    calls: int
    tenants: int


@router.get("/health", operation_id="health", summary="Liveness", response_model=Health)
async def health() -> Response:
    return json_response(Health(status="ok"))


@router.get("/ready", operation_id="ready", summary="Readiness: fixtures loaded and serving", response_model=Ready)
async def ready(request: Request) -> Response:
    engine = get_engine(request)
    return json_response(Ready(ready=True, calls=len(engine.store), tenants=len(engine.tenants.all())))


@router.get(
    "/openapi/{name}.json",
    operation_id="getSpec",
    summary="A published OpenAPI document: heppu, trillet or control",
    response_model=dict,
    responses=errors.NOT_FOUND,
)
async def spec(request: Request, name: str = Path(description="heppu, trillet or control")) -> JSONResponse:
    specs = request.app.state.specs
    if name not in specs:
        raise ControlError(404, f"No spec named {name}")
    return JSONResponse(specs[name])


# Everything under /_emulator, in the order the control spec lists them.
ROUTERS = [router, clock.router, tenants.router, calls.router, vendor_view.router, faults.router, journal.router, state.router, events.router, webhooks.router]
