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

from emulator.core.lifecycle import course, joined, phases, spoken_turns
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
    """The events of one call, oldest first."""

    __slots__ = ("events", "instants")

    def __init__(self, events: list[TimelineEvent]) -> None:
        self.events = events
        self.instants = [e.at for e in events]

    def __len__(self) -> int:
        return len(self.events)

    def next_change(self, now: float) -> float | None:
        """The first instant after `now` at which the call changes (a
        snapshot taken then differs from one taken at `now`, running
        durations aside), or None when nothing more happens."""
        i = bisect_right(self.instants, now)
        return self.instants[i] if i < len(self.instants) else None

    def between(self, after: float, upto: float) -> list[TimelineEvent]:
        """Events with after < at <= upto, in order."""
        return self.events[bisect_right(self.instants, after) : bisect_right(self.instants, upto)]

    @property
    def ended(self) -> bool:
        return bool(self.events) and self.events[-1].type == "call.ended"


def timeline(plan: CallPlan, interventions: list[Intervention] | tuple[Intervention, ...]) -> Timeline:
    """Every event of the call as its interventions (all of them) shape it."""
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
    return Timeline([TimelineEvent(at, type_, data) for at, _, _, type_, data in out])
