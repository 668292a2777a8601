"""A call's timeline and its snapshots come from one computation: at every
event's instant the snapshot shows what the events so far say."""

from __future__ import annotations

import pytest

from emulator.core.lifecycle import snapshot
from emulator.core.plan import Intervention, Turn
from emulator.core.timeline import timeline
from tests.test_lifecycle import T0, plan

CASES = {
    "completed": (plan(), []),
    "no_answer": (plan(answer_at=None, give_up_at=30.0, outcome="no_answer"), []),
    "never_rings": (plan(ring_at=None, answer_at=None, give_up_at=2.0, outcome="failed", failure_reason="network_error"), []),
    "cancelled_waiting": (plan(waiting_status="scheduled"), [Intervention(T0 + 2, "end", status="cancelled")]),
    "ended_early": (plan(), [Intervention(T0 + 20, "end", status="completed", reason="ended_by_api")]),
    "forced_answer": (plan(answer_at=None, give_up_at=None, outcome="no_answer"), [Intervention(T0 + 9, "answer")]),
    "handover": (plan(), [Intervention(T0 + 14, "mute", identity="agent")]),
    "said": (plan(), [Intervention(T0 + 13.5, "say", turn=Turn(0.0, "human", "Injected"))]),
    "started_early": (plan(waiting_status="scheduled"), [Intervention(T0 + 1, "start")]),
}


def _state(events):
    """What the events up to an instant say about the call."""
    status, turns, room = None, [], {}
    for e in events:
        if e.type in ("call.created", "call.status_changed"):
            status = e.data["status"]
        elif e.type == "transcript.turn":
            turns.append(e.data["content"])
        elif e.type == "participant.joined":
            room[e.data["identity"]] = True
        elif e.type == "participant.left":
            room.pop(e.data["identity"])
    return status, turns, sorted(room)


@pytest.mark.parametrize("name", sorted(CASES))
def test_snapshot_agrees_with_events_at_every_instant(name):
    p, ivs = CASES[name]
    tl = timeline(p, ivs)
    assert tl.events[0].type == "call.created"
    instants = sorted(set(tl.instants))
    for t in instants:
        s = snapshot(p, ivs, t)
        status, turns, room = _state([e for e in tl.events if e.at <= t])
        assert s.status == status, (name, t)
        assert [x.text for x in s.turns] == turns, (name, t)
        assert sorted(x.identity for x in s.participants) == room, (name, t)
        # Just before the instant the snapshot was different, unless the
        # only events there changed nothing visible.
        assert tl.next_change(t - 1e-6) == t
    if snapshot(p, ivs, 1e12).ended:
        assert tl.events[-1].type == "call.ended"
        assert tl.events[-1].data["status"] == snapshot(p, ivs, 1e12).status
        assert tl.next_change(tl.events[-1].at) is None


def test_status_changes_name_the_previous_status():
    tl = timeline(plan(), [])
    changes = [(e.data["previous"], e.data["status"]) for e in tl.events if e.type == "call.status_changed"]
    assert changes == [("initiated", "connecting"), ("connecting", "ringing"), ("ringing", "active"), ("active", "completed")]
    types = [e.type for e in tl.events]
    assert types[-2:] == ["call.summary_ready", "call.ended"]
    assert types.count("participant.joined") == types.count("participant.left") == 2


def test_next_change_between_events():
    tl = timeline(plan(), [])
    assert tl.next_change(T0 - 1) == T0
    assert tl.next_change(T0) == T0 + 5
    assert tl.next_change(T0 + 5) == T0 + 6
    assert [e.type for e in tl.between(T0, T0 + 6)] == ["call.status_changed", "participant.joined", "call.status_changed"]
