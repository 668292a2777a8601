"""The event hub: every event the scheduler releases, in one JSON shape,
kept in a bounded outbox (newest kept) and handed to subscribers.

The shape (the shared event model)::

    {"id": "evt_000000000042", "seq": 42, "type": "call.status_changed",
     "at": "2025-12-01T15:30:12.000Z", "tenant": "org_abc123", "vendor": "heppu",
     "callId": "call_def456", "room": "room_...", "data": {...}}

`seq` grows by one per event, across tenants, and survives reset and import.

In-process consumers (webhooks, LiveKit webhooks, the dashboard) use:

- ``hub.subscribe(callback, tenant=None, call_id=None) -> unsubscribe``:
  ``callback(event_dict)`` is called synchronously, in order, on the
  server's event loop as each event happens; it must not block (queue work).
- ``hub.follow(tenant=None, call_id=None, after=None)``: an async iterator
  of event dicts, starting after seq `after` (what the outbox still holds)
  or with the next event; it never skips an event the outbox still has.
- ``hub.since(seq, ...)`` / ``hub.list(...)``: what the outbox holds.

Reach it as ``app.state.events``.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Callable

from emulator.core.scheduler import Emitted, drive
from emulator.core.timeutil import iso_millis

class Event(dict):
    """An event as the JSON shape above; `.instant` keeps the exact virtual
    instant (epoch seconds) for in-process consumers that render the call."""

    __slots__ = ("instant",)

OUTBOX_SIZE = 10_000


class Subscription:
    __slots__ = ("callback", "tenant", "call_id")

    def __init__(self, callback: Callable[[Event], None], tenant: str | None, call_id: str | None) -> None:
        self.callback = callback
        self.tenant = tenant
        self.call_id = call_id

    def wants(self, ev: Event) -> bool:
        return (self.tenant is None or ev["tenant"] == self.tenant) and (self.call_id is None or ev["callId"] == self.call_id)


class EventHub:
    def __init__(self, size: int = OUTBOX_SIZE) -> None:
        self.size = size
        self._items: list[Event] = []  # contiguous seqs, oldest first
        self.last_seq = 0
        self._subs: list[Subscription] = []
        self._engine = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        # What followers wait on: made when one takes it, set (and dropped)
        # by the next event. No follower, nothing to do per event.
        self._pulse: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    # -- wiring ---------------------------------------------------------------

    def attach(self, engine) -> None:
        """Listen to a (new) engine's scheduler; numbering goes on."""
        self._engine = engine
        engine.scheduler.seq = max(engine.scheduler.seq, self.last_seq)
        engine.scheduler.listeners.append(self.publish)
        engine.scheduler.waker = self.wake
        self.wake()

    def clear(self) -> None:
        self._items.clear()

    def start(self, current_scheduler: Callable, released: Callable[[], None] | None = None) -> None:
        """Drive the scheduler from the running loop (the app's lifespan);
        `released()` runs after each timer release that ran a job."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(drive(current_scheduler, self._wake, released))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    def wake(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    # -- publishing -----------------------------------------------------------

    def publish(self, e: Emitted) -> None:
        tenant = self._engine.tenants.get(e.tenant) if self._engine is not None else None
        ev = Event(
            id=f"evt_{e.seq:012d}",
            seq=e.seq,
            type=e.type,
            at=iso_millis(e.at),
            tenant=e.tenant,
            vendor=tenant.vendor if tenant is not None else None,
            callId=e.call_id,
            room=e.room,
            data=e.data,
        )
        ev.instant = e.at
        if self._items and e.seq != self.last_seq + 1:
            self._items.clear()  # numbering jumped (an imported state): keep the outbox contiguous
        self._items.append(ev)
        self.last_seq = e.seq
        if len(self._items) > 2 * self.size:
            del self._items[: len(self._items) - self.size]
        for sub in list(self._subs):
            if sub.wants(ev):
                sub.callback(ev)
        self._pulse_now()

    def _pulse_now(self) -> None:
        """Wake every follower: the pulse they wait on fires, the next one
        taken is a new one."""
        if self._pulse is None:
            return  # no follower took one since the last event
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and (loop is None or running is loop):
            old, self._pulse = self._pulse, None
            old.set()
        elif loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._pulse_now)

    def _take_pulse(self) -> asyncio.Event:
        pulse = self._pulse
        if pulse is None:
            pulse = self._pulse = asyncio.Event()
        return pulse

    # -- reading --------------------------------------------------------------

    def _held(self) -> list[Event]:
        return self._items[-self.size :]

    def since(self, seq: int, tenant: str | None = None, call_id: str | None = None) -> list[Event]:
        items = self._held()
        if not items:
            return []
        first = items[0]["seq"]
        out = items[max(0, seq + 1 - first) :]
        if tenant is not None or call_id is not None:
            out = [e for e in out if (tenant is None or e["tenant"] == tenant) and (call_id is None or e["callId"] == call_id)]
        return out

    def list(self, tenant: str | None = None, call_id: str | None = None, type_: str | None = None, limit: int | None = None) -> list[Event]:
        """What the outbox holds, oldest first; with `limit`, the newest `limit`."""
        out = [
            e
            for e in self._held()
            if (tenant is None or e["tenant"] == tenant) and (call_id is None or e["callId"] == call_id) and (type_ is None or e["type"] == type_)
        ]
        return out[-limit:] if limit else out

    def subscribe(self, callback: Callable[[Event], None], tenant: str | None = None, call_id: str | None = None) -> Callable[[], None]:
        sub = Subscription(callback, tenant, call_id)
        self._subs.append(sub)
        return lambda: self._subs.remove(sub) if sub in self._subs else None

    async def follow(
        self, tenant: str | None = None, call_id: str | None = None, after: int | None = None, idle: float | None = None
    ) -> AsyncIterator[Event | None]:
        """Events as they happen (after seq `after`, or from now). With
        `idle`, yields None after that many seconds without an event (for
        heartbeats)."""
        last = self.last_seq if after is None else after
        while True:
            pulse = self._take_pulse()
            batch = self.since(last, tenant, call_id)
            last = max(last, self.last_seq)
            for ev in batch:
                yield ev
            if batch:
                continue
            try:
                await asyncio.wait_for(pulse.wait(), idle)
            except TimeoutError:
                yield None

