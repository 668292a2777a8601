"""Calls by id, by room name and by tenant. A call is its plan plus the
interventions that happened to it, in time order."""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field
from itertools import count

from emulator.core.changes import NO_LOG, ChangeLog
from emulator.core.lifecycle import CallSnapshot, snapshot
from emulator.core.plan import CallPlan, Intervention


@dataclass(slots=True)
class CallRecord:
    plan: CallPlan
    interventions: list[Intervention] = field(default_factory=list)

    def at(self, now: float) -> CallSnapshot | None:
        return snapshot(self.plan, self.interventions, now)


class DuplicateCall(ValueError):
    pass


class Store:
    """The calls in memory, indexed. Every write also goes to `log` (a
    ChangeLog: memory-only by default, or a database), from which these
    indexes are rebuilt at start."""

    def __init__(self, log: ChangeLog = NO_LOG) -> None:
        self.log = log
        self._by_id: dict[str, CallRecord] = {}
        self._by_room: dict[str, CallRecord] = {}
        # Per tenant, (created_at, insertion seq, id) kept sorted: listing
        # and paging never look at another tenant's calls.
        self._by_tenant: dict[str, list[tuple[float, int, str]]] = {}
        self._seq = count()
        self._streams: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, plan: CallPlan) -> CallRecord:
        if plan.id in self._by_id:
            raise DuplicateCall(plan.id)
        self.log.append("call.created", plan=plan)
        record = CallRecord(plan)
        self._by_id[plan.id] = record
        if plan.room:
            self._by_room[plan.room] = record
        insort(self._by_tenant.setdefault(plan.tenant, []), (plan.created_at, next(self._seq), plan.id))
        return record

    def get(self, call_id: str) -> CallRecord | None:
        return self._by_id.get(call_id)

    def by_room(self, room: str) -> CallRecord | None:
        return self._by_room.get(room)

    def for_tenant(self, tenant_id: str) -> list[CallRecord]:
        """The tenant's calls, oldest first."""
        return [self._by_id[i] for _, _, i in self._by_tenant.get(tenant_id, ())]

    def tenant_index(self, tenant_id: str) -> list[tuple[float, int, str]]:
        return self._by_tenant.get(tenant_id, [])

    def intervene(self, call_id: str, intervention: Intervention) -> CallRecord:
        record = self._by_id[call_id]
        self.log.append("call.intervened", call=call_id, intervention=intervention)
        insort(record.interventions, intervention, key=lambda iv: iv.at)
        return record

    def next_index(self, stream: str) -> int:
        """Per-stream call counter: generation seeds come from (seed, stream,
        index), so a call added in one stream never reshuffles another."""
        n = self._streams.get(stream, 0)
        self.log.append("stream.counted", counters={stream: n + 1})
        self._streams[stream] = n + 1
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
            self.__init__(self.log)
            return
        for _, _, call_id in self._by_tenant.pop(tenant_id, []):
            record = self._by_id.pop(call_id)
            if record.plan.room and self._by_room.get(record.plan.room) is record:
                del self._by_room[record.plan.room]
        self._streams.pop(tenant_id, None)
