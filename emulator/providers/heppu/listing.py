"""GET /api/v1/calls: the organisation's calls as they stand now, filtered,
sorted and paged from the store's per-organisation index (sorted by
createdAt), so another organisation's calls cost nothing."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Literal

from fastapi import Depends, Query, Response

from emulator.core.plan import ENDED_STATUSES
from emulator.core.store import holds
from emulator.core.timeutil import INSTANT_PATTERN, INSTANT_RANGE, InstantOutOfRange, parse_bounded_instant
from emulator.providers.base import VendorError
from emulator.providers.heppu import errors, policy, render
from emulator.providers.heppu.auth import HeppuContext, heppu_context
from emulator.providers.heppu.models import CallListResponse, CallStatus
from emulator.providers.heppu.routes import router
from emulator.web import json_bytes, off_loop

_INF = float("inf")


def _digits(phone: str) -> str:
    """A phone number as the filter compares it: a '+' sent unencoded in a
    query string arrives as a space, so spaces go and a leading '+' is implied."""
    phone = "".join(phone.split())
    return phone if phone.startswith("+") else "+" + phone


_INSTANT = {"format": "date-time", "pattern": INSTANT_PATTERN}


def _candidates(store, tenant_id: str, now: float, status: str | None, phone: str | None) -> tuple[list, bool, bool]:
    """The smallest index holding every call that can match, in creation
    order, and whether every key in it is known to match the status, and
    the phone: an ended status has its own index, a waiting or live one is
    among the open calls, a phone number has its own index."""
    by_phone = store.phone_index(tenant_id, phone) if phone is not None else None
    if status in ENDED_STATUSES:
        ended = store.ended_index(tenant_id, status, now)
        if by_phone is None or len(ended) <= len(by_phone):
            return ended, True, phone is None
    elif status is not None:
        keys = sorted(r.key for r in store.open_calls(tenant_id, now))
        if by_phone is None or len(keys) <= len(by_phone):
            return keys, False, phone is None
    if by_phone is not None:
        return by_phone, status is None, True
    return store.tenant_index(tenant_id), status is None, True


def _date(name: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_bounded_instant(value)
    except InstantOutOfRange:
        raise VendorError(400, f"Invalid query parameter {name!r}: must be a date-time {INSTANT_RANGE}") from None
    except (ValueError, OverflowError):
        raise VendorError(400, f"Invalid query parameter {name!r}: must be an ISO 8601 date-time, e.g. 2025-12-01T00:00:00Z") from None


@router.get(
    "/calls",
    operation_id="listCalls",
    summary="List Calls",
    description="Retrieve a paginated list of calls with filtering. Each call is shown as it stands at the "
    "emulator clock's now; only your organisation's calls are listed.",
    response_model=CallListResponse,
    responses={
        200: {
            "description": "A page of calls",
            "links": {
                "GetFirstCall": {"operationId": "getCall", "parameters": {"callId": "$response.body#/data/calls/0/id"}},
                "CancelFirstCall": {"operationId": "cancelCall", "parameters": {"callId": "$response.body#/data/calls/0/id"}},
                "ScheduleCallBack": {
                    "operationId": "scheduleCall",
                    "description": "Call the first call's contact again with the same agent",
                    "requestBody": {"agentId": "$response.body#/data/calls/0/agent/id",
                                    "contactPhone": "$response.body#/data/calls/0/contact/phone"},
                },
            },
        },
        **errors.bad_request(
            "Invalid query parameter",
            invalid_status=(400, "Invalid query parameter 'status': Input should be 'scheduled', 'queued', 'initiated', "
                            "'connecting', 'ringing', 'active', 'completed', 'failed', 'cancelled', 'no_answer' or 'busy'"),
            invalid_limit=(400, "Invalid query parameter 'limit': Input should be less than or equal to 100"),
        ),
        **errors.UNAUTHORIZED,
    },
)
async def list_calls(
    agentId: str = Query(None, description="Only calls of this agent"),
    status: CallStatus = Query(None, description="Only calls in this status now"),
    direction: Literal["inbound", "outbound"] = Query(None),
    phoneNumber: str = Query(None, description="Calls whose contact's or agent's number is this (E.164)"),
    startDate: str = Query(None, description="Calls created at or after this instant (ISO 8601)", json_schema_extra=_INSTANT),
    endDate: str = Query(None, description="Calls created at or before this instant (ISO 8601)", json_schema_extra=_INSTANT),
    limit: int = Query(policy.LIST_LIMIT_DEFAULT, ge=1, le=policy.LIST_LIMIT_MAX),
    offset: int = Query(0, ge=0),
    sortBy: Literal["createdAt", "scheduledAt"] = Query("createdAt"),
    sortOrder: Literal["asc", "desc"] = Query("desc"),
    ctx: HeppuContext = Depends(heppu_context),
) -> Response:
    start, end = _date("startDate", startDate), _date("endDate", endDate)
    now = ctx.now
    store = ctx.engine.store
    bodies = ctx.engine.bodies
    # Calls exist from their createdAt: the window is [startDate, min(endDate, now)].
    # createdAt prints whole seconds: an endDate of a whole second takes in
    # the calls whose printed createdAt is that second.
    if end is not None and end == int(end):
        end += 0.999999
    upper = now if end is None else min(end, now)
    phone = _digits(phoneNumber) if phoneNumber is not None else None
    keys, status_known, phone_known = _candidates(store, ctx.tenant.id, now, status, phone)
    lo = 0 if start is None else bisect_left(keys, (start,))
    hi = max(lo, bisect_right(keys, (upper, _INF)))

    if status_known and phone_known and agentId is None and direction is None and sortBy == "createdAt":
        # Every key in the window matches: page straight from it, O(log n + limit).
        total = hi - lo
        if sortOrder == "desc":
            top = hi - offset
            page_keys = keys[max(lo, top - limit) : top][::-1] if top > lo else []
        else:
            page_keys = keys[lo + offset : min(hi, lo + offset + limit)]
        items = []
        kept = bodies.get
        for _, _, call_id in page_keys:  # the kept item inline: a page polled between changes is 50 lookups
            record = store.get(call_id)
            item = kept((ITEM, call_id), record, now)
            items.append(item if item is not None else _item(bodies, record, now))
    else:
        # What the filters read of each call in the window is on its record
        # (its facts, the indexes): no plan is expanded but the page's.
        window = keys[lo:hi]
        tenant = ctx.tenant.id
        by_phone = store.phone_index(tenant, phone) if not phone_known else None
        ended = store.ended_index(tenant, status, now) if not status_known and status in ENDED_STATUSES else None
        opened = {r.id: r for r in store.open_calls(tenant, now)} if not status_known and ended is None else None

        def scan() -> list:
            found = []
            for key in window:
                record = store.get(key[2])
                if record is None:
                    continue
                agent, way, scheduled, _ = record.facts
                if agentId is not None and agent != agentId:
                    continue
                if direction is not None and way != direction:
                    continue
                if by_phone is not None and not holds(by_phone, key):
                    continue
                if ended is not None and not holds(ended, key):
                    continue
                if opened is not None:
                    # A waiting or live status: only an open call can have it
                    # (its plan is kept expanded while it is open).
                    live = opened.get(record.id)
                    snap = live.at(now) if live is not None else None
                    if snap is None or snap.status != status:
                        continue
                found.append((key, scheduled, record))
            return found

        found = await off_loop(scan, len(window))
        if sortBy == "scheduledAt":
            # Unscheduled (immediate) calls come last in either order.
            timed = sorted((f for f in found if f[1] is not None), key=lambda f: (f[1], f[0][0]), reverse=sortOrder == "desc")
            rest = [f for f in found if f[1] is None]
            found = timed + (rest[::-1] if sortOrder == "desc" else rest)
        elif sortOrder == "desc":
            found.reverse()
        total = len(found)
        items = [_item(bodies, record, now) for _, _, record in found[offset : offset + limit]]

    # CallListResponse's fields, in its order, around the items' own bytes.
    return json_bytes(b'{"data":{"calls":[%s],"pagination":%s}}' % (b",".join(items), pagination(total, limit, offset, len(items))))


def pagination(total: int, limit: int, offset: int, shown: int) -> bytes:
    """Pagination(...).model_dump_json() for a page of `shown` items, written
    without building the model (a fifth of a polled page's time): four
    integers the route validated or counted, in the model's field order."""
    return b'{"total":%d,"limit":%d,"offset":%d,"hasMore":%s}' % (total, limit, offset, b"true" if offset + shown < total else b"false")


ITEM = "heppu.list_item"  # the key of a call's kept list item


def _item(bodies, record, now: float, snap=None) -> bytes:
    """A call's list item, kept (like its GET body) until the call next changes."""
    key = (ITEM, record.id)
    item = bodies.get(key, record, now)
    if item is None:
        snap = snap or record.at(now)
        item = bodies.put(key, record, now, snap.next_change, render.list_item(snap).model_dump_json().encode())
    return item
