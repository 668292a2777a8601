"""Reset, reseed, the magic-number table, and export/import of the whole
state (tenants, clocks, plans, interventions) as JSON, round-trip exact."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from emulator.control import errors
from emulator.control.common import CONTROL_DEPENDENCIES
from emulator.control.durations import MAX_DURATION, MAX_INSTANT, MIN_INSTANT
from emulator.control.errors import ControlError
from emulator.core.changes import rebuild
from emulator.core.clock import Clock
from emulator.core.magic import MAGIC_NUMBERS
from emulator.core.plan import CallPlan, Intervention
from emulator.core.scheduler import DemoStream
from emulator.control.webhooks import FaultsIn, WebhookIn
from emulator.events.webhooks import Faults
from emulator.core.store import DuplicateCall
from emulator.core.tenants import Tenant, tenant_from_dict, tenant_to_dict
from emulator.web import get_engine, json_response

router = APIRouter(prefix="/_emulator", tags=["State"], dependencies=CONTROL_DEPENDENCIES)

STATE_VERSION = 1


class ResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{}, {"tenant": "org_abc123"}, {"seed": 7}]})
    tenant: str | None = Field(
        None, description="Reset only this tenant: its calls back to its fixture calls, its fault rules and journal entries gone"
    )
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Reseed (whole reset only)")


class ResetOut(BaseModel):
    seed: int
    tenants: int
    calls: int


def reset_all(app, seed: int | None = None) -> None:
    """Back to the start: fixtures re-read from disk, tenants as configured,
    per-tenant clocks, faults and journal gone. The global clock keeps its
    mode, speed and now so time never jumps backwards unasked."""
    build_engine = app.state.build_engine
    settings = app.state.settings
    if seed is not None:
        settings = settings.model_copy(update={"seed": seed})
        app.state.settings = settings
    old = app.state.engine.clocks.global_clock
    engine = build_engine(settings, clock=old)
    app.state.engine = engine
    app.state.events.clear()
    app.state.events.attach(engine)
    app.state.webhooks.clear(keep_config=True)
    app.state.faults.seed = settings.seed
    app.state.faults.clear()
    app.state.journal.clear()
    app.state.persistence.rebase(app)


@router.post(
    "/reset",
    operation_id="reset",
    summary="Reset everything (re-reading the fixtures), or one tenant only",
    response_model=ResetOut,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED, **errors.NOT_FOUND},
)
async def reset(request: Request, body: ResetIn) -> Response:
    # The body is required: an empty or null one is 400, a full reset is {}.
    app = request.app
    if body.tenant is not None:
        if body.seed is not None:
            raise ControlError(400, "Reseeding resets everything: give seed or tenant, not both")
        engine = get_engine(request)
        if engine.tenants.get(body.tenant) is None:
            raise ControlError(404, f"No tenant with id {body.tenant}")
        engine.reset(body.tenant)
        app.state.faults.forget_tenant(body.tenant)
        app.state.journal.clear(tenant=body.tenant)
    else:
        reset_all(app, body.seed)
    engine = get_engine(request)
    return json_response(ResetOut(seed=engine.seed, tenants=len(engine.tenants.all()), calls=len(engine.store)))


class MagicNumberOut(BaseModel):
    phone: str
    name: str
    description: str
    outcome: str
    failureReason: str | None


class MagicNumbers(BaseModel):
    numbers: list[MagicNumberOut]


@router.get(
    "/magic-numbers",
    operation_id="magicNumbers",
    summary="Phone numbers that force an outcome, whichever API places the call",
    description="\n".join(f"- `{m.phone}` {m.name}: {m.description}" for m in MAGIC_NUMBERS),
    response_model=MagicNumbers,
    responses=errors.UNAUTHORIZED,
)
async def magic_numbers() -> Response:
    return json_response(
        MagicNumbers(
            numbers=[
                MagicNumberOut(phone=m.phone, name=m.name, description=m.description, outcome=m.overrides["outcome"], failureReason=m.overrides.get("failure_reason"))
                for m in MAGIC_NUMBERS
            ]
        )
    )


# -- export / import ---------------------------------------------------------


class ClockDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    mode: Literal["realtime", "scaled", "manual"]
    speed: float = Field(gt=0, le=1_000_000)
    now: float = Field(ge=MIN_INSTANT, lt=MAX_INSTANT, description="Epoch seconds")


class TenantDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str = Field(min_length=1)
    vendor: Literal["heppu", "trillet"]
    name: str
    keys: list[str]
    agents: list[dict]
    livekitKeys: list[dict] | None = None  # None: LiveKit's dev pair


class CallDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: CallPlan
    interventions: list[Intervention]


class DemoDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    origin: float = Field(ge=MIN_INSTANT, lt=MAX_INSTANT, description="Instant of the stream's call 0 (epoch seconds)")
    every: float = Field(gt=0, le=MAX_DURATION, description="Seconds between calls")
    next: StrictInt = Field(ge=0, description="Index of the next call to make")


class WaitingDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    callId: str
    kinds: list[str] = Field(description="What runs when the call ends (retry: place the next attempt)")
    at: float | None = Field(None, description="When the call ends as things stand (epoch seconds); null: not decided yet")


class SchedulerDoc(BaseModel):
    """Due work that is not derived from the calls themselves."""

    model_config = ConfigDict(extra="forbid", strict=True)
    eventSeq: StrictInt = Field(0, ge=0, description="seq of the last event emitted")
    demo: dict[str, DemoDoc] = Field(default_factory=dict, description="Each demo tenant's steady stream")
    waiting: list[WaitingDoc] = Field(default_factory=list, description="Calls whose end triggers work (retries)")


class WebhookDoc(WebhookIn):
    id: str
    source: Literal["api", "config", "call"] = "api"


class StateDoc(BaseModel):
    """Everything the emulator holds. Instants are epoch seconds; export,
    import into a fresh emulator and export again gives the same document."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = STATE_VERSION
    seed: StrictInt = Field(ge=0, le=2**63 - 1)
    clock: ClockDoc
    tenantClocks: dict[str, ClockDoc] = Field(default_factory=dict)
    tenants: list[TenantDoc]
    calls: list[CallDoc]
    streams: dict[str, StrictInt] = Field(default_factory=dict, description="Per-stream call counters (the next generated index)")
    scheduler: SchedulerDoc = Field(default_factory=SchedulerDoc)
    webhooks: list[WebhookDoc] = Field(default_factory=list, description="Registered webhook receivers (deliveries are not state)")


