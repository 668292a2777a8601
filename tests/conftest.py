"""Shared fixtures: an app under a manual clock, and clients for each vendor."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import httpx
import pytest

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

from emulator.app import create_app  # noqa: E402
from emulator.core.timeutil import parse_instant  # noqa: E402
from emulator.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {
    "heppu": json.loads((ROOT / "fixtures" / "examples" / "heppu.json").read_text()),
    "trillet": json.loads((ROOT / "fixtures" / "examples" / "trillet.json").read_text()),
}

HEPPU_KEY = "YOUR_API_KEY"
HEPPU_OTHER_KEY = "heppu_other_key"
TRILLET_KEY = "YOUR_API_KEY"
TRILLET_WORKSPACE = "69cf4b468d2a8a6a8e39b684"
TRILLET_OTHER_KEY = "tk_other0000000000000000000000000"
TRILLET_OTHER_WORKSPACE = "6a0b1c2d3e4f5a6b7c8d9e0f"

HEPPU = {"x-api-key": HEPPU_KEY}
TRILLET = {"x-api-key": TRILLET_KEY, "x-workspace-id": TRILLET_WORKSPACE}


def make_app(now: str = "2025-12-01T15:30:10Z", **settings):
    settings.setdefault("demo", False)
    settings.setdefault("strict", True)  # every response checked against the spec
    return create_app(Settings(clock="manual", now=now, **settings))


# Inside the docs' live examples: call_def456 is talking.
NOW = "2025-12-01T15:30:10Z"


def rewind(emu) -> None:
    """A served emulator back to its fixtures alone, its clock manual at NOW."""
    emu.control.reset()
    emu.control.set_clock(mode="manual", now=NOW)


@pytest.fixture
def http(emu):
    """A client of the test module's `emu` (a real server), rewound first."""
    rewind(emu)
    with httpx.Client(base_url=emu.url, timeout=10) as c:
        yield c


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


class Driver:
    """A client plus the emulator's clock, for walking a call through time."""

    def __init__(self, app) -> None:
        self.app = app
        self.engine = app.state.engine
        self.http = TestClient(app)

    @property
    def clock(self):
        return self.engine.clocks.global_clock

    def at(self, instant: str) -> "Driver":
        self.clock.set_now(parse_instant(instant))
        self.engine.scheduler.release()  # as the control plane does when it moves a clock
        return self

    def advance(self, seconds: float) -> "Driver":
        self.clock.advance(seconds)
        self.engine.scheduler.release()
        return self


@pytest.fixture
def driver(app):
    return Driver(app)


def ordered(body: str):
    """JSON with key order kept, to compare bodies key for key."""
    return json.loads(body, object_pairs_hook=lambda pairs: [list(p) for p in pairs])
