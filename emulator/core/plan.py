"""CallPlan: one call's whole scripted timeline, decided when the call is
created and never changed afterwards. What happens to a call later is an
Intervention, kept beside the plan by the store.

Instants are epoch seconds. Phase offsets (ring_at, answer_at, give_up_at)
count from start_at; turn offsets count from the moment of answer, so a call
answered late (or forced to answer) still talks at the scripted pace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Every status either vendor knows; providers map them to their own words.
STATUSES = (
    "scheduled",
    "queued",
    "initiated",
    "connecting",
    "ringing",
    "active",
    "completed",
    "failed",
    "cancelled",
    "no_answer",
    "busy",
)
LIVE_STATUSES = frozenset({"connecting", "ringing", "active"})
PENDING_STATUSES = frozenset({"scheduled", "queued", "initiated"})
ENDED_STATUSES = frozenset({"completed", "failed", "cancelled", "no_answer", "busy"})

Role = Literal["agent", "customer", "human"]
ParticipantKind = Literal["agent", "caller", "human"]
# When a participant joins: at connect (the room opens), at answer, or when
# a human takes over from a removed agent.
JoinPhase = Literal["connect", "answer", "handover"]


@dataclass(frozen=True, slots=True)
class Turn:
    at: float  # seconds after answer (main script) or after the handover
    role: Role
    text: str
    sentiment: str = "neutral"
    topics: tuple[str, ...] = ()
    note: str | None = None
    suggestion: str | None = None


_new_turn = object.__new__
_TURN_SETTERS = tuple(Turn.__dict__[f].__set__ for f in ("at", "role", "text", "sentiment", "topics", "note", "suggestion"))


def make_turn(at: float, role: Role, text: str, sentiment: str, topics: tuple[str, ...], note: str | None, suggestion: str | None) -> Turn:
    """Turn(at, role, text, sentiment, topics, note, suggestion), every field
    given, at a third of the cost: a frozen dataclass's __init__ sets each
    field through object.__setattr__, and a generated call has dozens of
    turns. (Turn has no __post_init__ to skip.)"""
    t = _new_turn(Turn)
    s_at, s_role, s_text, s_sentiment, s_topics, s_note, s_suggestion = _TURN_SETTERS
    s_at(t, at)
    s_role(t, role)
    s_text(t, text)
    s_sentiment(t, sentiment)
    s_topics(t, topics)
    s_note(t, note)
    s_suggestion(t, suggestion)
    return t


@dataclass(frozen=True, slots=True)
class Participant:
    identity: str
    name: str
    kind: ParticipantKind
    joins: JoinPhase = "connect"
    delay: float = 0.0  # seconds after its join phase
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallPlan:
    id: str
    tenant: str
    created_at: float
    start_at: float  # connecting begins: the room opens, the agent joins
    agent_id: str
    agent_name: str
    contact_phone: str
    direction: Literal["inbound", "outbound"] = "outbound"
    agent_type: str = "voice"
    agent_phone: str | None = None  # the number the call is placed from
    contact_name: str | None = None
    contact_email: str | None = None
    # Before start_at the call waits as scheduled, queued or initiated.
    waiting_status: Literal["scheduled", "queued", "initiated"] = "initiated"
    scheduled_at: float | None = None
    ring_at: float | None = 1.0  # None: never rings (fails while connecting)
    answer_at: float | None = None  # None: not answered
    talk_for: float = 60.0  # answer -> end, when answered
    give_up_at: float | None = None  # end when not answered; None: until told
    outcome: str = "completed"  # final status if nothing intervenes
    failure_reason: str | None = None
    turns: tuple[Turn, ...] = ()
    handover: tuple[Turn, ...] = ()
    participants: tuple[Participant, ...] = ()
    room: str | None = None  # LiveKit room name
    job_id: str | None = None  # agent dispatch job
    sip_participant_id: str | None = None
    summary: str | None = None
    outcome_label: str | None = None  # e.g. "resolved"
    metadata: dict = field(default_factory=dict)
    # Provider-owned data the core carries but never reads (priority,
    # callback URLs, dynamic variables, retry settings...).
    attributes: dict = field(default_factory=dict)
    script: str | None = None
    seed_index: int | None = None
    turn_offsets: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_start(self.created_at, self.start_at)
        if self.answer_at is not None and self.ring_at is not None and self.answer_at < self.ring_at:
            raise ValueError("a call cannot be answered before it rings")
        for p in self.participants:
            # Answering is the callee joining: active means both are in the room.
            if p.kind == "caller" and (p.joins == "handover" or (p.joins == "answer" and p.delay != 0)):
                raise ValueError(f"the callee {p.identity} joins at the answer instant (joins 'answer', delay 0) or earlier")
        if self.outcome not in ENDED_STATUSES:
            raise ValueError(f"outcome must be one of {sorted(ENDED_STATUSES)}")
        # Offsets for bisecting the transcript; precomputed once.
        object.__setattr__(self, "turn_offsets", tuple(t.at for t in self.turns))

    @property
    def natural_end(self) -> float | None:
        """When the call ends if nothing intervenes (absolute), or None."""
        if self.answer_at is not None:
            return self.start_at + self.answer_at + self.talk_for
        if self.give_up_at is not None:
            return self.start_at + self.give_up_at
        return None


def check_start(created_at: float, start_at: float) -> None:
    if start_at < created_at:
        raise ValueError("a call cannot start before it is created")


InterventionKind = Literal["end", "answer", "mute", "leave", "update", "say", "start"]


@dataclass(frozen=True, slots=True)
class Intervention:
    """Something that happened to a call after it was planned, at `at`.

    end:    the call ends now with `status` (and `reason`)
    answer: the callee answers now (if not yet answered)
    mute:   participant `identity` is muted; when it is the AI agent, the
            script hands over to a human
    leave:  participant `identity` leaves the room (removed); an agent
            leaving hands over as a muted one does
    update: participant `identity` changes: `changes` holds a new name,
            metadata and/or attributes (merged into earlier ones)
    say:    `turn` is spoken now
    start:  a waiting call starts connecting now
    """

    at: float
    kind: InterventionKind
    status: str | None = None
    reason: str | None = None
    identity: str | None = None
    turn: Turn | None = None
    changes: dict | None = None
    source: str | None = None  # who did it: "api", "control", ...
