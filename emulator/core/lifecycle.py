"""snapshot(plan, interventions, now): everything a response needs about a
call at one instant. A pure function: no clock, no store, no I/O.

The plan gives the natural timeline; interventions up to `now` bend it
(end it early, answer it, mute the agent, add a turn). Work is O(log turns)
plus the number of interventions, never the number of stored calls.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from emulator.core.plan import LIVE_STATUSES, CallPlan, Intervention, Turn


@dataclass(frozen=True, slots=True)
class SpokenTurn:
    at: float  # absolute instant
    role: str
    text: str
    sentiment: str
    topics: tuple[str, ...]
    note: str | None
    suggestion: str | None


@dataclass(frozen=True, slots=True)
class RoomParticipant:
    identity: str
    name: str
    kind: str
    joined_at: float
    metadata: dict
    muted_at: float | None = None
    attributes: tuple[tuple[str, str], ...] = ()  # set later (LiveKit UpdateParticipant)


@dataclass(frozen=True, slots=True)
class CallSnapshot:
    plan: CallPlan
    now: float
    status: str
    failure_reason: str | None
    started_at: float | None
    ringing_at: float | None
    answered_at: float | None
    ended_at: float | None
    updated_at: float
    duration: float  # seconds since start, up to now or the end; 0 before start
    turns: tuple[SpokenTurn, ...]
    room_open: bool
    participants: tuple[RoomParticipant, ...]
    sentiment: str
    summary: str | None
    agent_muted: bool
    # The first instant after `now` at which the snapshot can differ (a
    # phase, a turn, a join, a recorded intervention), or None if never:
    # anything derived from the snapshot alone holds until then.
    next_change: float | None = None

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def ended(self) -> bool:
        return self.ended_at is not None


def _spoken(t: Turn, at: float) -> SpokenTurn:
    return SpokenTurn(at, t.role, t.text, t.sentiment, t.topics, t.note, t.suggestion)


@dataclass(slots=True)
class Course:
    """The call's phases as the plan and the interventions up to an instant
    bend them: absolute instants (None: never), the final status and reason,
    who was muted when, and turns injected by interventions. Snapshot and
    timeline both read a call through this one computation."""

    start: float
    ring: float | None
    answer: float | None
    end: float | None
    status: str
    reason: str | None
    muted: dict[str, float]
    left: dict[str, float]  # who left the room early, when
    updates: dict[str, dict]  # participant changes (name, metadata, attributes)
    said: list[SpokenTurn]
    last_touch: float
    handover_at: float | None  # when a human takes over from the agent
    next_intervention: float | None = None  # the first one after `upto`


def course(plan: CallPlan, interventions, upto: float) -> Course:
    """Apply the interventions made by `upto` to the plan."""
    start = plan.start_at
    ring = start + plan.ring_at if plan.ring_at is not None else None
    answer = start + plan.answer_at if plan.answer_at is not None else None
    end = plan.natural_end
    status, reason = plan.outcome, plan.failure_reason
    muted: dict[str, float] = {}
    left: dict[str, float] = {}
    updates: dict[str, dict] = {}
    said: list[SpokenTurn] = []
    last_touch = plan.created_at
    next_iv = None

    for iv in interventions:
        if iv.at > upto:
            next_iv = iv.at
            break
        if end is not None and iv.at >= end:
            continue  # the call was already over
        last_touch = max(last_touch, iv.at)
        if iv.kind == "end":
            end, status, reason = iv.at, iv.status or "completed", iv.reason
        elif iv.kind == "start" and iv.at < start:
            shift = iv.at - start
            start += shift
            ring = ring + shift if ring is not None else None
            answer = answer + shift if answer is not None else None
            end = end + shift if end is not None else None
        elif iv.kind == "answer" and iv.at >= start and (answer is None or answer > iv.at):
            if ring is None or ring > iv.at:
                ring = iv.at
            answer = iv.at
            end = iv.at + plan.talk_for
            if plan.answer_at is None:  # the plan said unanswered; talking ends well
                status, reason = "completed", None
        elif iv.kind == "mute" and iv.identity and iv.identity not in muted:
            muted[iv.identity] = iv.at
        elif iv.kind == "leave" and iv.identity and iv.identity not in left:
            left[iv.identity] = iv.at
        elif iv.kind == "update" and iv.identity and iv.changes:
            merged = updates.setdefault(iv.identity, {})
            for k, v in iv.changes.items():
                merged[k] = {**merged.get(k, {}), **v} if k == "attributes" else v
        elif iv.kind == "say" and iv.turn is not None:
            said.append(_spoken(iv.turn, iv.at))
    # Only an agent muted or gone hands over (anyone else muted just is),
    # and a human takes over once the callee is there.
    agents = {p.identity for p in plan.participants if p.kind == "agent"}
    stops = [t for who, t in (*muted.items(), *left.items()) if who in agents]
    handover_at = max(min(stops), answer) if stops and answer is not None else None
    return Course(start, ring, answer, end, status, reason, muted, left, updates, said, last_touch, handover_at, next_iv)


def phases(c: Course, cut: float, ended: bool) -> tuple[float | None, float | None, float | None]:
    """(started, ringing, answered) instants reached by `cut`."""
    started = c.start if c.start <= cut and not (ended and c.end < c.start) else None
    ringing = c.ring if started is not None and c.ring is not None and c.ring <= cut else None
    answered = c.answer if started is not None and c.answer is not None and c.answer <= cut else None
    return started, ringing, answered


def spoken_turns(plan: CallPlan, c: Course, answered: float | None, cut: float) -> list[SpokenTurn]:
    """The transcript by `cut`: scripted turns up to the cut (or up to the
    agent's removal, after which the handover script speaks), plus injected
    turns, in time order."""
    turns: list[SpokenTurn] = []
    handover_at = c.handover_at
    if answered is not None:
        upto = cut if handover_at is None else min(cut, handover_at)
        n = bisect_right(plan.turn_offsets, upto - answered)
        turns = [_spoken(t, answered + t.at) for t in plan.turns[:n]]
        if handover_at is not None and handover_at <= cut:
            turns += [_spoken(t, handover_at + t.at) for t in plan.handover if handover_at + t.at <= cut]
    if c.said:
        turns = sorted(turns + [t for t in c.said if t.at <= cut], key=lambda t: t.at)
    return turns


def turn_instants(plan: CallPlan, c: Course, answered: float | None, cut: float) -> list[float]:
    """The instants of spoken_turns(plan, c, answered, cut), unordered,
    without building the turns."""
    ats: list[float] = []
    handover_at = c.handover_at
    if answered is not None:
        offsets = plan.turn_offsets
        upto = cut if handover_at is None else min(cut, handover_at)
        ats = [answered + at for at in offsets[: bisect_right(offsets, upto - answered)]]
        if handover_at is not None and handover_at <= cut:
            ats += [handover_at + t.at for t in plan.handover if handover_at + t.at <= cut]
    if c.said:
        ats += [t.at for t in c.said if t.at <= cut]
    return ats


def joined(plan: CallPlan, c: Course, started: float | None, answered: float | None, cut: float, *, present: bool = True) -> list[RoomParticipant]:
    """Participants who joined the room by `cut` (in plan order); with
    `present`, only those still in it (not left early by `cut`)."""
    participants: list[RoomParticipant] = []
    if started is None:
        return participants
    handover_at = c.handover_at
    for p in plan.participants:
        base = {"connect": started, "answer": answered, "handover": handover_at}[p.joins]
        if base is None or base + p.delay > cut:
            continue
        if present and c.left.get(p.identity, cut + 1) <= cut:
            continue
        u = c.updates.get(p.identity, {})
        participants.append(
            RoomParticipant(
                p.identity,
                u.get("name", p.name),
                p.kind,
                base + p.delay,
                u.get("metadata", p.metadata),
                c.muted.get(p.identity),
                tuple(sorted(u.get("attributes", {}).items())),
            )
        )
    return participants


def snapshot(plan: CallPlan, interventions: list[Intervention] | tuple[Intervention, ...], now: float) -> CallSnapshot | None:
    """The call as it stands at `now`, or None if it does not exist yet."""
    if now < plan.created_at:
        return None
    c = course(plan, interventions, now)
    end = c.end
    ended = end is not None and end <= now
    cut = end if ended else now
    started_at, ringing_at, answered_at = phases(c, cut, ended)

    if ended:
        current = c.status
    elif answered_at is not None:
        current = "active"
    elif ringing_at is not None:
        current = "ringing"
    elif started_at is not None:
        current = "connecting"
    else:
        current = plan.waiting_status

    turns = spoken_turns(plan, c, answered_at, cut)
    # The room: open from connect until the end.
    room_open = started_at is not None and not ended
    participants = joined(plan, c, started_at, answered_at, cut)

    handover_at = c.handover_at
    # Every instant after now at which something above can change; an
    # instant that turns out to change nothing only shortens a cache's life.
    upcoming: list[float] = [c.next_intervention] if c.next_intervention is not None else []
    for t in (c.start, c.ring, c.answer, end, handover_at):
        if t is not None and t > now:
            upcoming.append(t)
    answer = c.answer
    if answer is not None:
        n_main = bisect_right(plan.turn_offsets, min(cut, handover_at if handover_at is not None else cut) - answer) if answered_at is not None else 0
        if n_main < len(plan.turn_offsets) and answer + plan.turn_offsets[n_main] > now:
            upcoming.append(answer + plan.turn_offsets[n_main])
    if handover_at is not None:
        upcoming.extend(handover_at + t.at for t in plan.handover if handover_at + t.at > now)
    if started_at is not None:
        bases = {"connect": started_at, "answer": answer, "handover": handover_at}
        upcoming.extend(at for p in plan.participants if (b := bases[p.joins]) is not None and (at := b + p.delay) > now)

    events = [c.last_touch, plan.created_at]
    for t in (started_at, ringing_at, answered_at, end if ended else None, handover_at):
        if t is not None and t <= now:
            events.append(t)
    if turns:
        events.append(turns[-1].at)
    if participants:
        events.append(max(p.joined_at for p in participants))

    return CallSnapshot(
        plan=plan,
        now=now,
        status=current,
        failure_reason=c.reason if ended else None,
        started_at=started_at,
        ringing_at=ringing_at,
        answered_at=answered_at,
        ended_at=end if ended else None,
        updated_at=max(events),
        duration=(cut - started_at) if started_at is not None else 0.0,
        turns=tuple(turns),
        room_open=room_open,
        participants=tuple(participants) if room_open else (),
        sentiment=turns[-1].sentiment if turns else "neutral",
        summary=plan.summary if ended and c.status == "completed" else None,
        agent_muted=any(p.kind == "agent" and (p.identity in c.muted or p.identity in c.left) for p in plan.participants),
        next_change=min(upcoming) if upcoming else None,
    )