def _clock_doc(clock: Clock) -> ClockDoc:
    s = clock.state()
    return ClockDoc(mode=s.mode.value, speed=s.speed, now=s.now)


def _webhook_doc(ep) -> WebhookDoc:
    f = ep.faults
    return WebhookDoc(
        id=ep.id, url=ep.url, tenant=ep.tenant, kind=ep.kind, events=ep.events, secret=ep.secret, timeout=ep.timeout, maxAttempts=ep.max_attempts,
        backoff=ep.backoff, faults=FaultsIn(drop=f.drop, delay=f.delay, duplicate=f.duplicate, reorder=f.reorder) if f.any() else None, source=ep.source,
    )


def export_state(engine, webhooks=None, *, calls: bool = True) -> StateDoc:
    return StateDoc(
        webhooks=[_webhook_doc(ep) for ep in webhooks.endpoints.values() if ep.source != "call"] if webhooks is not None else [],
        seed=engine.seed,
        clock=_clock_doc(engine.clocks.global_clock),
        tenantClocks={t: _clock_doc(c) for t, c in sorted(engine.clocks.tenants().items())},
        tenants=[TenantDoc(**tenant_to_dict(t)) for t in engine.tenants.all()],
        calls=[CallDoc(plan=r.plan, interventions=list(r.interventions)) for r in engine.store.records()] if calls else [],
        streams=engine.store.streams(),
        scheduler=SchedulerDoc(
            eventSeq=engine.scheduler.seq,
            demo={t: DemoDoc(origin=d.origin, every=d.every, next=d.next) for t, d in sorted(engine.scheduler.demo.items())},
            waiting=[WaitingDoc(**w) for w in engine.scheduler.waiting()],
        ),
    )


def _check_call(call: CallDoc) -> None:
    """Instants and offsets a response can render: finite, within 1970-9999."""
    p = call.plan
    instants = [p.created_at, p.start_at, p.scheduled_at, *(iv.at for iv in call.interventions)]
    offsets = [p.ring_at, p.answer_at, p.talk_for, p.give_up_at, *(t.at for t in p.turns + p.handover), *(x.delay for x in p.participants)]
    offsets += [iv.turn.at for iv in call.interventions if iv.turn is not None]
    if any(t is not None and not MIN_INSTANT <= t < MAX_INSTANT for t in instants):
        raise ControlError(400, f"Call {p.id}: instants must lie between 1970 and 9999")
    if any(d is not None and not 0 <= d <= MAX_DURATION for d in offsets):
        raise ControlError(400, f"Call {p.id}: offsets and durations must be between 0 and 100 years")


