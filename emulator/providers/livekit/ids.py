"""LiveKit ids (RM_, PA_, TR_, SCL_, EV_ + 12 characters) derived from what
they name, so every API names the same room, participant or track the same
way at every moment, and nothing needs storing."""

from __future__ import annotations

import hashlib
import string

_ALPHABET = string.ascii_letters + string.digits


def _id(prefix: str, *parts: str) -> str:
    n = int.from_bytes(hashlib.sha256(":".join(parts).encode()).digest()[:12], "big")
    out = []
    for _ in range(12):
        n, r = divmod(n, len(_ALPHABET))
        out.append(_ALPHABET[r])
    return prefix + "".join(out)


def room_sid(room: str) -> str:
    return _id("RM_", room, "room")


def participant_sid(room: str, identity: str) -> str:
    return _id("PA_", room, identity, "participant")


def track_sid(room: str, identity: str) -> str:
    """The audio track a participant publishes (Trillet's remove-agent names
    the same one in mutedTracks)."""
    return _id("TR_", room, identity, "audio")


def sip_call_id(room: str, identity: str) -> str:
    return _id("SCL_", room, identity, "sip")


def event_id(*parts: str) -> str:
    return _id("EV_", *parts, "event")
