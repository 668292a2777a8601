"""What the store keeps per call: a few index fields and where the plan
comes from, not the plan itself.

A plan (emulator.core.plan) is about 8 KB of turns, participants and dicts.
A record holds instead one of three sources:

- a `Recipe`: the inputs the plan was drawn from (seed stream and index,
  the agent as it was, the provider's style, the creation instant and what
  the request fixed), redrawn by the generator on demand;
- a row number: the plan is stored whole in the change log's database and
  decoded on demand;
- the plan itself (fixture calls and imported calls without a database).

`record.plan` expands the first two through the store's bounded cache of
recent plans, so providers read plans as they always did. What indexes and
liveness need (id, tenant, room, final status and instant, the attributes
providers mark) stays on the record, so no index ever expands a plan.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from emulator.core.lifecycle import CallSnapshot, snapshot
from emulator.core.generate import Generator
from emulator.core.plan import CallPlan
from emulator.core.replay import plan_from_json

if TYPE_CHECKING:
    from emulator.core.generate import CallStyle
    from emulator.core.tenants import Agent

INF = float("inf")
OPEN = (None, None)  # final() of a call that runs until told

# Plan attributes a provider looks up across all calls (Heppu's retry chains
# after a restore): kept on the record, so that never expands every plan.
MARKED_ATTRIBUTES: set[str] = set()

# Plans kept expanded: enough for every call a busy test or dashboard looks
# at, small next to a million records (about 8 KB each).
PLAN_CACHE_SIZE = 4096


class Recipe(NamedTuple):
    """What a drawn plan is derived from; Generator.plan(**) redraws it."""

    stream: str
    index: int
    agent: "Agent"  # frozen: the agent as it was when the call was made
    style: "CallStyle"
    created_at: float
    args: bytes | dict  # what the request fixed: JSON when it round-trips, else the dict


def pack_args(args: dict) -> bytes | dict:
    """The request's plan arguments as compact JSON, when JSON gives them
    back exactly (no tuples, non-string keys or non-finite floats)."""
    args = {k: v for k, v in args.items() if v is not None or k not in _NONE_IS_DEFAULT}
    try:
        packed = orjson.dumps(args)
    except TypeError:
        return args
    if orjson.loads(packed) != args:
        return args
    # Calls made by the same request body share one copy. (A copy: orjson's
    # own result sits in a buffer of at least 4 KB.)
    shared = _PACKED.get(packed)
    if shared is None:
        if len(_PACKED) >= 4096:
            _PACKED.clear()
        shared = _PACKED[packed] = bytes(memoryview(packed))
    return shared


_PACKED: dict[bytes, bytes] = {}


# Generator.plan parameters whose default is None: passing None is not passing.
_NONE_IS_DEFAULT = frozenset({"start_delay", "contact_phone", "contact_name", "contact_email", "variables", "script"})


def marks(plan: CallPlan) -> dict | None:
    found = {k: plan.attributes[k] for k in MARKED_ATTRIBUTES if plan.attributes.get(k) is not None}
    return found or None


class CallRecord:
    """One stored call: its plan (through `plan`) plus the interventions
    that happened to it, in time order."""

    __slots__ = ("id", "tenant", "room", "key", "interventions", "marks", "_src", "_plans", "_final", "_pin")

    def __init__(
        self,
        plan: CallPlan | None = None,
        interventions: list | tuple = (),
        *,
        source: Any = None,
        plans: "PlanCache | None" = None,
        head: dict | None = None,
    ) -> None:
        if plan is not None:
            self.id, self.tenant, self.room = plan.id, plan.tenant, plan.room
            self.marks = marks(plan)
        else:
            self.id, self.tenant, self.room = head["id"], head["tenant"], head["room"]
            self.marks = head.get("marks")
        self.interventions = list(interventions) if interventions else ()
        self._src = plan if source is None else source
        self._plans = plans
        self._final = None
        self.key = None  # (created_at, insertion seq, id): set by the store
        self._pin = None

    @property
    def plan(self) -> CallPlan:
        pin = self._pin
        if pin:
            return pin
        src = self._src
        if type(src) is CallPlan:
            return src
        plan = self._plans.get(self)
        if pin is False:  # pinned once read
            self._pin = plan
        return plan

    def pin(self) -> None:
        """Keep the plan expanded, outside the cache: the scheduler pins the
        calls it follows (those not over), which every live list reads."""
        if not self._pin:
            self._pin = self.plan

    def pin_when_read(self) -> None:
        """Pin the plan the first time it is expanded (a live call restored
        unexpanded)."""
        if self._pin is None:
            self._pin = False

    def unpin(self) -> None:
        self._pin = None

    def at(self, now: float) -> CallSnapshot | None:
        return snapshot(self.plan, self.interventions, now)

    def final(self) -> tuple[float | None, str | None]:
        """When the call ends and how, as things stand (None: not until told).
        Kept until the next intervention."""
        f = self._final
        if f is None:
            s = snapshot(self.plan, self.interventions, INF)
            f = self._final = (s.ended_at, s.status) if s is not None and s.ended_at is not None else OPEN
        return f

    def changed(self) -> None:
        """Its interventions changed: what was derived from them is stale."""
        self._final = None


class PlanCache:
    """The most recently used expanded plans, at most `size`."""

    def __init__(self, size: int = PLAN_CACHE_SIZE) -> None:
        self.size = size
        self._lru: OrderedDict[CallRecord, CallPlan] = OrderedDict()
        self.generator = None  # draws Recipe sources (set by the engine)
        self.rows = None  # reads row sources (the change log the store was restored from)
        # Long scans read plans in a worker thread (emulator.web): one
        # expansion at a time, with a generator of the cache's own (a
        # generator's Faker is reseeded per plan, so it cannot be shared
        # with the event loop's).
        self._lock = threading.Lock()

    @property
    def generator(self):
        return self._generator

    @generator.setter
    def generator(self, generator) -> None:
        self._generator = None if generator is None else Generator(generator.seed, generator.scripts)

    def get(self, record: CallRecord) -> CallPlan:
        lru = self._lru
        plan = lru.get(record)
        if plan is not None:
            try:
                lru.move_to_end(record)
            except KeyError:  # evicted by another thread meanwhile
                pass
            return plan
        with self._lock:
            plan = lru.get(record)
            if plan is None:
                plan = self._expand(record)
                self.put(record, plan)
        return plan

    def _expand(self, record: CallRecord) -> CallPlan:
        src = record._src
        if type(src) is int:
            return plan_from_json(self.rows.detail(src))
        return self._generator.plan(
            stream=src.stream,
            index=src.index,
            tenant=record.tenant,
            agent=src.agent,
            style=src.style,
            created_at=src.created_at,
            **(orjson.loads(src.args) if type(src.args) is bytes else src.args),
        )

    def put(self, record: CallRecord, plan: CallPlan) -> None:
        lru = self._lru
        lru[record] = plan
        while len(lru) > self.size:
            try:
                lru.popitem(last=False)
            except KeyError:  # emptied by another thread meanwhile
                break

    def forget(self, record: CallRecord) -> None:
        self._lru.pop(record, None)

    def clear(self) -> None:
        self._lru.clear()

    def __len__(self) -> int:
        return len(self._lru)
