"""Loading fixtures: tenants, conversation scripts and example calls given
as plans with absolute ISO 8601 instants (easier to read than offsets)."""

from __future__ import annotations

import json
from pathlib import Path

from emulator.core.plan import CallPlan, Participant, Turn
from emulator.core.timeutil import parse_instant


def default_dir() -> Path:
    """fixtures/ of a source checkout, or the copy installed with the package."""
    checkout = Path(__file__).resolve().parents[2] / "fixtures"
    if (checkout / "tenants.json").exists():
        return checkout
    from importlib.resources import files

    return Path(str(files("emulator.fixtures")))


def _turn(d: dict, base: float | None) -> Turn:
    at = parse_instant(d["timestamp"]) - base if "timestamp" in d and base is not None else float(d.get("at", 0.0))
    return Turn(
        at=at,
        role=d["role"],
        text=d["text"],
        sentiment=d.get("sentiment", "neutral"),
        topics=tuple(d.get("topics", ())),
        note=d.get("note"),
        suggestion=d.get("suggestion"),
    )


def plan_from_fixture(d: dict) -> CallPlan:
    created = parse_instant(d["createdAt"])
    start = parse_instant(d["startedAt"]) if d.get("startedAt") else created
    ringing = parse_instant(d["ringingAt"]) if d.get("ringingAt") else None
    answered = parse_instant(d["answeredAt"]) if d.get("answeredAt") else None
    ended = parse_instant(d["endedAt"]) if d.get("endedAt") else None
    return CallPlan(
        id=d["id"],
        tenant=d["tenant"],
        created_at=created,
        start_at=start,
        direction=d.get("direction", "outbound"),
        agent_id=d["agentId"],
        agent_name=d["agentName"],
        agent_type=d.get("agentType", "voice"),
        agent_phone=d.get("agentPhone"),
        contact_phone=d["contactPhone"],
        contact_name=d.get("contactName"),
        contact_email=d.get("contactEmail"),
        waiting_status=d.get("waitingStatus", "initiated"),
        scheduled_at=parse_instant(d["scheduledAt"]) if d.get("scheduledAt") else None,
        ring_at=ringing - start if ringing is not None else None,
        answer_at=answered - start if answered is not None else None,
        talk_for=(ended - answered) if (answered is not None and ended is not None) else float(d.get("talkFor", 60.0)),
        give_up_at=(ended - start) if (answered is None and ended is not None) else None,
        outcome=d.get("outcome", "completed"),
        failure_reason=d.get("failureReason"),
        turns=tuple(_turn(t, answered) for t in d.get("turns", ())),
        handover=tuple(_turn(t, None) for t in d.get("handover", ())),
        participants=tuple(
            Participant(
                identity=p["identity"],
                name=p["name"],
                kind=p.get("kind", "agent"),
                joins=p.get("joins", "connect"),
                delay=float(p.get("delay", 0.0)),
                metadata=p.get("metadata", {}),
            )
            for p in d.get("participants", ())
        ),
        room=d.get("room"),
        job_id=d.get("jobId"),
        sip_participant_id=d.get("sipParticipantId"),
        summary=d.get("summary"),
        outcome_label=d.get("outcomeLabel"),
        metadata=d.get("metadata", {}),
        attributes=d.get("attributes", {}),
    )


def load_calls(path: Path) -> list[CallPlan]:
    return [plan_from_fixture(d) for d in json.loads(Path(path).read_text())["calls"]]
