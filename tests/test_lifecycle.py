"""Every path of a call's life, read through the pure snapshot function."""

from __future__ import annotations

import pytest

from emulator.core.plan import CallPlan, Intervention, Participant, Turn
from emulator.core.lifecycle import snapshot

T0 = 1_764_600_000.0  # a fixed instant


def plan(**kw) -> CallPlan:
    base = dict(
        id="c1",
        tenant="t",
        created_at=T0,
        start_at=T0 + 5,
        agent_id="a",
        agent_name="Agent",
        contact_phone="+14155550100",
        ring_at=1.0,
        answer_at=6.0,
        talk_for=60.0,
        turns=(Turn(1.0, "agent", "Hello"), Turn(5.0, "customer", "Hi", sentiment="positive"), Turn(20.0, "agent", "Bye")),
        handover=(Turn(2.0, "human", "Human here"),),
        participants=(
            Participant("agent", "Agent", "agent", "connect"),
            Participant("caller", "+14155550100", "caller", "answer"),
            Participant("human", "Human", "human", "handover", 1.0),
        ),
        room="room_1",
        summary="It went well.",
    )
    base.update(kw)
    return CallPlan(**base)


def at(p, seconds, ivs=()):
    return snapshot(p, list(ivs), T0 + seconds)


def test_call_does_not_exist_before_it_is_created():
    assert at(plan(), -0.001) is None
    assert at(plan(), 0).status == "initiated"


@pytest.mark.parametrize(
    "seconds,status",
    [(0, "initiated"), (5, "connecting"), (6, "ringing"), (10.99, "ringing"), (11, "active"), (70.99, "active"), (71, "completed"), (10_000, "completed")],
)
def test_completed_path(seconds, status):
    assert at(plan(), seconds).status == status


def test_timestamps_duration_and_summary_follow_the_plan():
    p = plan()
    s = at(p, 40)
    assert (s.started_at, s.ringing_at, s.answered_at, s.ended_at) == (T0 + 5, T0 + 6, T0 + 11, None)
    assert s.duration == 35 and s.summary is None
    done = at(p, 500)
    assert done.ended_at == T0 + 71 and done.duration == 66 and done.summary == "It went well."
    assert done.updated_at == T0 + 71


def test_transcript_grows_turn_by_turn():
    p = plan()
    assert at(p, 11.99).turns == ()
    assert [t.text for t in at(p, 12).turns] == ["Hello"]
    assert [t.text for t in at(p, 16).turns] == ["Hello", "Hi"]
    s = at(p, 31)
    assert [t.text for t in s.turns] == ["Hello", "Hi", "Bye"]
    assert [t.at for t in s.turns] == [T0 + 12, T0 + 16, T0 + 31]
    assert at(p, 16).sentiment == "positive"
    assert at(p, 16).updated_at == T0 + 16


def test_room_agrees_with_the_call():
    p = plan()
    assert not at(p, 4).room_open and at(p, 4).participants == ()
    connecting = at(p, 5)
    assert connecting.room_open and [x.identity for x in connecting.participants] == ["agent"]
    ringing = at(p, 10.999)
    assert ringing.status == "ringing" and [x.identity for x in ringing.participants] == ["agent"]
    answered = at(p, 11)  # the callee joins at the answer instant, exactly
    assert answered.status == "active" and [x.identity for x in answered.participants] == ["agent", "caller"]
    assert answered.participants[1].joined_at == answered.answered_at == T0 + 11
    ended = at(p, 71)
    assert not ended.room_open and ended.participants == ()


@pytest.mark.parametrize("joins,delay", [("answer", 0.5), ("handover", 0.0)])
def test_a_callee_cannot_join_after_the_answer(joins, delay):
    late = (Participant("caller", "+14155550100", "caller", joins, delay),)
    with pytest.raises(ValueError, match="answer instant"):
        plan(participants=late)


