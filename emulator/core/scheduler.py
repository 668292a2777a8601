"""One scheduler of due work over the virtual clocks.

What must happen at an instant is a job: the next event of a call's
timeline, the next demo call of a tenant. Jobs wait in one heap per tenant,
because each tenant's instants are read on its own clock (the global one
unless it has its own). `release()` runs every job due by its tenant's now,
oldest instant first across tenants. Nothing polls:

- realtime and scaled clocks: `run()` (an asyncio task the app starts)
  sleeps until the earliest due instant, converted to wall time by the
  clock's rate, or until woken because a job or a clock changed;
- manual clocks: nothing is ever due by itself; moving the clock (control
  plane) calls `release()` before it answers, so everything due in between
  happens, in order, first.

A call is one job at a time: its next change. When it runs, the call's
events up to that instant are emitted to the listeners, and the call is
rescheduled at its following change. An intervention recomputes the
timeline and reschedules (the old job is recognised as stale and skipped).
When a call ends, handlers registered for it (`after_end`, e.g. a provider's
retry of an unanswered call) run at that instant; who is waiting for which
call is part of the exported state, like the demo streams.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from bisect import bisect_right
from dataclasses import dataclass
from itertools import count
from math import inf
from typing import TYPE_CHECKING, Callable, NamedTuple

from emulator.core.changes import rebuilt
from emulator.core.timeline import Timeline, TimelineEvent, timeline

if TYPE_CHECKING:
    from emulator.core.engine import Engine
    from emulator.core.store import CallRecord

log = logging.getLogger("emulator.scheduler")


class Emitted(NamedTuple):
    """One event as it happened: a call's timeline event with its number.
    (A named tuple: made for every event, it costs a third of a frozen
    dataclass.)"""

    seq: int
    at: float
    tenant: str
    call_id: str
    room: str | None
    type: str
    data: dict


@dataclass(slots=True)
class _Tracked:
    record: "CallRecord"
    timeline: Timeline | None  # None: not computed yet (followed from its instants)
    version: int  # interventions seen when the timeline was computed
    cursor: float  # events at or before this instant were emitted
    after_end: tuple[str, ...] = ()  # a tuple: the garbage collector skips it


@dataclass
class DemoStream:
    """A tenant's steady stream of demo calls: call k at origin + k * every."""

    tenant: str
    origin: float
    every: float
    next: int = 0

    def due(self) -> float:
        return self.origin + self.next * self.every


# A clock moved far ahead makes at most this many demo calls per tenant.
DEMO_BACKLOG = 200
DEMO_PER_WALL_SECOND = 20


