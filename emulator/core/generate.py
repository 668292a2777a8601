"""Seeded generation of call plans: people, numbers, timings, outcomes and
conversations built from the scripts in fixtures/scripts.

Every plan draws from its own random stream seeded by (seed, stream, index),
so the same seed and the same requests give the same calls, byte for byte,
and adding a call in one stream never reshuffles another.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Callable


from emulator.core.people import people
from emulator.core.plan import CallPlan, Participant, Turn, check_start, make_turn
from emulator.core.tenants import Agent

# Real US area codes, so generated numbers look like numbers people have.
_AREA_CODES = ("212", "213", "305", "312", "404", "415", "503", "512", "617", "646", "702", "713", "720", "206", "480")

# How calls end when nothing forces an outcome: (status, failure reason,
# answered?, weight). "Dropped" calls are answered and then fail mid-call.
OUTCOMES = (
    ("completed", None, True, 72),
    ("no_answer", None, False, 9),
    ("busy", None, False, 6),
    ("failed", "no_answer", False, 4),
    ("failed", "network_error", False, 4),
    ("failed", "call_dropped", True, 5),
)


# What random.choices accumulates from the weights on every call (the same draw).
_OUTCOME_WEIGHTS = list(accumulate(o[3] for o in OUTCOMES))

ONLY_ON_REQUEST = frozenset({"voicemail"})
_TRACKING = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Script:
    name: str
    title: str
    agent_names: tuple[str, ...]
    turns: tuple[dict, ...]
    handover: tuple[dict, ...]
    summary: str
    outcome: str


def load_scripts(folder: Path) -> dict[str, Script]:
    scripts = {}
    for path in sorted(Path(folder).glob("*.json")):
        d = json.loads(path.read_text())
        scripts[d["name"]] = Script(
            name=d["name"],
            title=d.get("title", d["name"]),
            agent_names=tuple(d.get("agentNames", ())),
            turns=tuple(d["turns"]),
            handover=tuple(d.get("handover", ())),
            summary=d.get("summary", ""),
            outcome=d.get("outcome", "resolved"),
        )
    return scripts


@dataclass(frozen=True)
class CallStyle:
    """How one provider names the parts of a call. Core calls these hooks and
    never knows which vendor it is talking for."""

    call_id: Callable[[random.Random], str]
    room: Callable[[random.Random, str], str]  # (rng, agent id)
    job_id: Callable[[random.Random], str]
    sip_participant_id: Callable[[random.Random], str]
    agent_identity: str = "agent"
    caller_identity: str = "caller"
    human_identity: str = "human"
    caller_named_by_phone: bool = True  # caller participant's name: number or person
    metadata: Callable[[CallPlan], dict] | None = None
    queued: bool = False  # calls wait as "queued" rather than "initiated"


def random_token(rng: random.Random, n: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    """`n` characters drawn as `rng.choice(alphabet)` draws each, in one
    getrandbits per round instead of three calls per character.

    choice() takes getrandbits(k) (k = len(alphabet).bit_length()) until it
    is below len(alphabet); getrandbits(k <= 32) is the top k bits of one
    32-bit output, and getrandbits(32 * m) is m outputs, the first in the
    lowest bits. So the top byte of each output of a block, shifted, is one
    try: translate() maps the accepted ones and deletes the rejected. A
    round draws only as many outputs as characters are still missing, so
    it never draws past the last one choice() would."""
    table, rejected = _token_tables(alphabet)
    getrandbits = rng.getrandbits
    out = b""
    while n > 0:
        got = getrandbits(32 * n).to_bytes(4 * n, "little")[3::4].translate(table, rejected)
        out += got
        n -= len(got)
    return out.decode("ascii")


@lru_cache(maxsize=64)
def _token_tables(alphabet: str) -> tuple[bytes, bytes]:
    """For each top byte of an output: the character its try draws, and the
    bytes whose try is rejected (an ASCII alphabet of at most 256)."""
    if not 0 < len(alphabet) <= 256 or not alphabet.isascii():
        raise ValueError("random_token draws from an ASCII alphabet of 1 to 256 characters")
    shift = 8 - len(alphabet).bit_length()
    table = bytes(ord(alphabet[b >> shift]) if b >> shift < len(alphabet) else 0 for b in range(256))
    return table, bytes(b for b in range(256) if b >> shift >= len(alphabet))


def hex_id(rng: random.Random, n: int = 24) -> str:
    return random_token(rng, n, "0123456789abcdef")


def e164(rng: random.Random) -> str:
    return "+1" + rng.choice(_AREA_CODES) + str(rng.randint(2, 9)) + f"{rng.randint(0, 99):02d}" + f"{rng.randint(0, 9999):04d}"


class _Fill(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# A script line as the generator reads it: (role, text, whether the text has
# placeholders, sentiment, topics, note or None, suggestion).
_Line = tuple[str, str, bool, str, tuple[str, ...], "str | None", "str | None"]


def _lines(turns: tuple[dict, ...]) -> tuple[_Line, ...]:
    """A script's turns read once: per call only the placeholders are filled."""
    return tuple(
        (t["role"], t["text"], "{" in t["text"] or "}" in t["text"], t.get("sentiment", "neutral"), tuple(t.get("topics", ())),
         t["note"] if t.get("note") else None, t.get("suggestion"))
        for t in turns
    )


