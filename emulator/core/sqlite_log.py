"""The change log in an SQLite file (the standard library's sqlite3), WAL mode.

One table of changes in order (seq, kind, wall time, JSON data, and a
detail: JSON bulk stored after the data, such as a call's whole plan, which
replay never reads: a restart reads only the small data, and a plan is
decoded from its row when the call is first read). Appends go
into an open transaction; `flush` commits it with synchronous=FULL, so once
it returns the changes survive kill -9 (and a power cut). SQLite's WAL
never leaves the file half-written: a change is in, whole, or not at all.

The format carries a version (PRAGMA user_version). Opening upgrades an
older file through MIGRATIONS and refuses one written by a newer version.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator

import orjson

from emulator.core.changes import Change

FILE_NAME = "state.sqlite3"
LOCK_NAME = "state.lock"
SCHEMA_VERSION = 2


def _create_v1(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, wall REAL NOT NULL, data BLOB NOT NULL)"
    )


def _add_detail(db: sqlite3.Connection) -> None:
    """Format 2: a change's bulk in its own column, after the data. Rows of
    format 1 keep everything in `data` and are read as before."""
    db.execute("ALTER TABLE changes ADD COLUMN detail BLOB")


# MIGRATIONS[v] takes a file at version v to v + 1 (v = 0: an empty file).
MIGRATIONS = {0: _create_v1, 1: _add_detail}


class DataDirError(Exception):
    """A data dir that cannot be used (newer format, locked, unreadable)."""


def _jsonable(obj: Any) -> Any:
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(obj)


def encode(data: dict) -> bytes:
    return orjson.dumps(data, default=_jsonable)


class SqliteLog:
    enabled = True

    def __init__(self, data_dir: Path | str, *, lock: bool = True, wall=time.time) -> None:
        self.dir = Path(data_dir)
        self.path = self.dir / FILE_NAME
        self._wall = wall
        self._lock_fd: int | None = None
        self.dir.mkdir(parents=True, exist_ok=True)
        if lock:
            self._take_lock()
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._open()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise DataDirError(f"{self.path} is not a call-emulator database: {exc}") from None
        except DataDirError:
            self.close()
            raise
        self._pending = 0
        self._cut: int | None = None  # rows before this one go at the next flush (a rebase)

    def _take_lock(self) -> None:
        fd = os.open(self.dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise DataDirError(f"data dir {self.dir} is in use by another call-emulator process") from None
        self._lock_fd = fd

    def _open(self) -> None:
        db = self.db
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise DataDirError(
                f"data dir {self.dir} was written by a newer call-emulator (format {version}; this version reads up to {SCHEMA_VERSION})"
            )
        while version < SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE")
            MIGRATIONS[version](db)
            version += 1
            db.execute(f"PRAGMA user_version={version}")
            db.execute("COMMIT")

    # -- writing --------------------------------------------------------------

    def append(self, kind: str, detail: Any = None, **data: Any) -> int:
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
        cur = self.db.execute(
            "INSERT INTO changes (kind, wall, data, detail) VALUES (?, ?, ?, ?)",
            (kind, self._wall(), encode(data), None if detail is None else encode(detail)),
        )
        self._pending += 1
        return cur.lastrowid

    def detail(self, row: int) -> Any:
        found = self.db.execute("SELECT detail FROM changes WHERE seq = ?", (row,)).fetchone()
        if found is None or found[0] is None:
            raise LookupError(f"change #{row} has no detail")
        return orjson.loads(found[0])

    def copy(self, row: int) -> int:
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
        cur = self.db.execute("INSERT INTO changes (kind, wall, data, detail) SELECT kind, wall, data, detail FROM changes WHERE seq = ?", (row,))
        if cur.rowcount != 1:
            raise LookupError(f"no change #{row} to copy")
        self._pending += 1
        return cur.lastrowid

    def mark(self) -> int:
        return self.db.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]

    def truncate(self, mark: int) -> None:
        if self.db.in_transaction:
            self.db.execute("DELETE FROM changes WHERE seq > ?", (mark,))
            if self._cut is not None and self._cut > mark:
                self._cut = None

    def flush(self) -> None:
        if self.db.in_transaction:
            if self._cut is not None:
                self.db.execute("DELETE FROM changes WHERE seq < ?", (self._cut,))
                self._cut = None
            self.db.execute("COMMIT")
        self._pending = 0

    def rebase(self, kind: str, **data: Any) -> None:
        """The whole log becomes this one change (and whatever is appended
        after it), committed together at the next flush. The older rows go
        at that flush, so rows can still be copied (`copy`) until then."""
        self._cut = self.append(kind, **data)

    # -- reading --------------------------------------------------------------

    def read(self) -> Iterator[Change]:
        # The details are not read: they sit after `data` in each row, in
        # overflow pages SQLite then never visits.
        for seq, kind, wall, data in self.db.execute("SELECT seq, kind, wall, data FROM changes ORDER BY seq"):
            yield Change(seq, kind, wall, orjson.loads(data))

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM changes").fetchone()[0]

    def close(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            if db.in_transaction:
                db.execute("COMMIT")
            db.close()
            self.db = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
