"""schemathesis over every spec the app serves: generated requests, every
response checked with the default checks (schema and status-code
conformance included), with and without credentials, plus the stateful
phase over the specs' links. The app runs in strict mode, so a response off
the spec would also surface as a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.errors import NoLinksFound
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import use_after_free

from emulator.contracts.fuzz import APP_SETTINGS, CREDENTIALS, call_options, excluded_checks, explicit_headers, spec_names, start_instant, with_credentials

from .conftest import HEPPU, make_app

# Derandomized: the same cases every run, so CI is repeatable; the long
# randomized run is `call-emulator fuzz`.
FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
STATEFUL = settings(max_examples=15, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)


def _schema(name: str):
    app = make_app(now=start_instant(name), **APP_SETTINGS.get(name, {}))
    schema = schemathesis.openapi.from_asgi(f"/_emulator/openapi/{name}.json", app)
    # The routes ignore query parameters they do not know, as web APIs do
    # (docs/fidelity.md): an unknown one is not invalid input.
    schema.config.generation.update(allow_extra_parameters=False)
    return schema, app


def _with(name: str, schema, headers: dict | None):
    excluded = excluded_checks(name) or None

    @schema.parametrize()
    @FAST
    def test(case):
        if headers is None:
            case.call_and_validate(excluded_checks=excluded, **call_options(case))
        else:
            # The credentials ride on the case (so probes that drop a header
            # really drop it) and are named to the checks as explicit.
            with_credentials(case, headers)
            case.validate_response(case.call(**call_options(case)), headers=explicit_headers(case, headers), excluded_checks=excluded)

    return test


def _conformance_tests(name: str) -> None:
    schema, _ = _schema(name)
    for i, headers in enumerate(CREDENTIALS.get(name, [{}])):
        globals()[f"test_{name}_conforms_{i}"] = _with(name, schema, headers)
    if name in CREDENTIALS:
        globals()[f"test_{name}_conforms_without_credentials"] = _with(name, schema, None)


SPECS = spec_names(make_app())
for _name in SPECS:
    _conformance_tests(_name)


@pytest.mark.parametrize("name", SPECS)
def test_stateful_links(name):
    schema, app = _schema(name)
    headers = (CREDENTIALS.get(name) or [{}])[0]

    class Machine(schema.as_state_machine()):
        def setup(self):
            # Each scenario starts from the fixtures alone, so replays see the same state.
            app.state.engine.reset()
            app.state.webhooks.clear()  # registrations are state too

        def before_call(self, case):
            with_credentials(case, headers)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # Cancelled and ended calls stay readable (as the vendors' pages
            # say), so "use after free" does not apply to them.
            case.validate_response(response, headers=headers, additional_checks=additional_checks, excluded_checks=[use_after_free, *excluded_checks(name)])

    try:
        Machine.run(settings=STATEFUL)
    except NoLinksFound:
        pytest.skip(f"{name}: no links between its operations (yet)")


def test_every_served_spec_is_covered():
    assert {"heppu", "trillet"} <= set(SPECS)


def test_the_checks_catch_a_response_off_the_spec(monkeypatch):
    """With strict mode off, the schemathesis checks themselves find an
    off-spec body and an undeclared status."""
    from emulator.providers.base import VendorError
    from emulator.providers.heppu import render

    real = render.call
    app = make_app(strict=False)
    schema = schemathesis.openapi.from_asgi("/_emulator/openapi/heppu.json", app)
    op = schema["/api/v1/calls/{callId}"]["GET"]

    monkeypatch.setattr(render, "call", lambda s: real(s).model_copy(update={"direction": "sideways"}))
    with pytest.raises(FailureGroup, match="(?i)schema"):
        op.Case(path_parameters={"callId": "call_abc123"}).call_and_validate(headers=HEPPU)

    def teapot(s):
        raise VendorError(418, "teapot")

    monkeypatch.setattr(render, "call", teapot)
    with pytest.raises(FailureGroup, match="(?i)status code"):
        op.Case(path_parameters={"callId": "call_abc123"}).call_and_validate(headers=HEPPU)