def import_state(app, doc: StateDoc) -> None:
    tenants: list[Tenant] = []
    try:
        tenants = [tenant_from_dict(t.model_dump()) for t in doc.tenants]
    except (KeyError, TypeError) as exc:
        raise ControlError(400, f"Invalid tenant: {exc}") from None
    ids = [t.id for t in tenants]
    if len(set(ids)) != len(ids):
        raise ControlError(400, "Tenant ids must be unique")
    unknown = sorted({c.plan.tenant for c in doc.calls} - set(ids))
    if unknown:
        raise ControlError(400, f"Calls belong to unknown tenant {unknown[0]}")
    stray = sorted(set(doc.tenantClocks) - set(ids))
    if stray:
        raise ControlError(400, f"A clock belongs to unknown tenant {stray[0]}")
    from emulator.core.tenants import Tenants

    build_engine = app.state.build_engine

    settings = app.state.settings.model_copy(update={"seed": doc.seed, "demo": False})
    clock = Clock(doc.clock.mode, speed=doc.clock.speed, now=doc.clock.now)
    engine = build_engine(settings, clock=clock, tenants=Tenants(tenants), fixture_calls=False)
    for tenant_id, c in doc.tenantClocks.items():
        engine.clocks.own(tenant_id).configure(mode=c.mode, speed=c.speed, now=c.now)
    for call in doc.calls:
        _check_call(call)
    unknown_calls = sorted({w.callId for w in doc.scheduler.waiting} - {c.plan.id for c in doc.calls})
    if unknown_calls:
        raise ControlError(400, f"The scheduler waits on unknown call {unknown_calls[0]}")
    stray = sorted(set(doc.scheduler.demo) - set(ids))
    if stray:
        raise ControlError(400, f"A demo stream belongs to unknown tenant {stray[0]}")
    try:
        for call in doc.calls:
            engine.store.add(call.plan, call.interventions)
    except DuplicateCall as exc:
        raise ControlError(400, f"Duplicate call id {exc}") from None
    engine.store.restore_streams(doc.streams)
    restore_scheduler(engine, doc.scheduler)
    app.state.settings = settings
    app.state.engine = engine
    app.state.events.clear()
    app.state.events.last_seq = doc.scheduler.eventSeq
    app.state.events.attach(engine)
    restore_webhooks(app, doc.webhooks)
    engine.scheduler.release()
    app.state.faults.clear()
    app.state.journal.clear()
    app.state.persistence.rebase(app)


def restore_webhooks(app, docs: list[WebhookDoc]) -> None:
    """The registered endpoints become exactly `docs`."""
    hooks = app.state.webhooks
    hooks.clear(keep_config=False)
    for w in docs:
        f = w.faults or FaultsIn()
        hooks.add(
            w.url, tenant=w.tenant, kind=w.kind, events=w.events, secret=w.secret, timeout=w.timeout, max_attempts=w.maxAttempts,
            backoff=w.backoff, faults=Faults(f.drop, f.delay, f.duplicate, f.reorder), source=w.source, id=w.id,
        )


def restore_scheduler(engine, doc: SchedulerDoc) -> None:
    """The scheduler as the state left it: calls not over followed from
    their tenant's now (rebuild), the calls waited on, the demo streams and
    the event counter."""
    rebuild(engine)
    for w in doc.waiting:
        record = engine.store.get(w.callId)
        if record is None:  # forgotten since (a tenant reset)
            continue
        engine.scheduler.track(record, since=engine.now(record.plan.tenant))
        for kind in w.kinds:
            engine.scheduler.after_end(record, kind)
    engine.demo.restore({t: DemoStream(t, d.origin, d.every, d.next) for t, d in doc.demo.items()})
    engine.scheduler.seq = max(engine.scheduler.seq, doc.eventSeq)


def parse_state(text: bytes | str) -> StateDoc:
    """A state document, strictly from the JSON text: no false for a
    number, no "1" for an int (JSON arrays still make the plans' tuples)."""
    try:
        return StateDoc.model_validate_json(text, strict=True)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise ControlError(400, f"Invalid request body field {where!r}: {err['msg']}") from None


# Calls serialised per chunk of the streamed export; the event loop serves
# other requests between chunks.
EXPORT_CHUNK = 500


async def export_stream(engine, webhooks=None):
    """The export document, written as it is sent: a million calls never sit
    in memory as one body. The calls and counters are those of the moment
    the export began."""
    # Records, not plans: a plan is expanded when its chunk is written (a
    # plan never changes; the interventions are those of this moment).
    records = [(r, tuple(r.interventions)) for r in engine.store.records()]
    head = export_state(engine, webhooks, calls=False).model_dump_json()
    # The top-level "calls" is the last such key (nothing after it holds a list).
    cut = head.rindex(',"calls":[]') + len(',"calls":[')
    yield head[:cut].encode()
    for i in range(0, len(records), EXPORT_CHUNK):
        chunk = ",".join(CallDoc(plan=r.plan, interventions=list(ivs)).model_dump_json() for r, ivs in records[i : i + EXPORT_CHUNK])
        yield (("," if i else "") + chunk).encode()
        await asyncio.sleep(0)
    yield head[cut:].encode()


@router.get("/state", operation_id="exportState", summary="Export the whole state as JSON", response_model=StateDoc, responses=errors.UNAUTHORIZED)
async def get_state(request: Request) -> Response:
    return StreamingResponse(export_stream(get_engine(request), request.app.state.webhooks), media_type="application/json")


@router.put(
    "/state",
    operation_id="importState",
    summary="Replace the whole state with an exported document (fault rules, journal and outbox are cleared; demo streams and retries go on as exported)",
    response_model=ResetOut,
    responses={**errors.BAD_REQUEST, **errors.UNAUTHORIZED},
)
async def put_state(body: StateDoc, request: Request) -> Response:
    # Again, strictly from the JSON text.
    body = parse_state(await request.body())
    import_state(request.app, body)
    engine = get_engine(request)
    return json_response(ResetOut(seed=engine.seed, tenants=len(engine.tenants.all()), calls=len(engine.store)))

