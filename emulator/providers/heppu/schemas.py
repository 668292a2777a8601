"""Request bodies of Heppu's write routes (Schedule, Batch, Outbound), field
for field as the pages list them. Unknown keys are ignored (the service
validates with Zod, whose objects strip them); known keys are typed
strictly, so "5" is not a priority."""

from __future__ import annotations

import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AliasChoices, BeforeValidator, BaseModel, ConfigDict, Field, SkipValidation
from pydantic_core import PydanticCustomError

from emulator.core.timeutil import INSTANT_PATTERN, INSTANT_RANGE, InstantOutOfRange, parse_bounded_instant
from emulator.providers.heppu import policy

# Patterns use explicit classes only ([0-9], not \d): they go into the spec,
# where they must mean to an ECMA-262 engine what they mean to Python's re.
E164 = r"^\+[1-9][0-9]{1,14}$"
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"  # checked in code only, never published
LOCAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _any_case(word: str) -> str:
    """`word` in any letter case without a flag (a spec's pattern has none)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


_UNITS = ("s", "secs?", "seconds?", "m", "mins?", "minutes?", "h", "hrs?", "hours?", "d", "days?", "w", "weeks?")
# "2 hours", "30 minutes", "1 day", "90s", "1h"... spaces and tabs around.
INTERVAL = re.compile(r"^[ \t]*([0-9]{1,6})[ \t]*(" + "|".join(_any_case(u) for u in _UNITS) + r")[ \t]*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _agent_id(v: str) -> str:
    if not re.match(UUID, v):
        raise PydanticCustomError("agent_id", policy.MSG_AGENT_ID)
    return v


def _e164(v: str) -> str:
    if not re.fullmatch(E164, v):
        raise PydanticCustomError("e164", policy.MSG_E164)
    return v


def _email(v: str) -> str:
    if not re.fullmatch(EMAIL, v):
        raise PydanticCustomError("email", "Invalid email address")
    return v


def instant(v: str) -> float:
    """Epoch seconds of an ISO 8601 date-time the emulator can hold exactly;
    one outside its range is refused, never moved (docs/fidelity.md)."""
    try:
        return parse_bounded_instant(v)
    except InstantOutOfRange:
        raise PydanticCustomError("date_time_range", f"Must be a date-time {INSTANT_RANGE}") from None
    except (ValueError, OverflowError):
        raise PydanticCustomError("date_time", "Must be an ISO 8601 date-time, e.g. 2025-12-01T14:00:00Z") from None


def _instant(v: str) -> str:
    instant(v)
    return v


def interval_seconds(v: str) -> float:
    m = INTERVAL.fullmatch(v)
    if not m:
        raise PydanticCustomError("interval", 'Must be a duration such as "30 minutes", "2 hours" or "1 day"')
    return float(int(m.group(1)) * UNIT_SECONDS[m.group(2)[0].lower()])


def _interval(v: str) -> str:
    interval_seconds(v)
    return v


def _timezone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError("timezone", "Unknown IANA timezone") from None
    return v


AgentId = Annotated[
    str,
    AfterValidator(_agent_id),
    Field(description="Agent UUID (a voice agent of your organisation)", json_schema_extra={"format": "uuid"},
          examples=["550e8400-e29b-41d4-a716-446655440000"]),
]
Phone = Annotated[str, AfterValidator(_e164), Field(json_schema_extra={"pattern": E164}, examples=["+14155552671"])]
Email = Annotated[str, AfterValidator(_email), Field(json_schema_extra={"format": "email"}, examples=["john@example.com"])]
Instant = Annotated[
    str, AfterValidator(_instant),
    Field(json_schema_extra={"format": "date-time", "pattern": INSTANT_PATTERN}, examples=["2025-12-01T14:00:00Z"]),
]
Interval = Annotated[str, AfterValidator(_interval), Field(examples=["2 hours"], json_schema_extra={"pattern": INTERVAL.pattern})]
def _integral(v: Any) -> Any:
    """JSON has one number type: 5.0 is the integer 5 (as JSON Schema says);
    strings and booleans stay rejected."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


