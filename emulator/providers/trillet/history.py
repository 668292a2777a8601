"""Call history: every call of the workspace that exists at the clock's now,
each as it stands now (a live call is in history too, as the docs' example
shows). Served at /v2/api/call-history and at the former /v1/api paths."""

from __future__ import annotations

import heapq
import json
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from emulator.core.plan import ENDED_STATUSES
from emulator.core.timeutil import INSTANT_PATTERN, INSTANT_RANGE, InstantOutOfRange, parse_bounded_instant
from emulator.providers.base import VendorError
from emulator.providers.trillet import errors, render
from emulator.providers.trillet.auth import TrilletContext, trillet_context
from emulator.providers.trillet.models import CallHistoryDetail, CallHistoryList
from emulator.providers.trillet.routing import TrilletRoute
from emulator.web import json_response, off_loop

router = APIRouter(tags=["Call History"], route_class=TrilletRoute)

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
TOTAL_HEADER = "X-Total-Count"
# Status filter words: the history vocabulary, plus the docs' "in-progress"
# (list page) and "ongoing" (get page) for a call still going on.
LIVE_WORDS = ("ringing", "active")
STATUS_ALIASES = {"in-progress": LIVE_WORDS, "ongoing": LIVE_WORDS}
STATUS_WORDS = tuple(dict.fromkeys(render.HISTORY_STATUS.values()))
# Plain words (no escapes: `\-` is an error to an ECMA engine in unicode mode).
assert all(re.fullmatch("[a-z_-]+", w) for w in STATUS_WORDS + tuple(STATUS_ALIASES))
_WORD = "|".join(STATUS_WORDS + tuple(STATUS_ALIASES))
STATUS_PATTERN = f"^({_WORD})(,({_WORD}))*$"

# callIds and dateRange are JSON in a query parameter: OpenAPI says so with
# `content`, which FastAPI cannot express, so they are declared here.
DATE_RANGE_EXAMPLE = '{"from":"2025-01-01T00:00:00Z","to":"2025-01-31T23:59:59Z"}'
_INSTANT = {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN}
JSON_QUERY = {
    "parameters": [
        {
            "name": "callIds",
            "in": "query",
            "required": False,
            "description": 'JSON array of call ids (`_id` or `callId`), e.g. ["abc","def"].',
            "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}},
        },
        {
            "name": "dateRange",
            "in": "query",
            "required": False,
            "description": "JSON object bounding when calls were made, e.g. " + DATE_RANGE_EXAMPLE + "; startDate/endDate "
            "are accepted for from/to (the metrics page's names).",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"from": _INSTANT, "to": _INSTANT, "startDate": _INSTANT, "endDate": _INSTANT},
                    }
                }
            },
        },
    ]
}


def _bad(message: str) -> VendorError:
    return VendorError(400, message, error="Bad Request")


def _json_param(name: str, raw: str, example: str):
    try:
        return json.loads(raw)
    except ValueError:
        raise _bad(f"Query parameter '{name}' is not valid JSON; expected e.g. {example}") from None


def parse_call_ids(raw: str | None) -> set[str] | None:
    if raw is None:
        return None
    example = '["abc","def"]'
    value = _json_param("callIds", raw, example)
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise _bad(f"Query parameter 'callIds' must be a JSON array of strings, e.g. {example}")
    return set(value)


def parse_date_range(raw: str | None) -> tuple[float | None, float | None]:
    if raw is None:
        return None, None
    example = DATE_RANGE_EXAMPLE
    value = _json_param("dateRange", raw, example)
    if not isinstance(value, dict):
        raise _bad(f"Query parameter 'dateRange' must be a JSON object, e.g. {example}")
    # Every bound given must be an instant; from/to win over startDate/endDate.
    parsed = {name: _instant(name, value[name]) for name in ("from", "to", "startDate", "endDate") if name in value}
    start = parsed.get("from", parsed.get("startDate"))
    end = parsed.get("to", parsed.get("endDate"))
    return start, end


def _instant(name: str, raw) -> float:
    if not isinstance(raw, str):
        raise _bad(f"dateRange.{name} must be an ISO 8601 date-time string, got {raw!r}")
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _bad(f"dateRange.{name} is not an ISO 8601 date-time: {raw!r}") from None
    try:
        return parse_bounded_instant(moment)
    except InstantOutOfRange:
        raise _bad(f"dateRange.{name} must be a date-time {INSTANT_RANGE}, got {raw!r}") from None


def parse_status(raw: str | None) -> set[str] | None:
    if raw is None:
        return None
    wanted: set[str] = set()
    for word in (w.strip() for w in raw.split(",")):
        if word in STATUS_ALIASES:
            wanted.update(STATUS_ALIASES[word])
        elif word in STATUS_WORDS:
            wanted.add(word)
        else:
            allowed = ", ".join(STATUS_WORDS + tuple(STATUS_ALIASES))
            raise _bad(f"Unknown status {word!r}; use one of: {allowed}")
    return wanted


