"""create_app(settings): wires core, providers and the control plane."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from functools import partial
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from emulator import __version__, persist
from emulator.control.errors import error_body as control_error_body
from emulator.control.fault_rules import Faults
from emulator.control.journal_rows import Journal
from emulator.control import ui
from emulator.core.clock import Clock
from emulator.core.demo import Demo, DemoTarget
from emulator.core.engine import Engine
from emulator.core.fixtures import default_dir, load_calls
from emulator.core.generate import load_scripts
from emulator.core.tenants import Tenants
from emulator.core.timeutil import parse_instant
from emulator.door import Door, DoorMiddleware
from emulator.failsafe import FailsafeMiddleware, atomic_writes
from emulator.events.hub import EventHub
from emulator.events.webhooks import Webhooks
from emulator.http.fast import FastRoutes
from emulator.http.front import Front
from emulator.http.layer import VendorLayer
from emulator.openapi import Specs, control_spec, provider_spec
from emulator.providers.base import Provider, VendorError
from emulator.providers.heppu import PROVIDER as HEPPU
from emulator.providers.livekit import WEBHOOK as LIVEKIT_WEBHOOK, router as LIVEKIT_ROUTER
from emulator.providers.trillet import PROVIDER as TRILLET
from emulator.settings import LOCAL_ORIGINS, Settings

PROVIDERS: list[Provider] = [HEPPU, TRILLET]
log = logging.getLogger("emulator")


def build_engine(
    settings: Settings,
    *,
    clock: Clock | None = None,
    tenants: Tenants | None = None,
    fixture_calls: bool = True,
    start_demo: bool = True,
) -> Engine:
    """An engine from the settings; the control plane passes its own clock
    (reset keeps time), tenants and no fixture calls (importing a state);
    a restored state starts no demo history (its streams are restored)."""
    folder = settings.fixtures or default_dir()
    if clock is None:
        now = parse_instant(settings.now) if settings.now else None
        clock = Clock(settings.clock, speed=settings.speed, now=now)
    if tenants is None:
        tenants = Tenants.load(settings.tenants or folder / "tenants.json")
    calls_file = folder / "calls.json"
    engine = Engine(
        seed=settings.seed,
        clock=clock,
        tenants=tenants,
        scripts=load_scripts(folder / "scripts"),
        fixture_calls=load_calls(calls_file) if fixture_calls and calls_file.exists() else [],
    )
    for provider in PROVIDERS:
        if provider.attach is not None:
            provider.attach(engine)
    engine.demo = Demo(engine, [DemoTarget(t, p.style) for p in PROVIDERS for t in tenants.of_vendor(p.name)])
    if settings.demo:
        if start_demo:
            engine.demo.start(clock.now(), settings.demo_every)
    return engine


def control_routers() -> list:
    """The /_emulator routers (imported on first use: see ControlPlane)."""
    from emulator.control.routes import ROUTERS

    return ROUTERS


class ControlPlane:
    """The /_emulator routes join the app with the first request under that
    prefix, not at start-up: they are a third of the emulator's own import
    time, and serving the vendor APIs never needs them. Every route is in
    place before that request is routed (the check runs in the request
    layer, on the event loop, with no await before the routes are added)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.loaded = False

    def load(self) -> None:
        if self.loaded:
            return
        routers = control_routers()
        atomic_writes(routers)
        for router in routers:
            self.app.include_router(router)
        self.loaded = True


def _provider_for(path: str) -> Provider | None:
    return next((p for p in PROVIDERS if p.owns(path)), None)


def _allowed_methods(path: str) -> str:
    """Every method served at `path` (Starlette's own 405 names only the
    first route that matched). A literal path (/calls/schedule) shadows a
    template (/calls/{callId})."""
    routes = [r for router in [p.router for p in PROVIDERS] + control_routers() for r in router.routes if isinstance(r, APIRoute)]
    matching = [r for r in routes if r.path_regex.match(path)]
    literal = [r for r in matching if r.path == path]
    return ", ".join(sorted({m for r in (literal or matching) for m in r.methods}))


def _validation_message(exc: RequestValidationError) -> str:
    err = exc.errors()[0]
    if err.get("type") == "json_invalid":
        return f"Malformed JSON body: {err.get('ctx', {}).get('error', err.get('msg'))}"
    loc = [str(x) for x in err.get("loc", ())]
    where, name = (loc[0], ".".join(loc[1:])) if loc else ("request", "")
    if where == "body":
        return f"Invalid request body{' field ' + repr(name) if name else ''}: {err.get('msg')}"
    return f"Invalid {where} parameter {name!r}: {err.get('msg')}"


def _error_body(path: str, status: int, message: str) -> dict:
    """An error body in the shape of whoever owns `path`."""
    provider = _provider_for(path)
    return provider.error_body(status, message, {}) if provider else control_error_body(status, message)


