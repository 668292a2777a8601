"""The change log: every write to the emulator's state, in order.

State is what the log says happened, never what was derived from it: a call
created (its plan), an intervention, a tenant put or removed, a clock set, a
stream counter moved, a fault rule added... Replaying the log from its last
baseline rebuilds every in-memory index. Snapshots, lists and response
bodies are never logged.

Two logs share one interface: `MemoryLog` (the default: nothing is written
anywhere) and `SqliteLog` (emulator.core.sqlite_log: a file, WAL mode). Who
writes never knows which it has.

A kind of state is one change type: `register(kind)` gives the function that
applies a logged change of that kind to the running state on replay. The
function receives the state holder (the app's state: `.engine`, `.faults`,
...) and the change's data (plain JSON).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, NamedTuple, Protocol

Apply = Callable[[Any, dict], None]

CHANGE_TYPES: dict[str, Apply] = {}
_WITH_ROW: set[str] = set()  # kinds whose function also receives the change's row


def register(kind: str, *, with_row: bool = False) -> Callable[[Apply], Apply]:
    def wrap(fn: Apply) -> Apply:
        if kind in CHANGE_TYPES and CHANGE_TYPES[kind] is not fn:
            raise ValueError(f"change type {kind!r} registered twice")
        CHANGE_TYPES[kind] = fn
        if with_row:
            _WITH_ROW.add(kind)
        return fn

    return wrap


# Indexes kept outside the store (a provider's open retry chains...) are
# derived from the calls: after a state is restored or imported, each of
# these rebuilds its own from the engine.
REBUILDERS: list[Callable[[Any], None]] = []


def rebuilt(fn: Callable[[Any], None]) -> Callable[[Any], None]:
    REBUILDERS.append(fn)
    return fn


def rebuild(engine: Any) -> None:
    for fn in REBUILDERS:
        fn(engine)


class Change(NamedTuple):
    seq: int
    kind: str
    wall: float  # wall-clock time it was written (epoch seconds)
    data: dict


class UnknownChange(ValueError):
    """The log holds a change this version cannot apply."""


class ChangeLog(Protocol):
    """Where changes go. `append` records a change (its data: plain JSON
    values, dataclasses, tuples) and, apart from it, an optional `detail`
    (bulk such as a whole plan, not read back at replay), and returns the
    change's row number when the log keeps rows; `detail(row)` reads a
    detail back and `copy(row)` appends a copy of a row's change; `flush` makes every appended change durable
    and returns once it is; `rebase` replaces the whole log by one baseline
    change (a reset, an import, a compaction), durable with what follows it
    at the next flush; `mark` and `truncate` take back what was appended
    since a mark and not yet flushed (a write that failed); `read` yields the changes from the last baseline on,
    oldest first."""

    enabled: bool

    def append(self, kind: str, detail: Any = None, **data: Any) -> int | None: ...

    def detail(self, row: int) -> Any: ...

    def copy(self, row: int) -> int: ...

    def flush(self) -> None: ...

    def mark(self) -> int: ...

    def truncate(self, mark: int) -> None: ...

    def rebase(self, kind: str, **data: Any) -> None: ...

    def read(self) -> Iterator[Change]: ...

    def close(self) -> None: ...


class MemoryLog:
    """Nothing is written: the state lives in memory only."""

    enabled = False

    def append(self, kind: str, detail: Any = None, **data: Any) -> None:
        return None

    def detail(self, row: int) -> Any:
        raise LookupError("a memory log keeps no rows")

    def copy(self, row: int) -> int:
        raise LookupError("a memory log keeps no rows")

    def flush(self) -> None:
        pass

    def mark(self) -> int:
        return 0

    def truncate(self, mark: int) -> None:
        pass

    def rebase(self, kind: str, **data: Any) -> None:
        pass

    def read(self) -> Iterator[Change]:
        return iter(())

    def close(self) -> None:
        pass


NO_LOG = MemoryLog()


def apply(state: Any, change: Change) -> None:
    fn = CHANGE_TYPES.get(change.kind)
    if fn is None:
        raise UnknownChange(f"change #{change.seq} has unknown type {change.kind!r}")
    if change.kind in _WITH_ROW:
        fn(state, change.data, change.seq)
    else:
        fn(state, change.data)
