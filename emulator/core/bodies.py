"""Response bodies kept until the call they show next changes.

A call's body at `now` is a pure function of its record and `now`, and it
stays the same from the instant it was rendered until the snapshot's
`next_change` (or sooner: a provider showing a running duration says until
the next whole second). So a poll between changes is one lookup. An entry
holds only for the same record with the same interventions, and only
inside the interval it was rendered for (a clock set back misses).
Bounded: the oldest entries go first."""

from __future__ import annotations

from emulator.core.store import CallRecord


class BodyCache:
    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._entries: dict[tuple, tuple[CallRecord, int, float, float, bytes]] = {}

    def get(self, key: tuple, record: CallRecord, now: float) -> bytes | None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] is record and entry[1] == len(record.interventions) and entry[2] <= now < entry[3]:
            return entry[4]
        return None

    def put(self, key: tuple, record: CallRecord, now: float, until: float | None, body: bytes) -> bytes:
        entries = self._entries
        entries.pop(key, None)
        if len(entries) >= self.size:
            del entries[next(iter(entries))]
        entries[key] = (record, len(record.interventions), now, float("inf") if until is None else until, body)
        return body

    def clear(self) -> None:
        self._entries.clear()
