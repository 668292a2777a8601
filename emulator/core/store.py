"""Calls by id, by room name and by tenant. A call is its plan plus the
interventions that happened to it, in time order. A record keeps only what
the indexes need and where its plan comes from (emulator.core.records):
plans are expanded on demand through a bounded cache.

Besides the per-tenant creation index the store keeps two small indexes so
no request grows with the number of stored calls: calls by phone number,
and liveness (calls not yet over, and the ended ones by final status).
Changes made inside `atomic()` are undone if the block raises."""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left, insort
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import count
from typing import Callable, Iterator

from emulator.core.changes import NO_LOG, ChangeLog
from emulator.core.plan import CallPlan, Intervention
from emulator.core.records import CallRecord, PlanCache
from emulator.core.timeline import Timeline, timeline

__all__ = ["CallRecord", "DuplicateCall", "Key", "Store", "atomic", "holds"]

Key = tuple[float, int, str]  # (created_at, insertion seq, id): creation order

# The undo log of the atomic block running in this context (one per request).
_UNDO: ContextVar[list[Callable[[], None]] | None] = ContextVar("store_undo", default=None)


@contextmanager
def atomic() -> Iterator[None]:
    """Store changes made inside the block are undone, newest first, if it
    raises: a write either happens completely or changes nothing."""
    undo: list[Callable[[], None]] = []
    token = _UNDO.set(undo)
    try:
        yield
    except BaseException:
        for step in reversed(undo):
            step()
        raise
    finally:
        _UNDO.reset(token)


def _remember(step: Callable[[], None]) -> None:
    undo = _UNDO.get()
    if undo is not None:
        undo.append(step)


class DuplicateCall(ValueError):
    pass


class _Liveness:
    """One tenant's calls split at its clock's latest read: `open` (not over
    by then, creation order) and `ended` (per final status, sorted keys).
    A heap of ends moves calls across lazily when a later now is read."""

    __slots__ = ("open", "heap", "ended", "horizon", "_tie")

    def __init__(self) -> None:
        self.open: dict[str, CallRecord] = {}
        self.heap: list[tuple[float, int, str]] = []
        self.ended: dict[str, list[Key]] = {}
        self.horizon = float("-inf")
        self._tie = count()

    def watch(self, record: CallRecord) -> None:
        end, _ = record.final()
        if end is not None:
            heapq.heappush(self.heap, (end, next(self._tie), record.id))


