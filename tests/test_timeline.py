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


def _random_cases(n: int):
    """Generated plans with random interventions, some before the call was
    created (a clock set back) or at its very instants."""
    import random

    from tests.pinned_plans import AGENTS, SCRIPTS, _interventions
    from emulator.core.generate import Generator
    from emulator.providers.heppu import STYLE

    rng = random.Random(3)
    for k in range(n):
        p = Generator(1, SCRIPTS).plan(stream="s", index=k, tenant="t", agent=AGENTS[0], style=STYLE, created_at=T0,
                                       start_delay=rng.choice((None, 0.0)), summary=rng.choice((None, "S")) if k % 2 else "S")
        ivs = _interventions(rng, p)
        if k % 5 == 0:
            ivs = sorted(ivs + [Intervention(T0 - rng.choice((0.0, 1.0)), rng.choice(("end", "answer", "start")), status="cancelled")],
                         key=lambda iv: iv.at)
        if k % 7 == 0:
            ivs.append(Intervention(p.start_at + p.ring_at, "end", status="failed"))
        yield p, ivs


def test_instants_and_end_are_those_of_the_events():
    # The instants, end and status are computed without the events (which
    # are built when first read): they must say what the events say.
    for p, ivs in _random_cases(600):
        tl = timeline(p, ivs)
        events = list(tl.events)
        assert list(tl.instants) == [e.at for e in events]
        assert tl.ended == (bool(events) and events[-1].type == "call.ended")
        if tl.ended:
            assert tl.final == (events[-1].at, events[-1].data["status"])
        else:
            assert tl.final == (None, None)


def test_events_due_at_creation_are_the_built_ones():
    # A new call emits what is due at its creation without building the rest.
    for p, ivs in _random_cases(300):
        for after, upto in ((float("-inf"), p.created_at), (float("-inf"), p.start_at), (p.created_at - 1, p.created_at + 0.5)):
            lazy = timeline(p, ivs).between(after, upto)
            built = timeline(p, ivs)
            built.events
            assert lazy == built.between(after, upto)


def test_a_timeline_keeps_the_interventions_it_was_made_with():
    interventions = []
    tl = timeline(plan(), interventions)
    interventions.append(Intervention(T0 + 20, "end", status="cancelled"))  # the store inserts into its list
    assert tl.events[-1].at == T0 + 5 + 6 + 60 and tl.events[-1].data["status"] == "completed"


def test_a_followed_call_holds_few_objects_the_collector_walks():
    import gc

    tl = timeline(plan(), [])
    gc.collect()
    assert not gc.is_tracked(tl.instants)
