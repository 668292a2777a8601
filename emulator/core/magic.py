"""Magic phone numbers: calling one forces an outcome, whichever API places
the call. Every other number draws its outcome from the seed.

Each entry is a set of CallPlan overrides applied when the call is created;
fields the request gives explicitly win over the table. Timings are fixed so
a test under a manual clock knows exactly when each phase happens (offsets
from the moment the call starts connecting, talk time from the answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class MagicNumber:
    phone: str
    name: str
    description: str
    overrides: dict = field(default_factory=dict)


MAGIC_NUMBERS: tuple[MagicNumber, ...] = (
    MagicNumber(
        "+15005550001", "completed", "Answered after 5 s, talks 60 s, completes",
        dict(start_delay=1.0, outcome="completed", failure_reason=None, ring_at=1.0, answer_at=5.0, talk_for=60.0, give_up_at=None),
    ),
    MagicNumber(
        "+15005550002", "busy", "Rings 2 s, then busy",
        dict(start_delay=1.0, outcome="busy", failure_reason=None, ring_at=1.0, answer_at=None, give_up_at=3.0),
    ),
    MagicNumber(
        "+15005550003", "no_answer", "Rings 30 s, nobody answers: no_answer",
        dict(start_delay=1.0, outcome="no_answer", failure_reason=None, ring_at=1.0, answer_at=None, give_up_at=31.0),
    ),
    MagicNumber(
        "+15005550004", "failed_no_answer", "Rings 30 s, then failed with failureReason no_answer",
        dict(start_delay=1.0, outcome="failed", failure_reason="no_answer", ring_at=1.0, answer_at=None, give_up_at=31.0),
    ),
    MagicNumber(
        "+15005550005", "failed_network_error", "Never rings: failed after 2 s with failureReason network_error",
        dict(start_delay=1.0, outcome="failed", failure_reason="network_error", ring_at=None, answer_at=None, give_up_at=2.0),
    ),
    MagicNumber(
        "+15005550006", "dropped", "Answered after 5 s, dropped 20 s into the conversation: failed, call_dropped",
        dict(start_delay=1.0, outcome="failed", failure_reason="call_dropped", ring_at=1.0, answer_at=5.0, talk_for=20.0, give_up_at=None),
    ),
    MagicNumber(
        "+15005550007", "voicemail", "Voicemail answers after 20 s; the agent leaves a message; completed",
        dict(start_delay=1.0, script="voicemail", outcome="completed", failure_reason=None, ring_at=1.0, answer_at=21.0, give_up_at=None),
    ),
    MagicNumber(
        "+15005550008", "long", "Answered after 5 s and talks for an hour; completed",
        dict(start_delay=1.0, outcome="completed", failure_reason=None, ring_at=1.0, answer_at=5.0, talk_for=3600.0, give_up_at=None),
    ),
    MagicNumber(
        "+15005550009", "rings_until_told", "Rings until the control plane answers or ends it",
        dict(start_delay=1.0, outcome="no_answer", failure_reason=None, ring_at=1.0, answer_at=None, give_up_at=None),
    ),
)

_BY_PHONE = {m.phone: m for m in MAGIC_NUMBERS}


def magic_for(phone: str | None) -> MagicNumber | None:
    if not phone:
        return None
    return _BY_PHONE.get("".join(c for c in phone if c == "+" or c.isdigit()))


def with_magic(phone: str | None, plan_args: dict) -> dict:
    """`plan_args` with the magic number's overrides under them."""
    magic = magic_for(phone)
    return {**magic.overrides, **plan_args} if magic else plan_args
