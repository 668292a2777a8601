"""What the store keeps per call: a few index fields and where the plan
comes from, not the plan itself.

A plan (emulator.core.plan) is about 8 KB of turns, participants and dicts.
A record holds instead one of three sources:

- a recipe (PlanCache.recipe): the inputs the plan was drawn from (seed
  stream and index, the agent as it was and the provider's style, the
  creation instant and what the request fixed), redrawn by the generator
  on demand;
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
from typing import TYPE_CHECKING, Any

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


def plan_marks(plan: CallPlan) -> dict | None:
    found = {k: plan.attributes[k] for k in MARKED_ATTRIBUTES if plan.attributes.get(k) is not None}
    return found or None


# What a record keeps of its plan for reads across many calls: (agent_id,
# direction, scheduled_at, marks). List filters read the first three of
# every call in their window; a provider reads the marks of all calls.
Facts = tuple
_SHARED_FACTS: dict[Facts, Facts] = {}
_UNREAD = object()  # the facts of a call stored before records kept them


def facts(agent_id: str, direction: str, scheduled_at: float | None, marks: dict | None) -> Facts:
    """A call's facts as its record keeps them: the calls of an agent that
    were neither scheduled nor marked (most calls) share one tuple, and
    such a tuple holds plain values only, so the collector stops tracking
    it."""
    found = (agent_id, direction, scheduled_at, marks)
    if scheduled_at is not None or marks is not None:
        return found
    shared = _SHARED_FACTS.get(found)
    if shared is None:
        if len(_SHARED_FACTS) >= 4096:
            _SHARED_FACTS.clear()
        shared = _SHARED_FACTS[found] = found
    return shared


def plan_facts(plan: CallPlan) -> Facts:
    return facts(plan.agent_id, plan.direction, plan.scheduled_at, plan_marks(plan))


class CallRecord:
    """One stored call: its plan (through `plan`) plus the interventions
    that happened to it, in time order."""

    # Ten slots: an eleventh moves a record to pymalloc's next size class,
    # and a full collection over a million of them takes half as long again.
    __slots__ = ("id", "tenant", "room", "key", "interventions", "_facts", "_src", "_plans", "_final", "_pin")

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
            self._facts = plan_facts(plan)
        else:
            self.id, self.tenant, self.room = head["id"], head["tenant"], head["room"]
            kept = head.get("facts")  # a head written before facts were kept has only the marks
            self._facts = facts(*kept, head.get("marks")) if kept is not None else (_UNREAD, None, None, head.get("marks"))
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

    @property
    def facts(self) -> Facts:
        """(agent_id, direction, scheduled_at, marks) of its plan, read
        without expanding it: a filtered list looks at every call in its
        window."""
        found = self._facts
        if found[0] is _UNREAD:
            p = self.plan
            found = self._facts = facts(p.agent_id, p.direction, p.scheduled_at, found[3])
        return found

    @property
    def marks(self) -> dict | None:
        """The plan's marked attributes (MARKED_ATTRIBUTES), or None."""
        return self._facts[3]

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
        self.generator = None  # draws recipe sources (set by the engine)
        self.rows = None  # reads row sources (the change log the store was restored from)
        # Long scans read plans in a worker thread (emulator.web): one
        # expansion at a time, with a generator of the cache's own (a
        # generator's Faker is reseeded per plan, so it cannot be shared
        # with the event loop's).
        self._lock = threading.Lock()
        # The (agent, style) pairs recipes were drawn with, numbered: a
        # recipe holds the number, so it holds no object the collector
        # tracks. Few pairs (an agent's every version), kept for the store's life.
        self._drawn_with: list[tuple[Agent, CallStyle]] = []
        self._numbers: dict[tuple[int, int], int] = {}

    def recipe(self, stream: str, index: int, agent: Agent, style: CallStyle, created_at: float, args: bytes | dict) -> tuple:
        """What a record keeps to redraw its plan: (stream, index, the number
        of the (agent, style) pair, created_at, args), `args` what the request
        fixed (JSON bytes when they round-trip, else the dict). An exact tuple
        of plain values: the collector stops tracking it once it has seen it,
        so a stored call costs each full collection one object, its record
        (with a million stored, each is about half a microsecond of pause)."""
        key = (id(agent), id(style))  # the objects live in _drawn_with: their ids stay theirs
        n = self._numbers.get(key)
        if n is None:
            n = self._numbers[key] = len(self._drawn_with)
            self._drawn_with.append((agent, style))
        return (stream, index, n, created_at, args)

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
        stream, index, drawn_with, created_at, args = src  # a recipe
        agent, style = self._drawn_with[drawn_with]
        return self._generator.plan(
            stream=stream,
            index=index,
            tenant=record.tenant,
            agent=agent,
            style=style,
            created_at=created_at,
            **(orjson.loads(args) if type(args) is bytes else args),
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
