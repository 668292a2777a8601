"""/_emulator/webhooks: register receivers, see every delivery, redeliver,
and make delivery misbehave (drop, delay, duplicate, reorder)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES
from emulator.control.errors import ControlError
from emulator.events.webhooks import Delivery, Endpoint, Faults
from emulator.web import json_response

router = APIRouter(prefix="/_emulator", tags=["Webhooks"], dependencies=CONTROL_DEPENDENCIES)

URL_PATTERN = r"^https?://[\x21-\x2e\x30-\x7e]+([/?#][\x21-\x7e]*)?$"


class FaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    drop: float = Field(0.0, ge=0, le=1, description="Probability a delivery is never sent")
    delay: float = Field(0.0, ge=0, le=300, description="Seconds to wait before each send")
    duplicate: float = Field(0.0, ge=0, le=1, description="Probability a delivery is sent twice")
    reorder: float = Field(0.0, ge=0, le=1, description="Probability a delivery swaps places with the next pending one")


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"url": "http://127.0.0.1:9000/hooks", "tenant": "org_abc123"},
                {"url": "http://127.0.0.1:9000/hooks", "events": ["call.completed", "call.failed"], "secret": "s3cret"},
            ]
        },
    )
    url: str = Field(pattern=URL_PATTERN, max_length=2000, description="Absolute http(s) URL of the receiver")
    tenant: str | None = Field(None, description="Only this tenant's events (default: every tenant)")
    kind: Literal["heppu", "trillet", "livekit"] | None = Field(None, description="Payload kind (default: the vendor of each event's tenant; livekit only when named)")
    events: list[str] | None = Field(None, min_length=1, description="Event names to send (default: the kind's defaults)")
    secret: str | None = Field(None, min_length=1, max_length=500, description="Signs each delivery: X-Emulator-Signature (HMAC-SHA256)")
    timeout: float = Field(5.0, gt=0, le=60, description="Seconds to wait for the receiver")
    maxAttempts: int = Field(6, ge=1, le=50, description="Attempts before a delivery fails")
    backoff: float = Field(1.0, ge=0, le=60, description="Seconds before the first retry; doubles each time (at most 60)")
    faults: FaultsIn | None = None


class WebhookOut(BaseModel):
    id: str
    url: str
    tenant: str | None
    kind: str | None
    events: list[str] | None
    signed: bool = Field(description="Whether deliveries carry a signature (the secret is never shown)")
    timeout: float
    maxAttempts: int
    backoff: float
    faults: FaultsIn
    source: Literal["api", "config", "call"] = Field(description="Registered here, from the settings, or a call's callback URL")
    pending: int = Field(description="Deliveries waiting to be sent")
    dropped: int = Field(description="Pending deliveries dropped because the queue was full")


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: str
    webhook: str = Field(description="The endpoint's id")
    url: str
    eventId: str = Field(description="The emulator event's id: the same on every attempt and redelivery")
    event: str = Field(description="The name sent")
    type: str = Field(description="The emulator event type it came from")
    tenant: str
    callId: str
    at: str = Field(description="The event's virtual instant")
    status: Literal["pending", "delivered", "failed", "dropped"]
    attempts: int
    responseStatus: int | None
    responseExcerpt: str | None
    error: str | None
    latencyMs: float | None = Field(description="Duration of the last attempt")
    duplicateOf: str | None


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]
    count: int


def webhook_out(ep: Endpoint) -> WebhookOut:
    f = ep.faults
    return WebhookOut(
        id=ep.id, url=ep.url, tenant=ep.tenant, kind=ep.kind, events=ep.events, signed=bool(ep.secret), timeout=ep.timeout,
        maxAttempts=ep.max_attempts, backoff=ep.backoff, faults=FaultsIn(drop=f.drop, delay=f.delay, duplicate=f.duplicate, reorder=f.reorder),
        source=ep.source, pending=len(ep.queue), dropped=ep.dropped,
    )


def delivery_out(d: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id, webhook=d.endpoint, url=d.url, eventId=d.event_id, event=d.event, type=d.type, tenant=d.tenant, callId=d.call_id, at=d.at,
        status=d.status, attempts=d.attempts, responseStatus=d.response_status, responseExcerpt=d.response_excerpt, error=d.error,
        latencyMs=d.latency_ms, duplicateOf=d.duplicate_of,
    )


def register(app, body: WebhookIn, source: str = "api") -> Endpoint:
    hooks = app.state.webhooks
    engine = app.state.engine
    tenant = engine.tenants.get(body.tenant) if body.tenant is not None else None
    if body.tenant is not None and tenant is None:
        raise ControlError(404, f"No tenant with id {body.tenant}")
    kind_name = body.kind or (tenant.vendor if tenant is not None else None)
    if body.kind is not None and body.kind not in hooks.kinds:
        raise ControlError(400, f"Webhook kind {body.kind} is not served by this emulator")
    if body.events:
        kinds = [hooks.kinds[kind_name]] if kind_name in hooks.kinds else list(hooks.kinds.values())
        known = {e for k in kinds for e in k.events}
        unknown = [e for e in body.events if e not in known]
        if unknown:
            raise ControlError(400, f"Unknown event {unknown[0]!r}: one of {', '.join(sorted(known))}")
    f = body.faults or FaultsIn()
    return hooks.add(
        body.url, tenant=body.tenant, kind=body.kind, events=body.events, secret=body.secret, timeout=body.timeout,
        max_attempts=body.maxAttempts, backoff=body.backoff, faults=Faults(f.drop, f.delay, f.duplicate, f.reorder), source=source,
    )


@router.post(
    "/webhooks",
    operation_id="addWebhook",
    summary="Register a webhook receiver",
    status_code=201,
    response_model=WebhookOut,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED, **errors.NOT_FOUND},
)
async def add_webhook(body: WebhookIn, request: Request) -> Response:
    return json_response(webhook_out(register(request.app, body)), status_code=201)


@router.get("/webhooks", operation_id="listWebhooks", summary="Registered webhook receivers", response_model=WebhookList, responses=errors.UNAUTHORIZED)
async def list_webhooks(request: Request) -> Response:
    return json_response(WebhookList(webhooks=[webhook_out(e) for e in request.app.state.webhooks.endpoints.values()]))


@router.get(
    "/webhooks/deliveries",
    operation_id="listDeliveries",
    summary="Deliveries, oldest first (the newest 10,000 kept)",
    response_model=DeliveryList,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED},
)
async def list_deliveries(
    request: Request,
    tenant: str | None = Query(None),
    callId: str | None = Query(None),
    event: str | None = Query(None, description="The name sent or the emulator event type"),
    webhook: str | None = Query(None, description="An endpoint's id"),
    status: Literal["pending", "delivered", "failed", "dropped"] | None = Query(None),
    limit: int | None = Query(None, ge=1, le=100_000, description="At most this many, the newest"),
) -> Response:
    found = request.app.state.webhooks.deliveries(tenant=tenant, call_id=callId, event=event, endpoint=webhook, status=status, limit=limit)
    return json_response(DeliveryList(deliveries=[delivery_out(d) for d in found], count=len(found)))


@router.post(
    "/webhooks/deliveries/{deliveryId}/redeliver",
    operation_id="redeliver",
    summary="Send a delivery again (same event id and body) as a new delivery",
    status_code=202,
    response_model=DeliveryOut,
    responses={**errors.UNAUTHORIZED, **errors.NOT_FOUND},
)
async def redeliver(request: Request, deliveryId: str = Path()) -> Response:
    d = request.app.state.webhooks.redeliver(deliveryId)
    if d is None:
        raise ControlError(404, f"No delivery with id {deliveryId} (or its webhook was removed)")
    return json_response(delivery_out(d), status_code=202)


@router.delete(
    "/webhooks/{webhookId}",
    operation_id="deleteWebhook",
    summary="Remove a webhook receiver (pending deliveries are dropped)",
    status_code=204,
    responses={**errors.UNAUTHORIZED, **errors.NOT_FOUND},
)
async def delete_webhook(request: Request, webhookId: str = Path()) -> Response:
    if not request.app.state.webhooks.remove(webhookId):
        raise ControlError(404, f"No webhook with id {webhookId}")
    return Response(status_code=204)