class Generator:
    def __init__(self, seed: int, scripts: dict[str, Script]) -> None:
        self.seed = seed
        self.scripts = scripts
        # Scripts a call draws at random; voicemail only when asked for.
        self._everyday = sorted(n for n in scripts if n not in ONLY_ON_REQUEST) or sorted(scripts)
        self._lines = {name: (_lines(s.turns), _lines(s.handover)) for name, s in scripts.items()}
        self._casts: dict[tuple, tuple[Participant, ...]] = {}
        self._cast_members: dict[tuple, Participant] = {}

    def rng(self, stream: str, index: int) -> random.Random:
        digest = hashlib.sha256(f"{self.seed}:{stream}:{index}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    @staticmethod
    def _people(rng: random.Random, created_at: float) -> dict[str, str]:
        # The person comes from a stream of its own (one draw of the call's),
        # so the call's other draws are the same whatever a person costs.
        found = people().draw(random.Random(rng.getrandbits(32)), created_at)
        found.update(
            productName=rng.choice(("Pro plan", "Business Suite", "Premium Support", "Team edition", "Analytics add-on")),
            orderNumber=str(rng.randint(10000, 99999)),
            trackingNumber="1Z" + random_token(rng, 16, _TRACKING),
            appointmentTime=rng.choice(("9:00 AM", "10:30 AM", "1:15 PM", "2:45 PM", "4:00 PM")),
            amount=f"${rng.randint(19, 499)}.{rng.choice(('00', '99', '50'))}",
        )
        return found

    def plan(
        self,
        *,
        stream: str,
        index: int,
        tenant: str,
        agent: Agent,
        style: CallStyle,
        created_at: float,
        start_delay: float | None = None,
        contact_phone: str | None = None,
        contact_name: str | None = None,
        contact_email: str | None = None,
        variables: dict | None = None,
        script: str | None = None,
        fill_contact: bool = True,
        **overrides,
    ) -> CallPlan:
        """A whole call, drawn from the seed. `variables` fill the script's
        placeholders ahead of generated values; `overrides` replace any plan
        field after drawing (outcome, timings, metadata...). With
        `fill_contact=False` a contact name or email not given stays unset
        (the conversation still addresses a generated person)."""
        rng = self.rng(stream, index)
        people = self._people(rng, created_at)
        if contact_name:
            first, _, last = contact_name.partition(" ")
            people.update(firstName=first, lastName=last or people["lastName"])
        people.update({k: str(v) for k, v in (variables or {}).items()})
        name = contact_name or f"{people['firstName']} {people['lastName']}"
        phone = e164(rng) if contact_phone is None else contact_phone  # "": no number (a web call)

        status, reason, answered, _ = rng.choices(OUTCOMES, cum_weights=_OUTCOME_WEIGHTS)[0]
        start_delay = rng.uniform(1.0, 5.0) if start_delay is None else start_delay
        ring_at = round(rng.uniform(0.5, 2.5), 3)
        ring_for = round(rng.uniform(3.0, 20.0), 3)
        if status == "busy":
            ring_for = round(rng.uniform(1.0, 3.0), 3)

        chosen = self.scripts.get(script or agent.script or "") or self.scripts[rng.choice(self._everyday)]
        fill = _Fill(people, agentName=agent.name)
        lines, handover_lines = self._lines[chosen.name]
        turns, talk_for = self._conversation(rng, lines, fill)
        if status == "failed" and answered:  # dropped part-way through
            talk_for = round(talk_for * rng.uniform(0.25, 0.7), 3)
        handover = self._pace(rng, handover_lines, _texts(handover_lines, fill), fill, start=3.0)

        participants = self._participants(style, agent.name, phone if style.caller_named_by_phone else name)
        start_at = created_at + start_delay
        # The drawn plan's own check (only its start can be wrong), before
        # the overrides replace any field: a request that moves the start
        # still cannot undo a negative delay.
        check_start(created_at, start_at)
        fields = dict(
            id=style.call_id(rng),
            tenant=tenant,
            created_at=created_at,
            start_at=start_at,
            agent_id=agent.id,
            agent_name=agent.name,
            agent_type=agent.type,
            agent_phone=agent.phone_numbers[0] if agent.phone_numbers else None,
            contact_phone=phone,
            contact_name=name if fill_contact else contact_name,
            contact_email=contact_email if contact_email is not None or not fill_contact else people["email"],
            waiting_status="queued" if style.queued else "initiated",
            ring_at=ring_at,
            answer_at=round(ring_at + ring_for, 3) if answered else None,
            talk_for=talk_for,
            give_up_at=None if answered else round(ring_at + ring_for, 3),
            outcome=status,
            failure_reason=reason,
            turns=turns,
            handover=handover,
            participants=participants,
            room=style.room(rng, agent.id),
            job_id=style.job_id(rng),
            sip_participant_id=style.sip_participant_id(rng),
            summary=chosen.summary.format_map(fill) if chosen.summary else None,
            outcome_label=chosen.outcome,
            script=chosen.name,
            seed_index=index,
        )
        if overrides:
            fields.update(overrides)
        plan = CallPlan(**fields)  # built once: each build checks and copies every field
        if style.metadata is not None and "metadata" not in overrides:
            # The style's metadata reads the finished plan; set on the new
            # plan, which nothing else has seen yet.
            object.__setattr__(plan, "metadata", style.metadata(plan))
        return plan

    def _participants(self, style: CallStyle, agent_name: str, caller_name: str) -> tuple[Participant, ...]:
        """The room's cast. Equal participants are shared objects, equal
        casts one shared tuple (they are frozen): every object a live call
        holds is walked by each full garbage collection, and the calls of
        an agent differ in their callee at most."""
        key = (style.agent_identity, agent_name, style.caller_identity, caller_name, style.human_identity)
        cast = self._casts.get(key)
        if cast is None:
            if len(self._casts) >= 4096:
                self._casts.clear()
                self._cast_members.clear()
            cast = self._casts[key] = (
                self._member(style.agent_identity, agent_name, "agent", "connect", 0.0),
                # The callee is in the room from the answer instant: a call is
                # never active with only the agent in its room.
                self._member(style.caller_identity, caller_name, "caller", "answer", 0.0),
                self._member(style.human_identity, "Human agent", "human", "handover", 1.0),
            )
        return cast

    def _member(self, *fields) -> Participant:
        p = self._cast_members.get(fields)
        if p is None:
            p = self._cast_members[fields] = Participant(*fields)
        return p

    @staticmethod
    def _pace(rng: random.Random, lines: tuple[_Line, ...], texts: list[str], fill: _Fill, start: float, stretch: float = 1.0) -> tuple[Turn, ...]:
        """Space a script's lines (their `texts` filled) as people speak:
        about 15 characters a second, with a pause between speakers."""
        out, t, uniform = [], start, rng.uniform
        for (role, _, _, sentiment, topics, note, suggestion), text in zip(lines, texts):
            out.append(make_turn(round(t, 3), role, text, sentiment, topics, note.format_map(fill) if note else None, suggestion))
            t += (len(text) / 15.0 + uniform(0.4, 1.6)) * stretch
        return tuple(out)

    def _conversation(self, rng: random.Random, lines: tuple[_Line, ...], fill: _Fill) -> tuple[tuple[Turn, ...], float]:
        texts = _texts(lines, fill)
        natural = sum(len(text) / 15.0 + 1.0 for text in texts) + 1.5
        target = rng.uniform(30.0, 360.0)  # talk time: 30 s to 6 min
        stretch = min(max(target / natural, 0.8), 2.5)
        paced = self._pace(rng, lines, texts, fill, start=round(rng.uniform(0.8, 2.0), 3), stretch=stretch)
        last = paced[-1]
        talk_for = round(last.at + len(last.text) / 15.0 * stretch + rng.uniform(2.0, 6.0), 3)
        return paced, talk_for


def _texts(lines: tuple[_Line, ...], fill: _Fill) -> list[str]:
    return [text.format_map(fill) if placeholders else text for _, text, placeholders, *_ in lines]
