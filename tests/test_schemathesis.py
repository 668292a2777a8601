"""schemathesis: generated requests against the app, every response checked
against the published spec with the default checks."""

from __future__ import annotations

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
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


# The control plane: every route, generated bodies included (bad durations,
# unknown tenants, odd state documents), answers as openapi/control.json says.
# Served with a token, as off loopback, so the declared security holds.
CONTROL_TOKEN = {"x-emulator-token": "schemathesis"}
control_app = make_app(now="2025-12-01T15:30:10Z", control_token="schemathesis")
control = schemathesis.openapi.from_asgi("/_emulator/openapi/control.json", control_app)


@control.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_control_conforms(case):
    # Excluded: "schema-valid request rejected". What the control plane
    # rejects beyond its schema is semantic (a tenant that does not exist, a
    # duration string that is not one, an instant past 9999, a plan answered
    # before it rings) and answered with a documented 400/404/409.
    case.call_and_validate(headers=CONTROL_TOKEN, excluded_checks=[positive_data_acceptance])