def install_error_handlers(app: FastAPI) -> None:
    """Every error on a vendor path answers in that vendor's shape: FastAPI's
    own 404, 405 and validation errors included."""

    def vendor(request: Request, status: int, message: str, extra: dict | None = None, headers=None) -> JSONResponse | None:
        provider = _provider_for(request.url.path)
        if provider is None:
            return None
        return JSONResponse(provider.error_body(status, message, extra or {}), status_code=status, headers=headers)

    @app.exception_handler(VendorError)
    async def _vendor_error(request: Request, exc: VendorError):
        return vendor(request, exc.status, exc.message, exc.extra) or JSONResponse(control_error_body(exc.status, exc.message), exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code) or str(exc.detail)
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request.url.path)}
        return vendor(request, exc.status_code, message, headers=headers) or JSONResponse(control_error_body(exc.status_code, message), exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        message = _validation_message(exc)
        return vendor(request, 400, message) or JSONResponse(control_error_body(400, message), 400)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = HTTPStatus.INTERNAL_SERVER_ERROR.phrase
        return vendor(request, 500, message) or JSONResponse(control_error_body(500, message), 500)


def install_configured_webhooks(app: FastAPI) -> None:
    """The settings' webhooks (config file, --webhook), registered at start and again on reset."""
    if not app.state.settings.webhooks:
        return  # the control plane's webhooks module loads with its first use
    from emulator.control.webhooks import WebhookIn, register

    for w in app.state.settings.webhooks:
        register(app, WebhookIn(**w.model_dump()), source="config")


class EmulatorApp(FastAPI):
    """The app, with the front (emulator.http.front) before FastAPI's own
    layers: a request the short path serves never enters them."""

    front: Front | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.front is not None:
            taken = self.front.take(scope)
            if taken is not None:
                scope["app"] = self
                return await self.front.serve(taken, scope, receive, send)
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, *, persistence: persist.Persistence | None = None) -> FastAPI:
    """The app. With `settings.data_dir` its state is restored from, and
    kept in, that folder (raises DataDirError when it cannot be)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # The scheduler runs on the server's loop: it sleeps until the next
        # due instant of whichever engine is current.
        # With a data dir, what the timer releases (events, demo calls, the
        # webhook deliveries they queue) is committed as it is released.
        app.state.events.start(lambda: app.state.engine.scheduler, persist.timer_commit(app))
        app.state.webhooks.start()
        try:
            yield
        finally:
            await app.state.events.stop()
            await app.state.webhooks.close()
            persist.shut_down(app)

    # FastAPI's OpenTelemetry hooks are off: they read the environment and
    # global providers on every request, and an emulator has nothing to trace.
    app = EmulatorApp(
        title="call-emulator", version=__version__, openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    # A trailing slash is a path of its own (a 404 in the owner's shape), not
    # a redirect built from the request's Host (docs/fidelity.md).
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.door = Door(settings)
    app.state.events = EventHub()
    app.state.engine = build_engine(settings)
    app.state.events.attach(app.state.engine)
    # LiveKit is no Provider (no vendor spec) but its rooms send webhooks too.
    kinds = [p.webhook for p in PROVIDERS if p.webhook is not None] + [LIVEKIT_WEBHOOK]
    app.state.webhooks = Webhooks(app.state.events, lambda: app.state.engine, {k.name: k for k in kinds}, seed=settings.seed)
    install_configured_webhooks(app)
    app.state.build_engine = build_engine  # reset and import rebuild the engine without importing the app
    app.state.providers = {p.name: p for p in PROVIDERS}
    app.state.specs = Specs({p.name: partial(provider_spec, p) for p in PROVIDERS} | {"control": control_spec})
    app.state.faults = Faults(settings.seed)
    app.state.journal = Journal(settings.journal_size)
    atomic_writes([p.router for p in PROVIDERS])
    # Strict mode checks every response on the full path. (After
    # atomic_writes: a fast write must run inside store.atomic() too.)
    app.state.fast_routes = None if settings.strict else FastRoutes(PROVIDERS)
    app.state.persistence = persistence or persist.Persistence.open(settings.data_dir)
    try:
        persist.start(app)
    except BaseException:
        app.state.persistence.log.close()
        raise
    for provider in PROVIDERS:
        app.include_router(provider.router)
    # LiveKit's Twirp API over the same rooms; it answers its own errors.
    app.include_router(LIVEKIT_ROUTER)
    app.state.control = ControlPlane(app)  # included on first use
    ui.install(app)
    install_error_handlers(app)
    app.add_middleware(FailsafeMiddleware, error_body=_error_body)
    if settings.strict:
        from emulator.contracts import selfcheck

        selfcheck.install(app, error_body=_error_body)
    # One layer resolves each vendor request's context, applies faults and
    # records the journal.
    app.add_middleware(VendorLayer)
    # Outside it: whatever the layer or the route changed is committed
    # before the answer starts.
    app.add_middleware(persist.CommitMiddleware)
    # Before anything that keeps state: a refused request leaves no trace.
    app.add_middleware(DoorMiddleware, error_body=_error_body)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_origin_regex=None if settings.cors_origins else LOCAL_ORIGINS,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["*"],
    )
    app.front = Front(app, FastAPI.__call__.__get__(app), PROVIDERS, _error_body)
    return app
