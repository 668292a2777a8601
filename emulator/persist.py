"""Persistence: the app's state kept in a change log (memory only, or an
SQLite file in a data dir) and rebuilt from it at start.

The log starts with one `state.baseline` change: the whole state at a reset,
an import or the first start (the export document without its calls, plus
what it leaves out: clock anchors, the demo stream, fault rules), followed by
the calls as `call.created` and `call.intervened` changes. Every later write is one
small change after it (emulator.core.changes). A reset or an import
replaces the log by a new baseline, so what is stored is reset too.

Durability: `CommitMiddleware` commits whatever a request changed before
the response starts, so a client only ever sees an answer for a change that
is on disk.
"""

from __future__ import annotations

import asyncio
import gc
import os
from pathlib import Path

from emulator.core import replay  # noqa: F401  (registers the core change types)
from emulator.core.changes import NO_LOG, ChangeLog, apply, register
from emulator.core.clock import Clock
from emulator.core.engine import clock_fields
from emulator.core.sqlite_log import FILE_NAME, DataDirError, SqliteLog
from emulator.events import stored  # noqa: F401  (registers the webhooks' change types)
from emulator.events.webhooks import delivery_doc


BASELINE = "state.baseline"


@register("events.counted")
def _events_counted(state, data: dict) -> None:
    state.engine.scheduler.seq = max(state.engine.scheduler.seq, data["seq"])
    state.events.last_seq = max(state.events.last_seq, data["seq"])


class Persistence:
    def __init__(self, changes: ChangeLog = NO_LOG, *, read_only: bool = False) -> None:
        self.log = changes
        self.read_only = read_only
        self.closed = False
        self._event_seq = 0
        self._app = None
        self._soon = False

    @classmethod
    def open(cls, data_dir: Path | None) -> "Persistence":
        return cls(SqliteLog(data_dir)) if data_dir is not None else cls()

    @property
    def enabled(self) -> bool:
        return self.log.enabled

    # -- start ---------------------------------------------------------------

    def start(self, app) -> bool:
        """Rebuild the app's state from the log; on an empty log, store the
        state the app was built with. True if a stored state was restored."""
        if not self.log.enabled:
            return False
        changes = self.log.read()
        first = next(changes, None)
        if first is None:
            if not self.read_only:
                self.rebase(app)
            return False
        if first.kind != BASELINE:
            raise DataDirError(f"{self.log.path}: the stored log does not start with a baseline (found {first.kind!r})")
        # Replay builds millions of small objects that all live on: the
        # cyclic collector would rescan them again and again (more than
        # half the start-up time with 100,000 calls). Afterwards they go to
        # the permanent generation, which collections leave alone.
        collecting = gc.isenabled()
        gc.disable()
        try:
            scheduler = restore_baseline(app, first.data)
            app.state.engine.store.plans.rows = self.log  # plans are read from their rows
            for change in changes:
                apply(app.state, change)
            from emulator.control.state import restore_scheduler

            restore_scheduler(app.state.engine, scheduler)
        finally:
            if collecting:
                gc.enable()
        gc.freeze()
        self._event_seq = app.state.engine.scheduler.seq
        if not self.read_only:
            self.attach(app)
            app.state.webhooks.resume()
        return True

    def attach(self, app) -> None:
        self._app = app
        app.state.engine.attach(self.log)
        app.state.faults.log = self.log
        if self.log.enabled:
            app.state.webhooks.changes = self.log
            app.state.webhooks.commit = self.soon

    def rebase(self, app) -> None:
        """The log becomes the app's current state, as one baseline."""
        if self.read_only:
            return
        gc.unfreeze()  # what a restore froze may be garbage now
        if self.log.enabled:
            # The calls follow the baseline as changes of their own, in the
            # same transaction: replayed like any others, quickly.
            self.log.rebase(BASELINE, **baseline(app))
            app.state.engine.store.write_all(self.log)
            hooks = app.state.webhooks
            self.log.append("webhooks.counted", **hooks.counters())
            for d in hooks.pending.values():
                self.log.append("delivery.queued", delivery=delivery_doc(d, hooks.endpoints[d.endpoint]))
            self.log.flush()
        self.attach(app)

    def flush(self, app=None) -> None:
        """Commit; with `app`, its event counter too when events were emitted
        since (ids an SSE client resumes from never go back after a restart)."""
        if app is not None and self.log.enabled and not self.read_only:
            seq = app.state.engine.scheduler.seq
            if seq != self._event_seq:
                self.log.append("events.counted", seq=seq)
                self._event_seq = seq
        self.log.flush()

    def soon(self) -> None:
        """Commit once the running loop's current step is done: changes made
        outside requests (webhook deliveries) share one commit."""
        if self._soon or self.closed:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the next commit takes them
        self._soon = True
        loop.call_soon(self._commit_soon)

    def _commit_soon(self) -> None:
        self._soon = False
        if not self.closed:
            self.flush(self._app)

    def close(self) -> None:
        self.log.flush()
        self.log.close()
        self.closed = True