Priority = Annotated[int, Field(ge=0, le=10, description="0 = highest, 10 = lowest"), BeforeValidator(_integral)]
Retries = Annotated[int, Field(ge=0, le=policy.MAX_RETRIES), BeforeValidator(_integral)]
Timezone = Annotated[str, AfterValidator(_timezone), Field(examples=["America/New_York"])]
LocalTime = Annotated[str, Field(pattern=LOCAL_TIME, examples=["09:00"])]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class CallMetadata(BaseModel):
    """Rich contact and call context (Schedule Call); other keys are kept."""

    model_config = ConfigDict(extra="allow", strict=True)
    firstName: str | None = None
    lastName: str | None = None
    company: str | None = None
    jobTitle: str | None = None
    timezone: str | None = None
    preferredLanguage: str | None = None
    preferredCallTime: str | None = None
    doNotCallBefore: str | None = None
    doNotCallAfter: str | None = None
    accountId: str | None = None
    accountType: str | None = None


class ScheduleCallBody(_Body):
    agentId: AgentId
    contactPhone: Phone
    contactName: str | None = None
    contactEmail: Email | None = None
    callerId: Phone | None = Field(None, description="Caller ID to present (default: the agent's first phone number)")
    scheduledAt: Instant | None = Field(None, description="When to call (default: now)")
    priority: Priority | None = Field(None, description=f"0-10, default {policy.PRIORITY_DEFAULT['schedule']}")
    maxRetries: Retries | None = Field(None, description="Retries after the first attempt (default: as many as retryIntervals or retrySchedule give)")
    retrySchedule: Annotated[list[Instant], Field(max_length=policy.MAX_RETRIES)] | None = Field(
        None, description="Absolute instants of the retries"
    )
    retryIntervals: Annotated[list[Interval], Field(max_length=policy.MAX_RETRIES)] | None = Field(
        None, description='Delays after each failed attempt, e.g. "2 hours", "1 day"'
    )
    callMetadata: CallMetadata | None = None
    metadata: dict[str, Any] | None = None


class RetryConfig(_Body):
    maxRetries: Retries | None = None
    retryOnNoAnswer: bool = policy.RETRY_FLAGS_DEFAULT["retryOnNoAnswer"]
    retryOnBusy: bool = policy.RETRY_FLAGS_DEFAULT["retryOnBusy"]
    retryOnFailed: bool = policy.RETRY_FLAGS_DEFAULT["retryOnFailed"]
    retryIntervals: Annotated[list[Interval], Field(max_length=policy.MAX_RETRIES)] | None = None
    retrySchedule: Annotated[list[Instant], Field(max_length=policy.MAX_RETRIES)] | None = None


class BatchCallItem(_Body):
    contactPhone: Phone = Field(validation_alias=AliasChoices("contactPhone", "phoneNumber"))
    contactName: str | None = None
    contactEmail: Email | None = None
    scheduledAt: Instant | None = Field(None, description="Overrides defaultScheduledAt")
    priority: Priority | None = Field(None, description="Overrides defaultPriority")
    timezone: Timezone | None = Field(None, description="The callee's IANA timezone")
    localScheduleTime: LocalTime | None = Field(
        None,
        validation_alias=AliasChoices("localScheduleTime", "targetLocalTime"),
        description="Local wall-clock time in `timezone` (HH:MM); the call is placed at its next occurrence",
    )
    callMetadata: CallMetadata | None = None
    metadata: dict[str, Any] | None = None


class BatchBody(_Body):
    agentId: AgentId
    # Items are validated one by one (a bad item fails alone: 207).
    calls: Annotated[list[SkipValidation[BatchCallItem]], Field(min_length=1, max_length=1000)]
    defaultPriority: Priority = policy.PRIORITY_DEFAULT["batch"]
    defaultScheduledAt: Instant | None = None
    stopOnError: bool = False
    retryConfig: RetryConfig | None = None
    timezoneAwareConfig: dict[str, Any] | None = None


class OutboundBody(_Body):
    agentId: AgentId
    phoneNumber: Phone
    callerId: Phone | None = Field(None, description="Caller ID to display (default: the agent's first phone number)")
    metadata: dict[str, Any] | None = None
    priority: Priority = policy.PRIORITY_DEFAULT["outbound"]