class Store:
    """The calls in memory, indexed. Every write also goes to `log` (a
    ChangeLog: memory-only by default, or a database), from which these
    indexes are rebuilt at start."""

    def __init__(self, log: ChangeLog = NO_LOG, plans: PlanCache | None = None) -> None:
        self.plans = plans if plans is not None else PlanCache()
        self.plans.clear()
        self.log = log
        self._by_id: dict[str, CallRecord] = {}
        self._by_room: dict[str, CallRecord] = {}
        # Per tenant, (created_at, insertion seq, id) kept sorted: listing
        # and paging never look at another tenant's calls.
        self._by_tenant: dict[str, list[Key]] = {}
        self._by_phone: dict[tuple[str, str], list[Key]] = {}
        self._liveness: dict[str, _Liveness] = {}
        self._seq = count()
        self._streams: dict[str, int] = {}
        self._restored: dict[str, array] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def log(self) -> ChangeLog:
        return self._log_to

    @log.setter
    def log(self, log: ChangeLog) -> None:
        self._log_to = log
        if log.enabled:  # plans stored in its rows are read back from it
            self.plans.rows = log

    def _log(self, kind: str, detail=None, **data) -> int | None:
        """Log a change; inside atomic() a failed write takes it back too, so
        what is stored never holds a change the answer said did not happen.
        Returns the change's row when the log keeps rows."""
        mark = self.log.mark()
        row = self.log.append(kind, detail=detail, **data)
        _remember(lambda: self.log.truncate(mark))
        return row

    def add(
        self,
        plan: CallPlan,
        interventions: list[Intervention] | tuple[Intervention, ...] = (),
        *,
        recipe: tuple | None = None,
        tl: Timeline | None = None,
    ) -> CallRecord:
        """Store a call. With a `recipe` (what the plan was drawn from, from
        PlanCache.recipe) the plan is kept only in the cache, redrawn when
        evicted; with a log that keeps rows, it is read back from its row
        instead. `tl`: the plan's timeline without interventions, when the
        caller has it."""
        if plan.id in self._by_id:
            raise DuplicateCall(plan.id)
        interventions = sorted(interventions, key=lambda iv: iv.at)
        record = CallRecord(plan, interventions, plans=self.plans)
        if tl is not None and not interventions:  # how it ends, read off its timeline
            record._final = tl.final
        row = None
        if self.log.enabled:
            final = record.final() if not interventions else snapshot_final(plan)
            row = self._log("call.created", detail=plan, head=head(plan, final, record.marks, tl))
        for iv in interventions:
            self._log("call.intervened", call=plan.id, intervention=iv)
        if row is not None:
            record._src = row
        elif recipe is not None:
            record._src = recipe
        if record._src is not plan:
            self.plans.put(record, plan)
        self._index(record, plan.created_at, self._phones(plan))
        return record

    def add_stored(self, head: dict, row: int) -> CallRecord:
        """A call whose plan is stored whole in the log's row `row` (replay):
        indexed from its head, decoded when first read."""
        if head["id"] in self._by_id:
            raise DuplicateCall(head["id"])
        record = CallRecord(head=head, source=row, plans=self.plans)
        end, status = head["final"]
        record._final = (end, status) if end is not None else (None, None)
        self._index(record, head["created_at"], head["phones"])
        # When its plan changes: the scheduler follows it from these after
        # the replay (take_restored_instants), without expanding it.
        self._restored[record.id] = array("d", head["changes"])
        _remember(lambda: self._restored.pop(record.id, None))
        return record

    def take_restored_instants(self) -> dict[str, array]:
        """The change instants of the calls restored since the last take,
        those with no intervention since (then their plan alone decides)."""
        taken, self._restored = self._restored, {}
        return taken

    def _index(self, record: CallRecord, created_at: float, phones) -> None:
        call_id, tenant = record.id, record.tenant
        key = (created_at, next(self._seq), call_id)
        self._by_id[call_id] = record
        record.key = key
        if record.room:
            self._by_room[record.room] = record
        insort(self._by_tenant.setdefault(tenant, []), key)
        for phone in phones:
            insort(self._by_phone.setdefault((tenant, phone), []), key)
        live = self._liveness.get(tenant)
        if live is None:
            live = self._liveness[tenant] = _Liveness()
        live.open[call_id] = record
        live.watch(record)
        _remember(lambda: self._discard(call_id))

    def write_all(self, log: ChangeLog) -> None:
        """Append every call to `log` (after a new baseline): a call read
        from a row is copied row to row, never decoded."""
        self.plans.rows = log
        for record in self._by_id.values():
            src = record._src
            if type(src) is int:
                record._src = log.copy(src)
            else:
                plan = record.plan
                row = log.append("call.created", detail=plan, head=head(plan, snapshot_final(plan), record.marks, None))
                if row is not None:
                    record._src = row
            for iv in record.interventions:
                log.append("call.intervened", call=record.id, intervention=iv)

    @staticmethod
    def _phones(plan: CallPlan) -> set[str]:
        return {p for p in (plan.contact_phone, plan.agent_phone) if p}

    def _discard(self, call_id: str) -> None:
        """Forget one call everywhere (undoing its add)."""
        record = self._by_id.pop(call_id, None)
        if record is None:
            return
        plan, key = record.plan, record.key
        self.plans.forget(record)
        if plan.room and self._by_room.get(plan.room) is record:
            del self._by_room[plan.room]
        _remove(self._by_tenant.get(plan.tenant), key)
        for phone in self._phones(plan):
            _remove(self._by_phone.get((plan.tenant, phone)), key)
        live = self._liveness.get(plan.tenant)
        if live is not None and live.open.pop(call_id, None) is None:
            for keys in live.ended.values():
                _remove(keys, key)

    def get(self, call_id: str) -> CallRecord | None:
        return self._by_id.get(call_id)

    def key(self, call_id: str) -> Key:
        return self._by_id[call_id].key

    def by_room(self, room: str) -> CallRecord | None:
        return self._by_room.get(room)

    def for_tenant(self, tenant_id: str) -> list[CallRecord]:
        """The tenant's calls, oldest first."""
        return [self._by_id[i] for _, _, i in self._by_tenant.get(tenant_id, ())]

    def tenant_index(self, tenant_id: str) -> list[Key]:
        return self._by_tenant.get(tenant_id, [])

    def phone_index(self, tenant_id: str, phone: str) -> list[Key]:
        """Keys of the tenant's calls to or from `phone`, in creation order."""
        return self._by_phone.get((tenant_id, phone), [])

    def open_calls(self, tenant_id: str, now: float) -> list[CallRecord]:
        """The tenant's calls not over at `now` (waiting, live, or created
        later), in insertion order: what live and pending filters scan."""
        return list(self._live_at(tenant_id, now).open.values())

    def ended_index(self, tenant_id: str, status: str, now: float) -> list[Key]:
        """Keys of the tenant's calls over by `now` with final `status`, in
        creation order."""
        return self._live_at(tenant_id, now).ended.get(status, [])

    def _live_at(self, tenant_id: str, now: float) -> _Liveness:
        live = self._liveness.get(tenant_id)
        if live is None:
            return _Liveness()
        if now < live.horizon:
            # The clock went back: split again from scratch (rare).
            live = self._liveness[tenant_id] = _Liveness()
            for _, _, call_id in self._by_tenant.get(tenant_id, ()):
                record = self._by_id[call_id]
                live.open[call_id] = record
                live.watch(record)
        heap = live.heap
        while heap and heap[0][0] <= now:
            _, _, call_id = heapq.heappop(heap)
            record = live.open.get(call_id)
            if record is None:
                continue  # moved already, or forgotten
            end, status = record.final()
            if end is None:
                continue  # open until an intervention ends it (which re-watches it)
            if end > now:
                heapq.heappush(heap, (end, next(live._tie), call_id))
                continue
            del live.open[call_id]
            insort(live.ended.setdefault(status, []), record.key)
        live.horizon = now
        return live

    def intervene(self, call_id: str, intervention: Intervention) -> CallRecord:
        record = self._by_id[call_id]
        self._log("call.intervened", call=call_id, intervention=intervention)
        self._restored.pop(call_id, None)  # its plan alone no longer decides
        if type(record.interventions) is tuple:
            record.interventions = list(record.interventions)
        insort(record.interventions, intervention, key=lambda iv: iv.at)
        record.changed()
        live = self._liveness.get(record.tenant)
        if live is not None and call_id in live.open:
            live.watch(record)

        def undo() -> None:
            _remove_identity(record.interventions, intervention)
            record.changed()

        _remember(undo)
        return record

    def next_index(self, stream: str) -> int:
        """Per-stream call counter: generation seeds come from (seed, stream,
        index), so a call added in one stream never reshuffles another."""
        known = stream in self._streams
        n = self._streams.get(stream, 0)
        self._log("stream.counted", counters={stream: n + 1})
        self._streams[stream] = n + 1

        def undo() -> None:
            if self._streams.get(stream) == n + 1:  # unless another write drew since
                if known:
                    self._streams[stream] = n
                else:
                    del self._streams[stream]

        _remember(undo)
        return n

    def streams(self) -> dict[str, int]:
        """The per-stream counters, for exporting the state."""
        return dict(sorted(self._streams.items()))

    def restore_streams(self, streams: dict[str, int]) -> None:
        self.log.append("stream.counted", counters=streams)
        self._streams.update(streams)

    def records(self) -> list[CallRecord]:
        return list(self._by_id.values())

    def clear(self, tenant_id: str | None = None) -> None:
        self.log.append("calls.cleared", tenant=tenant_id)
        if tenant_id is None:
            self.__init__(self.log, self.plans)
            return
        for _, _, call_id in self._by_tenant.pop(tenant_id, []):
            record = self._by_id.pop(call_id)
            self.plans.forget(record)
            if record.room and self._by_room.get(record.room) is record:
                del self._by_room[record.room]
        for pair in [p for p in self._by_phone if p[0] == tenant_id]:
            del self._by_phone[pair]
        self._liveness.pop(tenant_id, None)
        self._streams.pop(tenant_id, None)


