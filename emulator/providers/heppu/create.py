"""POST /api/v1/calls/schedule, /calls/batch and /calls/outbound: calls are
created through the engine (seeded, deterministic) and then live their
lifecycle on the clock. Response bodies the docs do not print are the
emulator's own (docs/fidelity.md)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import Body, Depends, Response
from pydantic import ValidationError

from emulator.core.store import CallRecord
from emulator.core.tenants import Agent
from emulator.providers.base import VendorError
from emulator.providers.heppu import errors, policy, render, retries
from emulator.providers.heppu.agents import calling_agent
from emulator.providers.heppu.auth import HeppuContext, heppu_context
from emulator.providers.heppu.style import STYLE
from emulator.providers.heppu.models import (
    BatchItemResult,
    BatchResponse,
    BatchResult,
    BatchSummary,
    OutboundResponse,
    ScheduleResponse,
)
from emulator.providers.heppu.routes import router
from emulator.providers.heppu.schemas import (
    BatchBody,
    BatchCallItem,
    CallMetadata,
    OutboundBody,
    ScheduleCallBody,
    instant,
    interval_seconds,
)
from emulator.core.timeutil import MAX_INSTANT, iso_seconds
from emulator.web import json_bytes, json_response

_LINKS = {
    "GetCall": {"operationId": "getCall", "parameters": {"callId": "$response.body#/data/id"}},
    "CancelCall": {"operationId": "cancelCall", "parameters": {"callId": "$response.body#/data/id"}},
    "ListCalls": {"operationId": "listCalls", "parameters": {"agentId": "$response.body#/data/agentId"}},
}
_AGENT = "550e8400-e29b-41d4-a716-446655440000"
_WRITE_ERRORS = {**errors.UNAUTHORIZED, **errors.AGENT_NOT_FOUND, **errors.BODY_ERRORS}


def place_call(
    ctx: HeppuContext,
    agent: Agent,
    *,
    caller_id: str,
    phone: str,
    name: str | None,
    email: str | None,
    scheduled_at: float | None,
    priority: int,
    retry: dict | None,
    call_metadata: dict | None,
    metadata: dict | None,
    source: str,
    waiting: str = "initiated",
    delay: float | None = None,
) -> CallRecord:
    """One outbound call: `scheduled` until `scheduled_at` when that is in the
    future, otherwise waiting as `waiting` for `delay` (seeded when None)."""
    now = ctx.now
    if scheduled_at is not None and scheduled_at > now:
        waiting, delay = "scheduled", scheduled_at - now
    meta = dict(metadata or {})
    meta.update(caller_id=caller_id, from_phone_number=caller_id, priority=priority, source="api")
    if name:
        first, _, last = name.partition(" ")
        meta["contact"] = {"firstName": first, "lastName": last}
    if call_metadata:
        meta["callMetadata"] = call_metadata
    record = ctx.engine.create_call(
        tenant=ctx.tenant,
        agent=agent,
        style=STYLE,
        now=now,
        start_delay=delay,
        contact_phone=phone,
        contact_name=name,
        contact_email=email,
        fill_contact=False,
        waiting_status=waiting,
        scheduled_at=scheduled_at,
        agent_phone=caller_id,
        metadata=meta,
        attributes={
            "priority": priority,
            "callerId": caller_id,
            "callMetadata": call_metadata,
            "retry": retry,
            "attempt": 1,
            "source": source,
        },
    )
    retries.watch(ctx.engine, record)
    return record


def _retry(max_retries, intervals, schedule, retry_on) -> dict | None:
    return retries.plan(
        max_retries=max_retries,
        intervals=intervals,
        interval_seconds=[interval_seconds(i) for i in intervals] if intervals else None,
        schedule=[instant(t) for t in schedule] if schedule else None,
        retry_on=retry_on,
    )


LAST_RETRY = iso_seconds(MAX_INSTANT - 1)


def check_retry_span(retry: dict | None, first_at: float, field: str) -> None:
    """Every retry of a call first due at `first_at` must fall where the
    emulator holds instants (docs/fidelity.md, "Instants"): a retry far
    enough ahead to leave that range is refused now, not failed later."""
    if not retry:
        return
    due = first_at
    for k in range(retry["max"]):
        due = retries.due_at(retry, k, due)
        if due >= MAX_INSTANT:
            raise VendorError(400, f"Invalid request body field '{field}': retry {k + 1} would fall after {LAST_RETRY}")


def _meta(m: CallMetadata | None) -> dict | None:
    return m.model_dump(exclude_none=True) if m is not None else None


# --- Schedule Call ----------------------------------------------------------


@router.post(
    "/calls/schedule",
    operation_id="scheduleCall",
    summary="Schedule Call",
    description="Schedule one outbound call. The call is `scheduled` until `scheduledAt`, then connects, rings and "
    "runs its course; without `scheduledAt` it is placed at once. Attempts that end no_answer or busy are retried "
    "per `retryIntervals` / `retrySchedule` up to `maxRetries`, each retry a call of its own.",
    status_code=policy.CREATED,
    response_model=ScheduleResponse,
    responses={
        policy.CREATED: {"description": "The call is scheduled", "links": _LINKS},
        **errors.bad_request("Invalid body, or an agent that cannot call", **errors.VALIDATION, **errors.AGENT_ERRORS),
        **_WRITE_ERRORS,
    },
)
async def schedule_call(
    body: ScheduleCallBody = Body(
        openapi_examples={
            "basic": {"value": {"agentId": _AGENT, "contactPhone": "+14155552671", "contactName": "John Doe",
                                "scheduledAt": "2025-12-01T16:00:00Z"}},
            "retries": {"value": {"agentId": _AGENT, "contactPhone": "+14155552671", "retryIntervals": ["2 hours", "1 day"]}},
        }
    ),
    ctx: HeppuContext = Depends(heppu_context),
) -> Response:
    agent, caller = calling_agent(ctx.tenant, body.agentId, body.callerId)
    retry = _retry(body.maxRetries, body.retryIntervals, body.retrySchedule, policy.RETRY_ON_DEFAULT)
    priority = policy.PRIORITY_DEFAULT["schedule"] if body.priority is None else body.priority
    scheduled_at = instant(body.scheduledAt) if body.scheduledAt else None
    check_retry_span(retry, ctx.now if scheduled_at is None else max(scheduled_at, ctx.now), "retryIntervals" if body.retryIntervals else "retrySchedule")
    record = place_call(
        ctx,
        agent,
        caller_id=caller,
        phone=body.contactPhone,
        name=body.contactName,
        email=body.contactEmail,
        scheduled_at=scheduled_at,
        priority=priority,
        retry=retry,
        call_metadata=_meta(body.callMetadata),
        metadata=body.metadata,
        source="schedule",
    )
    snap = record.at(ctx.now)
    return json_response(
        ScheduleResponse(data=render.scheduled_call(snap, retries.describe(retry)), message="Call scheduled successfully"),
        status_code=policy.CREATED,
    )


# --- Batch Schedule Calls ---------------------------------------------------


def next_local_time(now: float, zone: str, hhmm: str) -> float:
    """The first instant at or after `now` when the wall clock in `zone` reads `hhmm`."""
    tz = ZoneInfo(zone)
    parts = [int(x) for x in hhmm.split(":")]
    at = time(parts[0], parts[1], parts[2] if len(parts) > 2 else 0)
    today = datetime.fromtimestamp(now, tz).date()
    for days in range(3):
        candidate = datetime.combine(today + timedelta(days=days), at, tzinfo=tz).timestamp()
        if candidate >= now:
            return candidate
    raise AssertionError("unreachable")


def _item_error(index: int, err: ValidationError) -> str:
    first = err.errors()[0]
    field = ".".join(str(x) for x in first.get("loc", ()))
    return f"calls[{index}]{'.' + field if field else ''}: {first['msg']}"


@router.post(
    "/calls/batch",
    operation_id="batchScheduleCalls",
    summary="Batch Schedule Calls",
    description="Schedule up to 1,000 outbound calls with one agent. Each call is validated on its own: 201 when "
    "all are scheduled, 207 with per-call results when some fail, 400 when none can be. `timezone` + "
    "`localScheduleTime` place a call at the next occurrence of that local time.",
    status_code=policy.CREATED,
    response_model=BatchResponse,
    responses={
        policy.CREATED: {"description": "Every call is scheduled", "links": {
            "GetFirstCall": {"operationId": "getCall", "parameters": {"callId": "$response.body#/data/results/0/callId"}},
        }},
        policy.PARTIAL: {"model": BatchResponse, "description": "Some calls are scheduled, some failed (per-call results)"},
        **errors.bad_request(
            "Invalid request, or no call could be scheduled",
            **errors.VALIDATION,
            none_scheduled=(400, "No calls were scheduled (2 of 2 failed); first error: calls[0].contactPhone: "
                                 "Phone number must be in E.164 format (+1234567890)"),
        ),
        **_WRITE_ERRORS,
    },
)
async def batch_schedule(
    body: BatchBody = Body(
        openapi_examples={
            "batch": {"value": {"agentId": _AGENT, "calls": [
                {"contactPhone": "+14155552671", "contactName": "John Doe", "priority": 1},
                {"contactPhone": "+12125551234", "timezone": "America/New_York", "localScheduleTime": "09:00"},
            ], "retryConfig": {"maxRetries": 2, "retryIntervals": ["2 hours"]}}},
        }
    ),
    ctx: HeppuContext = Depends(heppu_context),
) -> Response:
    agent, caller = calling_agent(ctx.tenant, body.agentId, None)
    rc = body.retryConfig
    retry = None
    if rc is not None:
        on = [s for s, flag in (("no_answer", rc.retryOnNoAnswer), ("busy", rc.retryOnBusy), ("failed", rc.retryOnFailed)) if flag]
        retry = _retry(rc.maxRetries, rc.retryIntervals, rc.retrySchedule, on)
    default_at = instant(body.defaultScheduledAt) if body.defaultScheduledAt else None

    # Validate every call first, then create the valid ones: a request that
    # schedules nothing changes nothing.
    planned: list[tuple[int, BatchCallItem, float | None]] = []
    results: list[BatchItemResult | None] = [None] * len(body.calls)
    stopped = False
    for i, raw in enumerate(body.calls):
        if stopped:
            results[i] = BatchItemResult(index=i, status="skipped", callId=None, scheduledAt=None, error="Not processed: stopOnError")
            continue
        try:
            item = BatchCallItem.model_validate(raw)
            at = _item_time(ctx.now, item, default_at, i)
            check_retry_span(retry, ctx.now if at is None else max(at, ctx.now), "retryConfig")
        except (ValidationError, VendorError) as exc:
            message = _item_error(i, exc) if isinstance(exc, ValidationError) else exc.message
            results[i] = BatchItemResult(index=i, status="failed", callId=None, scheduledAt=None, error=message)
            stopped = body.stopOnError
            continue
        planned.append((i, item, at))

    if not planned:
        failed = [r for r in results if r.status == "failed"]
        raise VendorError(400, f"No calls were scheduled ({len(failed)} of {len(results)} failed); first error: {failed[0].error}")

    for i, item, at in planned:
        record = place_call(
            ctx,
            agent,
            caller_id=caller,
            phone=item.contactPhone,
            name=item.contactName,
            email=item.contactEmail,
            scheduled_at=at,
            priority=body.defaultPriority if item.priority is None else item.priority,
            retry=retry,
            call_metadata=_meta(item.callMetadata),
            metadata=item.metadata,
            source="batch",
        )
        results[i] = BatchItemResult(
            index=i, status="scheduled", callId=record.plan.id,
            scheduledAt=iso_seconds(at) if at is not None else None, error=None,
        )
    summary = BatchSummary(
        total=len(results),
        scheduled=len(planned),
        failed=sum(r.status == "failed" for r in results),
        skipped=sum(r.status == "skipped" for r in results),
    )
    status = policy.CREATED if summary.scheduled == summary.total else policy.PARTIAL
    message = (
        f"{summary.scheduled} calls scheduled successfully"
        if status == policy.CREATED
        else f"{summary.scheduled} of {summary.total} calls scheduled; {summary.failed} failed, {summary.skipped} skipped"
    )
    return json_response(BatchResponse(data=BatchResult(results=results, summary=summary), message=message), status_code=status)


def _item_time(now: float, item: BatchCallItem, default_at: float | None, index: int) -> float | None:
    """An item's scheduledAt, else its local time in its timezone, else the
    batch's defaultScheduledAt, else now."""
    if item.scheduledAt is not None:
        return instant(item.scheduledAt)
    if item.localScheduleTime is not None:
        zone = item.timezone or (item.callMetadata.timezone if item.callMetadata else None) or "UTC"
        try:
            return next_local_time(now, zone, item.localScheduleTime)
        except Exception:
            raise VendorError(400, f"calls[{index}].timezone: Unknown IANA timezone") from None
    return default_at


