"""/_emulator: health, readiness and the published specs."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from emulator.core.engine import Engine
from emulator.web import get_engine

router = APIRouter(prefix="/_emulator", tags=["Emulator"])


@router.get("/health", operation_id="health", summary="Liveness")
async def health() -> dict:
    return {"status": "ok"}


@router.get("/ready", operation_id="ready", summary="Readiness: fixtures loaded and serving")
async def ready(engine: Engine = Depends(get_engine)) -> JSONResponse:
    body = {"ready": True, "calls": len(engine.store), "tenants": len(engine.tenants.all())}
    return JSONResponse(body)


@router.get("/openapi/{name}.json", operation_id="getSpec", summary="A provider's OpenAPI document")
async def spec(name: str, request: Request) -> JSONResponse:
    specs = request.app.state.specs
    if name not in specs:
        return JSONResponse({"error": {"message": f"No spec named {name}", "code": 404}}, status_code=404)
    return JSONResponse(specs[name])