def baseline(app) -> dict:
    from emulator.control.state import export_state

    engine = app.state.engine
    return {
        "state": export_state(engine, app.state.webhooks, calls=False).model_dump(mode="json"),
        "clocks": {
            "global": clock_fields(engine.clocks.global_clock),
            "tenants": {t: clock_fields(c) for t, c in engine.clocks.tenants().items()},
        },
        "faults": app.state.faults.dump(),
    }


def restore_baseline(app, data: dict):
    """The engine, tenants, clocks, webhooks and fault rules of a baseline;
    returns its scheduler section, restored once the calls are replayed."""
    from emulator.control.state import StateDoc, restore_webhooks
    from emulator.core.tenants import Tenants, tenant_from_dict

    doc = StateDoc.model_validate(data["state"])
    g = data["clocks"]["global"]
    clock = Clock(g["mode"], speed=g["speed"], now=g["now"])
    clock.restore(g["mode"], g["speed"], g["now"], g["wall"])
    settings = app.state.settings.model_copy(update={"seed": doc.seed})
    app.state.settings = settings
    engine = app.state.build_engine(
        settings,
        clock=clock,
        tenants=Tenants([tenant_from_dict(t.model_dump()) for t in doc.tenants]),
        fixture_calls=False,
        start_demo=False,
    )
    for tenant_id, c in data["clocks"]["tenants"].items():
        engine.clocks.own(tenant_id).restore(c["mode"], c["speed"], c["now"], c["wall"])
    for call in doc.calls:
        engine.store.add(call.plan, call.interventions)
    engine.store.restore_streams(doc.streams)
    app.state.engine = engine
    app.state.events.attach(engine)
    app.state.events.last_seq = doc.scheduler.eventSeq
    restore_webhooks(app, doc.webhooks)
    app.state.faults.seed = doc.seed
    app.state.faults.load(data["faults"])
    return doc.scheduler


class CommitMiddleware:
    """Commits the request's changes before its response starts."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        persistence = scope["app"].state.persistence
        if not persistence.enabled:
            return await self.app(scope, receive, send)

        async def committed(message):
            if message["type"] == "http.response.start":
                persistence.flush(scope["app"])
            await send(message)

        await self.app(scope, receive, committed)


def timer_commit(app):
    """What the scheduler's timer calls after a release that ran a job: with
    a data dir, a commit (events, demo calls and the webhook deliveries they
    queued are then durable before anything reads them); else nothing."""
    persistence = app.state.persistence
    if not persistence.enabled or persistence.read_only:
        return None
    return lambda: persistence.flush(app)


def stored_state_exists(data_dir: Path) -> bool:
    return (Path(data_dir) / FILE_NAME).is_file()


def start(app) -> None:
    """Restore the stored state (with a data dir), then import the
    settings' import file if any."""
    app.state.persistence.start(app)
    path = app.state.settings.import_file
    if path is not None:
        from emulator.control.errors import ControlError
        from emulator.control.state import import_state, parse_state

        try:
            import_state(app, parse_state(Path(path).read_bytes()))
        except OSError as exc:
            raise DataDirError(f"cannot read {path}: {exc.strerror}") from None
        except ControlError as exc:
            raise DataDirError(f"{path}: {exc.message}") from None


def export_document(app) -> bytes:
    """The state document, as GET /_emulator/state answers it."""
    from emulator.control.state import export_state

    return export_state(app.state.engine).model_dump_json().encode()


def shut_down(app) -> None:
    """Write the export-on-exit file, then commit and close the log."""
    persistence = app.state.persistence
    if persistence.closed:
        return
    path = app.state.settings.export_on_exit
    try:
        if path is not None:
            # Whole or not at all: a new file renamed over the old one.
            tmp = Path(f"{path}.tmp")
            tmp.write_bytes(export_document(app))
            os.replace(tmp, path)
    finally:
        persistence.flush(app)
        persistence.close()