# --- Outbound Call (newer, queued version) ----------------------------------


@router.post(
    "/calls/outbound",
    operation_id="outboundCall",
    summary="Outbound Call",
    description="Place an immediate outbound call. The dial is queued (status `queued`); the call then connects, "
    "rings and is answered on the clock, and `roomId`, `jobId` and `sipParticipantId` appear through Get Call as it does.",
    status_code=policy.CREATED,
    response_model=OutboundResponse,
    responses={
        policy.CREATED: {"description": "The dial is queued", "links": _LINKS},
        **errors.bad_request("Invalid body, or an agent that cannot call", **errors.VALIDATION, **errors.AGENT_ERRORS),
        **_WRITE_ERRORS,
    },
)
async def outbound_call(
    body: OutboundBody = Body(
        openapi_examples={"basic": {"value": {"agentId": _AGENT, "phoneNumber": "+14155552671", "priority": 5}}}
    ),
    ctx: HeppuContext = Depends(heppu_context),
) -> Response:
    agent, caller = calling_agent(ctx.tenant, body.agentId, body.callerId)
    record = place_call(
        ctx,
        agent,
        caller_id=caller,
        phone=body.phoneNumber,
        name=None,
        email=None,
        scheduled_at=None,
        priority=body.priority,
        retry=None,
        call_metadata=None,
        metadata=body.metadata,
        source="outbound",
        waiting="queued",
        delay=policy.DIAL_DELAY,
    )
    return json_bytes(render.outbound_body(record.at(ctx.now), "Outbound call initiated successfully via LiveKit"), status_code=policy.CREATED)
