"""A call's timeline: from its plan and interventions, the ordered events
of its life, each with its instant.

The events come from the same computation as the snapshot (lifecycle.course,
phases, spoken_turns, joined), so a snapshot taken at an event's instant
shows exactly what the events up to and including that instant say.

Event types (the shared event model): call.created, call.status_changed
(status, previous), participant.joined / participant.left (identity, name,
kind), transcript.turn (index, role, content, timestamp), call.ended
(status, reason), call.summary_ready (summary). A call that ends has
call.ended as its last event (a summary is ready at the same instant, just
before it).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from math import inf

from emulator.core.lifecycle import course, joined, phases, spoken_turns, turn_instants
from emulator.core.plan import CallPlan, Intervention
from emulator.core.timeutil import iso_millis

# Order of events that share an instant: what a snapshot at that instant
# shows is the state after all of them.
# Every event type a call's timeline yields.
EVENT_TYPES = (
    "call.created",
    "call.status_changed",
    "participant.joined",
    "participant.left",
    "transcript.turn",
    "call.ended",
    "call.summary_ready",
)

_RANK = {
    "call.created": 0,
    "call.status_changed": 1,
    "participant.joined": 2,
    "transcript.turn": 3,
    "participant.left": 4,
    "final": 5,
    "call.summary_ready": 6,
    "call.ended": 7,
}


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: float
    type: str
    data: dict


class Timeline:
    """The events of one call, oldest first.

    Built in two steps: when the call changes and how it ends (`instants`,
    `end`, `status`) at once, the events themselves when first read. A call
    just created needs only the former (the store's liveness, the
    scheduler's next job) and its creation event; the rest of its events
    are built when its next change comes due, if ever."""

    __slots__ = ("plan", "interventions", "instants", "end", "status", "_events")

    def __init__(self, plan: CallPlan, interventions: tuple[Intervention, ...]) -> None:
        self.plan = plan
        self.interventions = interventions
        self._events: list[TimelineEvent] | None = None
        c = course(plan, interventions, inf)
        end = c.end
        ended = end is not None
        cut = end if ended else inf
        started, ringing, answered = phases(c, cut, ended)
        # The instant of every event _events() yields, in the same order
        # (tests/test_timeline.py holds them to it).
        ats = [plan.created_at]
        previous = plan.waiting_status
        for at, status in ((started, "connecting"), (ringing, "ringing"), (answered, "active")):
            if at is not None:
                ats.append(at)
                previous = status
        ats += turn_instants(plan, c, answered, cut)
        if started is not None:
            bases = {"connect": started, "answer": answered, "handover": c.handover_at}
            for p in plan.participants:
                base = bases[p.joins]
                if base is None or base + p.delay > cut:
                    continue
                joined_at = base + p.delay
                if ended and joined_at > end:
                    continue
                ats.append(joined_at)
                left = c.left.get(p.identity)
                if left is not None and left >= joined_at and (not ended or left < end):
                    ats.append(left)
                elif ended:
                    ats.append(end)
        if ended:
            ats += [end] * (1 + (previous != c.status) + (c.status == "completed" and bool(plan.summary)))
        ats.sort()
        # A tuple of floats: untracked by the garbage collector, which
        # otherwise walks it in every full collection while the call lives.
        self.instants = tuple(ats)
        # Ended: its last event is call.ended (nothing, not even its creation,
        # comes after its end).
        ended = ended and ats[-1] == end
        self.end = end if ended else None
        self.status = c.status if ended else None

    @property
    def events(self) -> list[TimelineEvent]:
        if self._events is None:
            self._events = _events(self.plan, self.interventions)
        return self._events

    def __len__(self) -> int:
        return len(self.instants)

    def next_change(self, now: float) -> float | None:
        """The first instant after `now` at which the call changes (a
        snapshot taken then differs from one taken at `now`, running
        durations aside), or None when nothing more happens."""
        i = bisect_right(self.instants, now)
        return self.instants[i] if i < len(self.instants) else None

    def between(self, after: float, upto: float) -> list[TimelineEvent]:
        """Events with after < at <= upto, in order."""
        instants = self.instants
        if self._events is None and after < instants[0] <= upto and (len(instants) == 1 or upto < instants[1]):
            plan = self.plan
            if instants[0] == plan.created_at:
                # Only the first event is due, and it is at the creation
                # instant: it is the creation event (what a new call emits
                # at once), no need to build the others.
                return [TimelineEvent(plan.created_at, "call.created", {"status": plan.waiting_status})]
        return self.events[bisect_right(instants, after) : bisect_right(instants, upto)]

    @property
    def ended(self) -> bool:
        return self.end is not None

    @property
    def final(self) -> tuple[float | None, str | None]:
        """(when, final status) of a call that ends, else (None, None)."""
        return self.end, self.status


def timeline(plan: CallPlan, interventions: list[Intervention] | tuple[Intervention, ...]) -> Timeline:
    """Every event of the call as its interventions (all of them) shape it."""
    # A copy: the store inserts later interventions into the record's list.
    return Timeline(plan, tuple(interventions))


def _events(plan: CallPlan, interventions: tuple[Intervention, ...]) -> list[TimelineEvent]:
    c = course(plan, interventions, inf)
    end = c.end
    ended = end is not None
    cut = end if ended else inf
    started, ringing, answered = phases(c, cut, ended)

    out: list[tuple[float, int, int, str, dict]] = []

    def add(at: float, rank: str, type_: str, data: dict) -> None:
        out.append((at, _RANK[rank], len(out), type_, data))

    waiting = plan.waiting_status
    add(plan.created_at, "call.created", "call.created", {"status": waiting})
    previous = waiting
    for at, status in ((started, "connecting"), (ringing, "ringing"), (answered, "active")):
        if at is not None:
            add(at, "call.status_changed", "call.status_changed", {"status": status, "previous": previous})
            previous = status

    for i, t in enumerate(spoken_turns(plan, c, answered, cut)):
        add(t.at, "transcript.turn", "transcript.turn", {"index": i, "role": t.role, "content": t.text, "timestamp": iso_millis(t.at)})

    # The room is open from connect until the end: who joined before the end
    # leaves when removed, or at the end.
    for p in joined(plan, c, started, answered, cut, present=False):
        if ended and p.joined_at > end:
            continue
        who = {"identity": p.identity, "name": p.name, "kind": p.kind}
        add(p.joined_at, "participant.joined", "participant.joined", who)
        left = c.left.get(p.identity)
        if left is not None and left >= p.joined_at and (not ended or left < end):
            add(left, "participant.left", "participant.left", dict(who))
        elif ended:
            add(end, "participant.left", "participant.left", dict(who))

    if ended:
        if previous != c.status:
            add(end, "final", "call.status_changed", {"status": c.status, "previous": previous})
        if c.status == "completed" and plan.summary:
            add(end, "call.summary_ready", "call.summary_ready", {"summary": plan.summary})
        add(end, "call.ended", "call.ended", {"status": c.status, "reason": c.reason})

    out.sort(key=lambda e: (e[0], e[1], e[2]))
    return [TimelineEvent(at, type_, data) for at, _, _, type_, data in out]
