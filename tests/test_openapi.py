"""The committed specs are what the code generates, and say what the routes do."""

from __future__ import annotations

import json

import pytest

from emulator.app import PROVIDERS
from emulator.openapi import provider_spec, render

from .conftest import EXAMPLES, ROOT


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_committed_spec_matches_code(provider):
    committed = (ROOT / "openapi" / f"{provider.name}.json").read_text()
    assert committed == render(provider_spec(provider)), "run `call-emulator openapi` and commit openapi/"


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_running_server_serves_the_committed_spec(client, provider):
    r = client.get(f"/_emulator/openapi/{provider.name}.json")
    assert r.status_code == 200
    assert r.json() == json.loads((ROOT / "openapi" / f"{provider.name}.json").read_text())


def test_heppu_spec_carries_servers_security_errors_and_examples():
    spec = json.loads((ROOT / "openapi" / "heppu.json").read_text())
    assert spec["servers"][0]["url"] == "https://v2.heppu.ai"
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {"type": "apiKey", "description": "Organisation API key", "in": "header", "name": "x-api-key"}
    assert schemes["BearerAuth"]["scheme"] == "bearer"
    op = spec["paths"]["/api/v1/calls/{callId}"]["get"]
    assert {"ApiKeyAuth": []} in op["security"] and {"BearerAuth": []} in op["security"]
    assert set(op["responses"]) >= {"200", "401", "403", "404"}
    examples = op["responses"]["200"]["content"]["application/json"]["examples"]
    assert examples["completed"]["value"] == EXAMPLES["heppu"]["completed"]
    assert op["responses"]["403"]["content"]["application/json"]["examples"]["forbidden"]["value"] == EXAMPLES["heppu"]["forbidden"]
    call = spec["components"]["schemas"]["Call"]
    assert call["required"] == list(EXAMPLES["heppu"]["completed"]["data"])


def test_trillet_spec_requires_both_headers():
    spec = json.loads((ROOT / "openapi" / "trillet.json").read_text())
    assert spec["servers"][0]["url"] == "https://api.trillet.ai"
    op = spec["paths"]["/v2/api/active-calls/{roomName}"]["get"]
    assert op["security"] == [{"ApiKeyAuth": []}]
    (ws,) = [p for p in op["parameters"] if p["name"] == "x-workspace-id"]
    assert ws["in"] == "header" and ws["required"] is True
    assert op["responses"]["200"]["content"]["application/json"]["example"] == EXAMPLES["trillet"]["active_call"]
    assert set(op["responses"]) >= {"200", "400", "401", "403", "404"}