def snapshot_final(plan: CallPlan) -> tuple[float | None, str | None]:
    """How the plan alone ends (no interventions)."""
    return CallRecord(plan).final()


def head(plan: CallPlan, final: tuple[float | None, str | None], marks: dict | None, tl: Timeline | None) -> dict:
    """What the indexes and the scheduler need of a call, logged beside its
    plan so a restart rebuilds them without decoding any plan."""
    if tl is None:
        tl = timeline(plan, ())
    return {
        "id": plan.id,
        "tenant": plan.tenant,
        "room": plan.room,
        "created_at": plan.created_at,
        "phones": sorted(Store._phones(plan)),
        "facts": [plan.agent_id, plan.direction, plan.scheduled_at],
        "final": list(final),
        "marks": marks,
        "changes": sorted(set(tl.instants)),  # when its plan changes (Timeline.next_change)
    }


def _position(keys: list[Key], key: Key) -> int | None:
    i = bisect_left(keys, key)
    return i if i < len(keys) and keys[i] == key else None


def holds(keys: list[Key], key: Key) -> bool:
    """Whether the sorted index `keys` holds `key`."""
    return _position(keys, key) is not None


def _remove(keys: list[Key] | None, key: Key) -> None:
    if keys:
        i = _position(keys, key)
        if i is not None:
            del keys[i]


def _remove_identity(items: list, item) -> None:
    for i, x in enumerate(items):
        if x is item:
            del items[i]
            return
