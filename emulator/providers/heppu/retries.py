"""Retries, on the scheduler.

A call placed with retries carries its retry plan in its attributes and is
watched by the scheduler (`after_end(record, "retry")`). At the instant an
attempt ends with an outcome that retries (no_answer, busy, failed where
configured) and attempts remain, the next attempt is created: at that
instant, `scheduled` until its due time, drawn from a seed stream of its own
(the chain's first call id and the attempt number). So every reader, vendor
or control plane, sees the same attempts at the same instants, and who is
waiting on which attempt is part of the exported state. A scheduled retry
can be cancelled like any call, which ends the chain.
"""

from __future__ import annotations

from emulator.core.changes import rebuilt
from emulator.core.engine import Engine
from emulator.core.tenants import Tenant
from emulator.core.records import MARKED_ATTRIBUTES
from emulator.core.store import CallRecord
from emulator.core.timeutil import iso_seconds
from emulator.providers.heppu import policy

KIND = "retry"

# Chains are found again after a restore from these, kept on every record.
MARKED_ATTRIBUTES.update({"retry", "previousCallId"})


def plan(
    *,
    max_retries: int | None,
    intervals: list[str] | None,
    interval_seconds: list[float] | None,
    schedule: list[float] | None,
    retry_on: tuple[str, ...] | list[str],
) -> dict | None:
    """The retry plan a call carries, or None when it is not retried."""
    derived = len(intervals or ()) or len(schedule or ())
    count = derived if max_retries is None else max_retries
    if count <= 0 or not retry_on:
        return None
    return {
        "max": count,
        "on": list(retry_on),
        "intervals": list(intervals) if intervals else None,
        "intervalSeconds": list(interval_seconds) if interval_seconds else None,
        "schedule": list(schedule) if schedule else None,
    }


def watch(engine: Engine, record: CallRecord) -> None:
    if record.plan.attributes.get("retry"):
        engine.scheduler.after_end(record, KIND)


def attach(engine: Engine, style) -> None:
    engine.scheduler.handlers[KIND] = lambda record, at: on_end(engine, record, style)


@rebuilt
def watch_all(engine: Engine) -> None:
    """After a restore or an import: watch every chain's latest attempt
    (an attempt no other call follows)."""
    # Read from the records' marks: no plan is expanded for this.
    records = [r for r in engine.store.records() if r.marks and r.marks.get("retry")]
    followed = {r.marks.get("previousCallId") for r in records}
    for record in records:
        if record.id not in followed:
            watch(engine, record)


def due_at(retry: dict, retry_index: int, ended_at: float) -> float:
    """When retry number `retry_index` (0-based) is due after an attempt that
    ended at `ended_at`: its fixed instant (never before the end), else the
    interval for it (the last one repeats), else the default interval."""
    schedule, seconds = retry.get("schedule"), retry.get("intervalSeconds")
    if schedule and retry_index < len(schedule):
        return max(schedule[retry_index], ended_at + policy.DIAL_DELAY)
    if seconds:
        return ended_at + seconds[min(retry_index, len(seconds) - 1)]
    return ended_at + policy.DEFAULT_RETRY_INTERVAL


def on_end(engine: Engine, record: CallRecord, style) -> None:
    """An attempt ended: place the next one if its outcome retries."""
    if engine.store.get(record.plan.id) is not record:
        return  # forgotten by a reset
    tenant = engine.tenants.get(record.plan.tenant)
    snap = record.at(float("inf"))
    attrs = record.plan.attributes
    retry, attempt = attrs["retry"], attrs.get("attempt", 1)
    agent = tenant.agent(record.plan.agent_id) if tenant is not None else None
    if snap is None or snap.status not in retry["on"] or attempt > retry["max"] or agent is None:
        return  # the chain is over
    watch(engine, _next_attempt(engine, tenant, agent, record, snap.ended_at, style))


def _next_attempt(engine: Engine, tenant: Tenant, agent, previous: CallRecord, ended_at: float, style) -> CallRecord:
    p = previous.plan
    attrs = p.attributes
    attempt = attrs.get("attempt", 1) + 1
    first = attrs.get("firstCallId", p.id)
    due = due_at(attrs["retry"], attempt - 2, ended_at)
    metadata = {**p.metadata, "retryAttempt": attempt, "retryOfCallId": first, "previousCallId": p.id}
    return engine.create_call(
        tenant=tenant,
        agent=agent,
        style=style,
        now=ended_at,  # created when the previous attempt ended, whenever it is read
        seed_stream=(f"retry:{first}", attempt),
        start_delay=due - ended_at,
        contact_phone=p.contact_phone,
        contact_name=p.contact_name,
        contact_email=p.contact_email,
        fill_contact=False,
        waiting_status="scheduled",
        scheduled_at=due,
        agent_phone=p.agent_phone,
        metadata=metadata,
        attributes={**attrs, "attempt": attempt, "firstCallId": first, "previousCallId": p.id},
    )


def describe(retry: dict | None) -> dict | None:
    """The retry plan as a response shows it."""
    if not retry:
        return None
    return {
        "maxRetries": retry["max"],
        "retryOn": retry["on"],
        "retryIntervals": retry.get("intervals"),
        "retrySchedule": [iso_seconds(t) for t in retry["schedule"]] if retry.get("schedule") else None,
    }
