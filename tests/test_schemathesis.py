"""schemathesis: generated requests against the app, every response checked
against the published spec with the default checks."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from .conftest import HEPPU, TRILLET, make_app

# Frozen inside the life of the docs' active examples, so live calls exist.
heppu_app = make_app(now="2025-12-01T15:30:10Z")
trillet_app = make_app(now="2024-06-01T10:02:25Z")
heppu = schemathesis.openapi.from_asgi("/_emulator/openapi/heppu.json", heppu_app)
trillet = schemathesis.openapi.from_asgi("/_emulator/openapi/trillet.json", trillet_app)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@heppu.parametrize()
@FAST
def test_heppu_conforms(case):
    case.call_and_validate(headers=HEPPU)


@heppu.parametrize()
@FAST
def test_heppu_conforms_without_credentials(case):
    case.call_and_validate()


@trillet.parametrize()
@FAST
def test_trillet_conforms(case):
    case.call_and_validate(headers=TRILLET)


@trillet.parametrize()
@FAST
def test_trillet_conforms_with_generated_headers(case):
    case.call_and_validate()


# Stateful: the spec's links chain list -> get -> cancel and schedule or
# outbound -> get / cancel / list, with valid credentials.
from schemathesis.specs.openapi.checks import use_after_free  # noqa: E402


class HeppuStateful(heppu.as_state_machine()):
    def setup(self):
        # Each scenario starts from the fixtures alone, so replays see the same state.
        heppu_app.state.engine.reset()

    def get_call_kwargs(self, case):
        return {"headers": HEPPU}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        # Cancel keeps the call (status cancelled, readable by Get, as the
        # Cancel page says), so "use after free" does not apply to it.
        case.validate_response(response, excluded_checks=[use_after_free], transport_kwargs=kwargs or None, recorder=self.recorder)


def test_heppu_stateful():
    HeppuStateful.run(settings=settings(max_examples=25, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck)))