@dataclass
class Filters:
    agent_id: str | None
    pathway_id: str | None
    batch_id: str | None
    statuses: set[str] | None
    direction: str | None
    call_type: str | None
    search: str | None
    call_ids: set[str] | None

    def any_given(self) -> bool:
        return any(v is not None for v in vars(self).values())

    def keep_record(self, record) -> bool:
        """The filters a call's record answers (its facts, id and room),
        checked before anything expands its plan."""
        agent, direction, _, _ = record.facts
        if self.agent_id is not None and agent != self.agent_id:
            return False
        if self.direction is not None and direction != self.direction:
            return False
        if self.call_ids is not None and record.id not in self.call_ids and record.room not in self.call_ids:
            return False
        return True

    def reads_plan(self) -> bool:
        return self.batch_id is not None or self.search is not None or self.pathway_id is not None or self.call_type is not None

    def keep_plan(self, p) -> bool:
        """The filters only the call's plan answers."""
        if self.batch_id is not None and p.attributes.get("batchId") != self.batch_id:
            return False
        if self.search is not None:
            needle = self.search.lower()
            hay = [p.id, p.room or "", p.contact_phone, p.agent_phone or "", p.contact_name or "", p.agent_name]
            if not any(needle in h.lower() for h in hay):
                hay = [json.dumps(p.metadata, default=str), json.dumps(p.attributes.get("dynamic_variables") or {}, default=str)]
                if not any(needle in h.lower() for h in hay):
                    return False
        if self.pathway_id is not None and render.call_flow_id(p) != self.pathway_id:
            return False
        if self.call_type is not None and ("web" if render.call_type(p) == "web" else "sip") != self.call_type:
            return False
        return True

    def only_statuses(self) -> bool:
        return self.statuses is not None and all(v is None for k, v in vars(self).items() if k != "statuses")


def status_keys(store, tenant_id: str, now: float, words: set[str]) -> tuple[list, bool]:
    """Keys of every call that can be in one of the history statuses `words`
    at `now`, in creation order: the ended ones from their indexes, the
    waiting and live ones from the open calls. True when every key is
    known to match (no waiting or live word asked)."""
    core = [c for c, w in render.HISTORY_STATUS.items() if w in words]
    ended = [store.ended_index(tenant_id, c, now) for c in core if c in ENDED_STATUSES]
    exact = all(c in ENDED_STATUSES for c in core)
    opened = [] if exact else sorted(r.key for r in store.open_calls(tenant_id, now))
    return list(heapq.merge(*ended, opened)), exact


def _titles(ctx: TrilletContext) -> dict[str, str]:
    return {name: script.title for name, script in ctx.engine.scripts.items()}


LIST_RESPONSES = {
    200: {
        "description": "The workspace's calls, newest first, each as it stands now. A bare array as the docs print "
        "it; the number of matching calls across all pages is in the X-Total-Count header.",
        "headers": {TOTAL_HEADER: {"description": "Matching calls across all pages", "schema": {"type": "integer"}}},
        "content": {"application/json": {"example": errors.EXAMPLES["call_history"]}},
        "links": {
            "GetCallHistory": {"operationId": "getCallHistory", "parameters": {"callHistoryId": "$response.body#/0/_id"}},
        },
    },
    **errors.AUTH_ERRORS,
    **errors.bad_request(
        bad_call_ids="Query parameter 'callIds' is not valid JSON; expected e.g. [\"abc\",\"def\"]",
        bad_date_range="Query parameter 'dateRange' must be a JSON object, e.g. {\"from\":\"2025-01-01T00:00:00Z\",\"to\":\"2025-01-31T23:59:59Z\"}",
        bad_status="Unknown status 'done'; use one of: scheduled, queued, ringing, active, completed, failed, cancelled, no-answer, busy, in-progress, ongoing",
        bad_page="Invalid query parameter 'page': Input should be greater than or equal to 1",
    ),
}