@pytest.mark.parametrize("outcome,reason", [("no_answer", None), ("busy", None), ("failed", "no_answer")])
def test_unanswered_outcomes(outcome, reason):
    p = plan(answer_at=None, give_up_at=15.0, outcome=outcome, failure_reason=reason)
    assert at(p, 19.99).status == "ringing"
    s = at(p, 20)
    assert (s.status, s.failure_reason, s.answered_at, s.turns, s.summary) == (outcome, reason, None, (), None)
    assert s.ended_at == T0 + 20 and not s.room_open


def test_failed_while_connecting_never_rings():
    s = at(plan(ring_at=None, answer_at=None, give_up_at=2.0, outcome="failed", failure_reason="network_error"), 8)
    assert (s.status, s.ringing_at, s.failure_reason) == ("failed", None, "network_error")


def test_rings_until_told_then_answer_intervention():
    p = plan(answer_at=None, give_up_at=None)
    assert at(p, 10_000).status == "ringing"
    answer = Intervention(T0 + 100, "answer")
    s = at(p, 101, [answer])
    assert s.status == "active" and s.answered_at == T0 + 100
    assert [t.text for t in s.turns] == ["Hello"]  # scripted pace from the answer
    assert at(p, 160, [answer]).status == "completed"


def test_answered_then_dropped():
    s = at(plan(talk_for=15.0, outcome="failed", failure_reason="call_dropped"), 30)
    assert (s.status, s.failure_reason, s.summary) == ("failed", "call_dropped", None)
    assert [t.text for t in s.turns] == ["Hello", "Hi"]


@pytest.mark.parametrize("when,started", [(2, False), (5.5, True), (8, True), (30, True)])
def test_cancel_from_every_live_or_waiting_status(when, started):
    cancel = Intervention(T0 + when, "end", status="cancelled")
    before = at(plan(), when - 0.01)
    s = at(plan(), 1000, [cancel])
    assert before.status != "cancelled"
    assert s.status == "cancelled" and s.ended_at == T0 + when
    assert (s.started_at is not None) is started
    assert s.summary is None and not s.room_open
    assert all(t.at <= T0 + when for t in s.turns)


def test_interventions_after_the_end_change_nothing():
    late = Intervention(T0 + 100, "end", status="cancelled")
    assert at(plan(), 200, [late]).status == "completed"


def test_intervention_not_yet_happened_is_not_applied():
    cancel = Intervention(T0 + 30, "end", status="cancelled")
    assert at(plan(), 29, [cancel]).status == "active"


def test_scheduled_and_queued_wait_then_start():
    p = plan(waiting_status="scheduled", scheduled_at=T0 + 5)
    assert at(p, 4).status == "scheduled" and at(p, 4).started_at is None
    assert at(p, 5).status == "connecting"
    q = plan(waiting_status="queued")
    assert at(q, 1).status == "queued"
    started = at(q, 2.5, [Intervention(T0 + 2, "start")])
    assert started.status == "connecting" and started.started_at == T0 + 2


def test_mute_hands_over_to_a_human():
    mute = Intervention(T0 + 17, "mute", identity="agent")
    s = at(plan(), 25, [mute])
    assert [t.text for t in s.turns] == ["Hello", "Hi", "Human here"]
    assert s.turns[-1].at == T0 + 19 and s.agent_muted
    people = {x.identity: x for x in s.participants}
    assert people["agent"].muted_at == T0 + 17 and people["human"].joined_at == T0 + 18


def test_injected_turn_is_spoken_in_order():
    say = Intervention(T0 + 14, "say", turn=Turn(0.0, "customer", "Injected"))
    assert [t.text for t in at(plan(), 16, [say]).turns] == ["Hello", "Injected", "Hi"]
    assert [t.text for t in at(plan(), 13, [say]).turns] == ["Hello"]


def test_plan_rejects_impossible_timelines():
    with pytest.raises(ValueError):
        plan(start_at=T0 - 1)
    with pytest.raises(ValueError):
        plan(ring_at=5.0, answer_at=2.0)
    with pytest.raises(ValueError):
        plan(outcome="active")
