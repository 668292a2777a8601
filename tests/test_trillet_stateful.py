"""A stateful schemathesis run over the Trillet spec's links: place a call,
read it live, its insights, end it, find it in history. Each step moves the
manual clock on, so a queued call dials, is answered and talks."""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, settings

from emulator.core.timeutil import parse_instant

from .conftest import TRILLET, make_app
from .trillet_helpers import AGENT

START = "2024-06-01T10:02:25Z"
STEP_SECONDS = 8.0
app = make_app(now=START)
schema = schemathesis.openapi.from_asgi("/_emulator/openapi/trillet.json", app)
schema.config.generation.update(allow_extra_parameters=False)  # unknown query parameters are ignored
seen: Counter = Counter()


class TrilletCalls(schema.as_state_machine()):
    def setup(self) -> None:
        engine = app.state.engine
        engine.reset()
        engine.clocks.global_clock.set_now(parse_instant(START))

    def get_call_kwargs(self, case):
        return {"headers": TRILLET}

    def before_call(self, case) -> None:
        app.state.engine.clocks.global_clock.advance(STEP_SECONDS)
        case.headers = {**(case.headers or {}), **TRILLET}
        if case.operation.definition.raw["operationId"] == "initiateOutboundCall" and isinstance(case.body, dict):
            # Place calls with an agent of the workspace, so the chain has a
            # live call to follow (random ids are only ever 404).
            case.body["call_agent_id"] = AGENT

    def after_call(self, response, case) -> None:
        seen[(case.operation.definition.raw["operationId"], response.status_code)] += 1


TestTrilletCalls = TrilletCalls.TestCase
TestTrilletCalls.settings = settings(
    max_examples=30, stateful_step_count=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


def test_the_links_were_followed_to_live_calls():
    """Runs after the state machine (file order): the chain reached calls
    placed by the run itself, not just 404s."""
    if not seen:
        TestTrilletCalls().runTest()
    assert seen[("initiateOutboundCall", 200)] > 0
    assert seen[("getActiveCall", 200)] > 0
    assert seen[("endActiveCall", 200)] > 0
    assert seen[("getCallHistory", 200)] > 0