@router.get(
    "/v2/api/call-history",
    operation_id="listCallHistory",
    summary="List Call Histories",
    description="Every call of the workspace that exists now, newest first, with its state now.",
    response_model=CallHistoryList,
    responses=LIST_RESPONSES,
    openapi_extra=JSON_QUERY,
)
@router.get(
    "/v1/api/call-history",
    operation_id="listCallHistoryV1",
    summary="List Call Histories (former v1 path)",
    description="The same as GET /v2/api/call-history, at the path the docs used before.",
    response_model=CallHistoryList,
    responses=LIST_RESPONSES,
    openapi_extra=JSON_QUERY,
    deprecated=True,
)
async def list_call_history(
    ctx: TrilletContext = Depends(trillet_context),
    page: int = Query(1, ge=1, description="Page number (default 1)."),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Records per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})."),
    agentId: str = Query(None, description="Only calls placed by this agent."),
    pathwayId: str = Query(None, description="Only calls that followed this call flow."),
    batchId: str = Query(None, description="Only calls of this batch."),
    status: str = Query(None, pattern=STATUS_PATTERN, description="Status, or several separated by commas: scheduled, queued, "
                               "ringing, active, completed, failed, cancelled, no-answer, busy; in-progress or ongoing mean ringing or active."),
    direction: Literal["inbound", "outbound", "bidirectional"] = Query(None, description="Call direction."),
    callType: Literal["sip", "web"] = Query(None, description="Call type."),
    search: str = Query(None, description="Text to find in numbers, names, ids, room names, metadata and variables."),
    # A query value is never null: absent parameters are None here but plain
    # (not nullable) strings in the spec.
    # JSON-encoded: documented in the spec as JSON content (JSON_QUERY), parsed here.
    callIds: str | None = Query(None, include_in_schema=False),
    dateRange: str | None = Query(None, include_in_schema=False),
) -> Response:
    filters = Filters(
        agent_id=agentId,
        pathway_id=pathwayId,
        batch_id=batchId,
        statuses=parse_status(status),
        direction=direction,
        call_type=callType,
        search=search,
        call_ids=parse_call_ids(callIds),
    )
    start, end = parse_date_range(dateRange)
    until = ctx.now if end is None else min(ctx.now, end)

    # Indexes sorted by creation: the time bounds are two bisections; only
    # the filters no index answers look at calls one by one.
    store, titles = ctx.engine.store, _titles(ctx)
    exact = not filters.any_given()
    status_exact = True
    if filters.statuses is not None:
        index, status_exact = status_keys(store, ctx.tenant.id, ctx.now, filters.statuses)
        exact = status_exact and filters.only_statuses()
    else:
        index = store.tenant_index(ctx.tenant.id)
    lo = 0 if start is None else bisect_left(index, (start,))
    hi = bisect_right(index, (until, float("inf"), ""))
    window = index[lo:hi] if lo < hi else []
    first = (page - 1) * limit

    now = ctx.now
    if exact:
        total = len(window)
        chosen = [store.get(i) for _, _, i in reversed(window[max(0, total - first - limit): max(0, total - first)])]
    else:
        # Statuses come from the indexes (an ended call's is its index's;
        # only an open call's is read from its snapshot), the other filters
        # from the record where it answers them: a plan is expanded only
        # for a filter only the plan answers, and for the page.
        opened = ({r.id: r for r in store.open_calls(ctx.tenant.id, now)}
                  if filters.statuses is not None and not status_exact else {})
        reads_plan = filters.reads_plan()

        def scan() -> list:
            matched = []
            for _, _, call_id in reversed(window):
                record = store.get(call_id)
                if record is None or not filters.keep_record(record):
                    continue
                if reads_plan and not filters.keep_plan(record.plan):
                    continue
                live = opened.get(call_id)
                if live is not None:
                    snap = live.at(now)
                    if snap is None or render.HISTORY_STATUS[snap.status] not in filters.statuses:
                        continue
                matched.append(record)
            return matched

        matched = await off_loop(scan, len(window))
        total = len(matched)
        chosen = matched[first: first + limit]
    snaps = [ctx.engine.snapshot(r, now) for r in chosen]

    body = CallHistoryList([render.history_item(s, titles) for s in snaps if s is not None])
    return json_response(body, headers={TOTAL_HEADER: str(total)})


GET_RESPONSES = {
    200: {
        "description": "One call as it stands now",
        "content": {"application/json": {"example": errors.EXAMPLES["call_history_record"]}},
    },
    **errors.AUTH_ERRORS,
    **errors.not_found("No call with this id in the workspace", "Call history not found: 665a1b2c3d4e5f6a7b8c9d0f"),
}


@router.get(
    "/v2/api/call-history/{callHistoryId}",
    operation_id="getCallHistory",
    summary="Get a Specific Call History",
    description="One call of the workspace by its call history id (`_id`, the callId the outbound call returned).",
    response_model=CallHistoryDetail,
    responses=GET_RESPONSES,
)
@router.get(
    "/v1/api/call-history/{callHistoryId}",
    operation_id="getCallHistoryV1",
    summary="Get a Specific Call History (former v1 path)",
    description="The same as GET /v2/api/call-history/{callHistoryId}, at the path the docs used before.",
    response_model=CallHistoryDetail,
    responses=GET_RESPONSES,
    deprecated=True,
)
async def get_call_history(
    callHistoryId: str = Path(description="The call history record id (`_id`)."),
    ctx: TrilletContext = Depends(trillet_context),
) -> Response:
    record = ctx.engine.store.get(callHistoryId)
    snap = ctx.engine.snapshot(record, ctx.now) if record is not None and record.plan.tenant == ctx.tenant.id else None
    if snap is None:
        raise VendorError(404, f"Call history not found: {callHistoryId}", error="Not Found")
    return json_response(render.history_detail(snap))
