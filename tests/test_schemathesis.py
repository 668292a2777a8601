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
# Trillet's routes ignore query parameters they do not know, as web APIs do
# (docs/fidelity.md, "Trillet"): an unknown one is not invalid input.
trillet.config.generation.update(allow_extra_parameters=False)

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
