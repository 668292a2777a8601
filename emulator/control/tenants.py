"""/_emulator/tenants: Heppu organisations and Trillet workspaces, their keys
and agents. A test suite creates its own and deletes it when done."""

from __future__ import annotations

import secrets
from typing import Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES, tenant_or_404
from emulator.control.errors import ControlError
from emulator.core.engine import Engine
from emulator.core.tenants import Agent, LiveKitKey, Tenant
from emulator.web import get_engine, json_response

router = APIRouter(prefix="/_emulator", tags=["Tenants"], dependencies=CONTROL_DEPENDENCIES)

Vendor = Literal["heppu", "trillet"]


class AgentModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    type: Literal["voice", "chat"] = "voice"
    status: Literal["active", "inactive"] = "active"
    phoneNumbers: list[str] = Field(default_factory=list, description="Numbers the agent places calls from")
    script: str | None = Field(None, description="Conversation script its calls follow (fixtures/scripts); null: drawn per call")
    public: bool = Field(False, description="Trillet: anyone may start a web call with it (POST /v1/api/web-call/public)")


class LiveKitKeyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    apiKey: str = Field(min_length=1, max_length=200)
    apiSecret: str = Field(min_length=1, max_length=500)


class TenantIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "vendor": "heppu",
                    "id": "org_ci_0001",
                    "name": "CI organisation",
                    "keys": ["ci_key_0001"],
                    "agents": [{"id": "agent-ci-1", "name": "CI Agent", "phoneNumbers": ["+14155550100"], "script": "support"}],
                }
            ]
        },
    )
    vendor: Vendor
    id: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$", description="Organisation or workspace id (default: generated)")
    name: str | None = Field(None, max_length=200)
    keys: list[str] | None = Field(None, description="API keys that open it (default: one generated key)")
    agents: list[AgentModel] | None = Field(None, description="Its agents (default: one voice agent with a number)")
    livekitKeys: list[LiveKitKeyModel] | None = Field(
        None, description="LiveKit API key pairs that open its rooms; the first signs its room tokens (default: one generated pair)"
    )


class TenantOut(BaseModel):
    id: str
    vendor: Vendor
    name: str
    keys: list[str]
    agents: list[AgentModel]
    livekitKeys: list[LiveKitKeyModel]
    ownClock: bool = Field(description="Whether it has its own clock")
    calls: int = Field(description="How many calls it holds")


def tenant_out(engine: Engine, t: Tenant) -> TenantOut:
    return TenantOut(
        id=t.id,
        vendor=t.vendor,  # type: ignore[arg-type]
        name=t.name,
        keys=list(t.keys),
        agents=[
            AgentModel(id=a.id, name=a.name, type=a.type, status=a.status, phoneNumbers=list(a.phone_numbers), script=a.script, public=a.public)  # type: ignore[arg-type]
            for a in t.agents
        ],
        livekitKeys=[LiveKitKeyModel(apiKey=k.key, apiSecret=k.secret) for k in t.livekit_keys],
        ownClock=engine.clocks.has_own(t.id),
        calls=len(engine.store.tenant_index(t.id)),
    )


class TenantList(BaseModel):
    tenants: list[TenantOut]


def _new_id(vendor: str) -> str:
    return "org_" + secrets.token_hex(6) if vendor == "heppu" else secrets.token_hex(12)


def build_tenant(engine: Engine, body: TenantIn) -> Tenant:
    tenant_id = body.id or _new_id(body.vendor)
    if engine.tenants.get(tenant_id) is not None:
        raise ControlError(409, f"A tenant with id {tenant_id} already exists")
    keys = tuple(body.keys) if body.keys is not None else (f"{body.vendor}_{secrets.token_hex(12)}",)
    if not keys or any(not k.strip() for k in keys):
        raise ControlError(400, "A tenant needs at least one non-blank API key")
    if body.vendor == "heppu":
        # A Heppu key opens exactly one organisation.
        taken = [k for k in keys if engine.tenants.by_key("heppu", k)]
        if taken:
            raise ControlError(409, f"Heppu key {taken[0]} already opens another organisation")
    if body.agents is None:
        agents = (Agent(id=f"agent-{secrets.token_hex(4)}", name="Test Agent", phone_numbers=("+14155550100",)),)
    else:
        ids = [a.id for a in body.agents]
        if len(set(ids)) != len(ids):
            raise ControlError(400, "Agent ids must be unique within a tenant")
        unknown = [a.script for a in body.agents if a.script and a.script not in engine.scripts]
        if unknown:
            raise ControlError(400, f"Unknown script {unknown[0]!r}; known: {', '.join(sorted(engine.scripts))}")
        agents = tuple(
            Agent(id=a.id, name=a.name, type=a.type, status=a.status, phone_numbers=tuple(a.phoneNumbers), script=a.script, public=a.public)
            for a in body.agents
        )
    if body.livekitKeys is None:
        livekit = (LiveKitKey("API" + secrets.token_hex(6), secrets.token_hex(24)),)
    else:
        livekit = tuple(LiveKitKey(k.apiKey, k.apiSecret) for k in body.livekitKeys)
        for k in livekit:
            secret = engine.tenants.livekit_secret(k.key)
            if secret is not None and secret != k.secret:
                raise ControlError(409, f"LiveKit key {k.key} already exists with a different secret")
    return Tenant(id=tenant_id, vendor=body.vendor, name=body.name or tenant_id, keys=keys, agents=agents, livekit_keys=livekit)


def forget_tenant(request: Request, tenant_id: str) -> None:
    """Everything the tenant owns: calls, own clock, fault rules, journal."""
    engine = get_engine(request)
    engine.store.clear(tenant_id)
    engine.clocks.drop(tenant_id)
    engine.tenants.remove(tenant_id)
    request.app.state.faults.forget_tenant(tenant_id)
    request.app.state.journal.clear(tenant=tenant_id)


NOT_FOUND = {**errors.UNAUTHORIZED, **errors.NOT_FOUND}


@router.get("/tenants", operation_id="listTenants", summary="Every tenant", response_model=TenantList, responses=errors.UNAUTHORIZED)
async def list_tenants(request: Request) -> Response:
    engine = get_engine(request)
    return json_response(TenantList(tenants=[tenant_out(engine, t) for t in engine.tenants.all()]))


@router.post(
    "/tenants",
    operation_id="createTenant",
    summary="Create a Heppu organisation or Trillet workspace",
    status_code=201,
    response_model=TenantOut,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED, **errors.CONFLICT},
)
async def create_tenant(body: TenantIn, request: Request) -> Response:
    engine = get_engine(request)
    tenant = build_tenant(engine, body)
    engine.tenants.add(tenant)
    return json_response(tenant_out(engine, tenant), status_code=201)


@router.get("/tenants/{tenantId}", operation_id="getTenant", summary="One tenant", response_model=TenantOut, responses=NOT_FOUND)
async def get_tenant(request: Request, tenantId: str = Path()) -> Response:
    engine = get_engine(request)
    return json_response(tenant_out(engine, tenant_or_404(engine, tenantId)))


@router.delete(
    "/tenants/{tenantId}",
    operation_id="deleteTenant",
    summary="Delete a tenant with its calls, clock, fault rules and journal entries",
    status_code=204,
    responses=NOT_FOUND,
)
async def delete_tenant(request: Request, tenantId: str = Path()) -> Response:
    tenant_or_404(get_engine(request), tenantId)
    forget_tenant(request, tenantId)
    return Response(status_code=204)