class Scheduler:
    def __init__(self, engine: "Engine") -> None:
        self.engine = engine
        self._heaps: dict[str, list[tuple[float, int, str, str, int]]] = {}
        self._order = count()
        self._calls: dict[str, _Tracked] = {}
        self.demo: dict[str, DemoStream] = {}
        self.demo_maker: Callable[[DemoStream, int], None] | None = None
        # kind -> handler(record, ended_at): run when a watched call ends.
        self.handlers: dict[str, Callable[["CallRecord", float], None]] = {}
        self.listeners: list[Callable[[Emitted], None]] = []
        self.seq = 0
        self.waker: Callable[[], None] = lambda: None
        self._releasing = False

    # -- what is scheduled ----------------------------------------------------

    def track(self, record: "CallRecord", since: float = -inf, tl: Timeline | None = None) -> None:
        """Follow a call: its events after `since` will be emitted at their
        instants (a new call: all of them; a call loaded with the state: only
        what happens after the state's now). `tl`: its timeline, when the
        caller has it already."""
        record.pin()  # a call not over keeps its plan expanded (its timeline is, too)
        if tl is None:
            tl = timeline(record.plan, record.interventions)
        tracked = self._calls.get(record.id)
        after = tracked.after_end if tracked else ()
        self._calls[record.id] = _Tracked(record, tl, len(record.interventions), since, after)
        self._schedule_call(record.id)

    def start(self, record: "CallRecord", tl: Timeline) -> None:
        """Follow a call just created (`tl`: its timeline) and release what
        is due of its tenant's work: its creation, at least. The timer is
        woken only when it must now wake sooner than it planned: the
        tenant's first job came earlier (and its clock runs, or the job is
        due) or its heap was empty. Inside a release (a demo call, a retry)
        the release under way takes it from there."""
        if self._releasing:
            self.track(record, tl=tl)
            return
        tenant = record.tenant
        heap = self._heaps.get(tenant)
        before = heap[0][0] if heap else inf
        self._releasing = True  # no wake for the creation: it is released here
        try:
            self.track(record, tl=tl)
        finally:
            self._releasing = False
        self.release(tenant)
        heap = self._heaps.get(tenant)
        if heap and heap[0][0] < before:
            clock = self.engine.clocks.for_tenant(tenant)
            if clock.rate > 0 or heap[0][0] <= clock.now():
                self.waker()

    def follow(self, record: "CallRecord", since: float, instants) -> None:
        """Follow a restored call from the instants its plan changes at
        (stored with it), without expanding it: its timeline is computed
        when its next change comes due. Only for a call without
        interventions (the instants are its plan's alone)."""
        i = bisect_right(instants, since)
        if i == len(instants):
            return  # nothing more happens to it
        record.pin_when_read()
        self._calls[record.id] = _Tracked(record, None, len(record.interventions), since)
        self._push(record.tenant, instants[i], "call", record.id, len(record.interventions))

    def _timeline(self, t: _Tracked) -> Timeline:
        if t.timeline is None:
            t.record.pin()
            t.timeline = timeline(t.record.plan, t.record.interventions)
        return t.timeline

    def touch(self, record: "CallRecord") -> None:
        """The call's interventions changed: reschedule what is left of it."""
        tracked = self._calls.get(record.plan.id)
        if tracked is None:
            return
        if tracked.timeline is None:  # followed unexpanded: as it was, with no interventions
            tracked.timeline = timeline(record.plan, ())
            record.pin()
        before = [(e.type, e.data) for e in tracked.timeline.events if e.at == tracked.cursor]
        tracked.timeline = timeline(record.plan, record.interventions)
        tracked.version = len(record.interventions)
        # An intervention at the instant already released (a frozen clock:
        # created, then cancelled at the same now) adds events at that
        # instant: they are due now, not skipped.
        plan = record.plan
        for e in [e for e in tracked.timeline.events if e.at == tracked.cursor]:
            if (e.type, e.data) in before:
                before.remove((e.type, e.data))
            else:
                self._emit(plan.tenant, plan.id, plan.room, e)
        self._ended(tracked, tracked.cursor)
        if plan.id in self._calls:
            self._schedule_call(plan.id)
        self.release(plan.tenant)

    def after_end(self, record: "CallRecord", kind: str) -> None:
        """Run handler `kind` when the call ends."""
        tracked = self._calls.get(record.plan.id)
        if tracked is None:  # nothing more to emit: follow it for its end alone
            now = self._now(record.plan.tenant)
            tl = timeline(record.plan, record.interventions)
            if tl.ended and tl.end <= now:
                self._run_handler(kind, record, tl.end)
                return
            record.pin()
            tracked = self._calls[record.plan.id] = _Tracked(record, tl, len(record.interventions), now)
            self._schedule_call(record.plan.id)
        if kind not in tracked.after_end:
            tracked.after_end += (kind,)

    def forget(self, tenant_id: str | None = None) -> None:
        """Drop the jobs of one tenant (or all): its calls were forgotten."""
        if tenant_id is None:
            self._heaps.clear()
            for tracked in self._calls.values():
                tracked.record.unpin()
            self._calls.clear()
            self.demo.clear()
            return
        self._heaps.pop(tenant_id, None)
        for call_id in [c for c, t in self._calls.items() if t.record.tenant == tenant_id]:
            self._calls.pop(call_id).record.unpin()
        stream = self.demo.get(tenant_id)
        if stream is not None:  # the tenant's demo stream goes on
            self.add_demo(stream)

    def add_demo(self, stream: DemoStream) -> None:
        self.demo[stream.tenant] = stream
        self._push(stream.tenant, stream.due(), "demo", stream.tenant, stream.next)

    def waiting(self) -> list[dict]:
        """Calls someone waits on (`after_end` kinds), for the exported state."""
        out = []
        for call_id, t in self._calls.items():
            if t.after_end:
                tl = self._timeline(t)
                out.append({"callId": call_id, "kinds": list(t.after_end), "at": tl.end})
        return out

    def pending(self) -> int:
        return sum(len(h) for h in self._heaps.values())

    # -- releasing ----------------------------------------------------------

    def _push(self, tenant: str, at: float, kind: str, ref: str, version: int) -> None:
        heap = self._heaps.get(tenant)
        if heap is None:
            heap = self._heaps[tenant] = []
        first = not heap or at < heap[0][0]
        heapq.heappush(heap, (at, next(self._order), kind, ref, version))
        if first and not self._releasing:
            self.waker()

    def _schedule_call(self, call_id: str) -> None:
        t = self._calls[call_id]
        nxt = self._timeline(t).next_change(t.cursor)
        if nxt is None:
            if not t.after_end or t.timeline.ended:
                self._calls.pop(call_id).record.unpin()  # followed no more: its plan may be evicted
            return
        self._push(t.record.plan.tenant, nxt, "call", call_id, t.version)

    def _now(self, tenant: str) -> float:
        return self.engine.clocks.for_tenant(tenant).now()

    def release(self, tenant: str | None = None) -> int:
        """Run every job due by its tenant's now (one tenant's, or all),
        earliest instant first. Returns how many jobs ran."""
        if self._releasing:
            return 0
        self._releasing = True
        ran = 0
        try:
            tenants = [tenant] if tenant is not None else list(self._heaps)
            nows = {t: self._now(t) for t in tenants}
            while True:
                best, best_at = None, inf
                for t in tenants:
                    heap = self._heaps.get(t)
                    if heap and heap[0][0] <= nows[t] and heap[0][0] < best_at:
                        best, best_at = t, heap[0][0]
                if best is None:
                    break
                at, _, kind, ref, version = heapq.heappop(self._heaps[best])
                if kind == "call":
                    ran += self._run_call(ref, at, version)
                elif kind == "demo":
                    ran += self._run_demo(ref, at, version, nows[best])
            for t in tenants:
                if t in self._heaps and not self._heaps[t]:
                    del self._heaps[t]
        finally:
            self._releasing = False
        return ran

    def _run_call(self, call_id: str, at: float, version: int) -> int:
        t = self._calls.get(call_id)
        if t is None or t.version != version or at <= t.cursor:
            return 0  # stale: rescheduled since, or forgotten
        events = self._timeline(t).between(t.cursor, at)
        t.cursor = at
        plan = t.record.plan
        for e in events:
            self._emit(plan.tenant, plan.id, plan.room, e)
        self._ended(t, at)
        self._schedule_call(call_id)
        return 1

    def _ended(self, t: _Tracked, at: float) -> None:
        """Run what waits on the call's end, once it has ended by `at`."""
        tl = self._timeline(t)
        if tl.ended and tl.end <= at:
            kinds, t.after_end = t.after_end, ()
            for kind in kinds:
                self._run_handler(kind, t.record, at)

    def _run_handler(self, kind: str, record: "CallRecord", at: float) -> None:
        handler = self.handlers.get(kind)
        if handler is not None:
            try:
                handler(record, at)
            except Exception:  # a handler's bug must not stop time
                log.exception("after-end handler %s failed for %s", kind, record.plan.id)

    def _run_demo(self, tenant: str, at: float, version: int, now: float) -> int:
        stream = self.demo.get(tenant)
        if stream is None or version != stream.next:
            return 0
        last = int((now - stream.origin) // stream.every)
        stream.next = max(stream.next, last - DEMO_BACKLOG + 1)
        clock = self.engine.clocks.for_tenant(tenant)
        # A clock running thousands of times faster than the wall would make
        # demo calls without end: at most DEMO_PER_WALL_SECOND per tenant,
        # the calls in between are skipped (manual clocks make them all).
        if clock.rate > 0 and stream.every / clock.rate < 1 / DEMO_PER_WALL_SECOND:
            stream.next = max(stream.next, last)
            if self.demo_maker is not None:
                self.demo_maker(stream, stream.next)
            stream.next += 1
            self._push(tenant, max(stream.due(), now + clock.rate / DEMO_PER_WALL_SECOND), "demo", tenant, stream.next)
            return 1
        if self.demo_maker is not None:
            self.demo_maker(stream, stream.next)
        stream.next += 1
        self._push(tenant, stream.due(), "demo", tenant, stream.next)
        return 1

    def _emit(self, tenant: str, call_id: str, room: str | None, e: TimelineEvent) -> None:
        self.seq += 1
        ev = Emitted(self.seq, e.at, tenant, call_id, room, e.type, e.data)
        for listener in self.listeners:
            try:
                listener(ev)
            except Exception:
                log.exception("event listener failed")

    # -- waiting (realtime and scaled clocks) --------------------------------

    def delay(self) -> float | None:
        """Wall seconds until the earliest job is due (0: now), or None when
        nothing will become due by itself (no jobs, or manual clocks)."""
        best = None
        for tenant, heap in self._heaps.items():
            if not heap:
                continue
            clock = self.engine.clocks.for_tenant(tenant)
            ahead = heap[0][0] - clock.now()
            if ahead <= 0:
                return 0.0
            if clock.rate > 0:
                wall = ahead / clock.rate
                best = wall if best is None else min(best, wall)
        return best


async def drive(current: Callable[[], Scheduler], wake: asyncio.Event, released: Callable[[], None] | None = None) -> None:
    """Release due work for whichever scheduler `current()` returns (the app
    swaps engines on reset and import), sleeping in between. `wake` is set
    when a job or a clock changes. `released()` runs after each release that
    ran a job, before anything else on the loop sees its events (a data dir
    commits them there: no request will)."""
    while True:
        wake.clear()
        scheduler = current()
        if scheduler.release() and released is not None:
            try:
                released()
            except Exception:  # a failed commit (disk full...) must not stop time
                log.exception("committing what the timer released failed")
        delay = scheduler.delay()
        if delay == 0:
            await asyncio.sleep(0.001)  # let requests in between
            continue
        try:
            # A timer may fire a hair early; the next pass then sleeps the rest.
            await asyncio.wait_for(wake.wait(), None if delay is None else delay + 0.0005)
        except TimeoutError:
            pass


@rebuilt
def follow_open_calls(engine: "Engine") -> None:
    """After a restore or an import: follow every call not over by its
    tenant's now; only what happens later is an event."""
    instants = engine.store.take_restored_instants()
    for tenant in engine.tenants.all():
        now = engine.now(tenant.id)
        for record in engine.store.open_calls(tenant.id, now):
            known = instants.get(record.id)
            if known is not None:  # restored from its row: followed unexpanded
                engine.scheduler.follow(record, now, known)
            else:
                engine.scheduler.track(record, since=now)
