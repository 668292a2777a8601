"""Strict mode: a response off the app's own spec never leaves the emulator;
it becomes a 500 in the vendor's error shape that says what is wrong."""

from __future__ import annotations

import logging

import pytest

from fastapi.testclient import TestClient

from emulator.contracts.selfcheck import SelfCheckMiddleware
from emulator.providers.base import VendorError
from emulator.providers.heppu import render as heppu_render
from emulator.providers.trillet import render as trillet_render

from .conftest import HEPPU, TRILLET, make_app


def _bad_status(real):
    def render(snap):
        call = real(snap)
        return call.model_copy(update={"status": "exploded"})

    return render


def test_strict_mode_is_on_in_the_suite_and_passes_good_responses(client):
    r = client.get("/api/v1/calls/call_abc123", headers=HEPPU)
    assert r.status_code == 200 and r.json()["data"]["id"] == "call_abc123"
    assert any(m.cls is SelfCheckMiddleware for m in client.app.user_middleware)


def test_heppu_response_off_the_spec_becomes_a_500_naming_route_path_and_rule(monkeypatch, caplog):
    monkeypatch.setattr(heppu_render, "call", _bad_status(heppu_render.call))
    with TestClient(make_app()) as c, caplog.at_level(logging.ERROR, logger="emulator.strict"):
        r = c.get("/api/v1/calls/call_abc123", headers=HEPPU)
    assert r.status_code == 500
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == 500  # Heppu's shape
    message = body["error"]["message"]
    assert "GET /api/v1/calls/{callId}" in message
    assert "$.data.status" in message and "rule: enum" in message and "exploded" in message
    assert any("$.data.status" in rec.getMessage() for rec in caplog.records)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_trillet_response_off_the_spec_is_reported_in_trillets_shape(monkeypatch):
    real = trillet_render.active_call
    monkeypatch.setattr(trillet_render, "active_call", lambda s: real(s).model_copy(update={"duration": "145"}))
    with TestClient(make_app(now="2024-06-01T10:02:25Z")) as c:
        r = c.get("/v2/api/active-calls/call-abc123", headers=TRILLET)
    assert r.status_code == 500
    body = r.json()
    assert body["error"] == "Internal Server Error"
    assert "GET /v2/api/active-calls/{roomName}" in body["message"]
    assert "$.duration" in body["message"] and "rule: type" in body["message"]


def test_an_undeclared_status_is_off_the_spec(monkeypatch):
    def conflict(snap):
        raise VendorError(409, "Conflict")

    monkeypatch.setattr(heppu_render, "call", conflict)
    with TestClient(make_app()) as c:
        r = c.get("/api/v1/calls/call_abc123", headers=HEPPU)
    assert r.status_code == 500
    assert "status 409 is not declared" in r.json()["error"]["message"]


def test_declared_errors_pass_unchanged(client):
    r = client.get("/api/v1/calls/nope", headers=HEPPU)
    assert r.status_code == 404 and r.json() == {"error": {"message": "Call not found", "code": 404}}
    r = client.get("/v2/api/active-calls/call-abc123", headers={"x-api-key": "YOUR_API_KEY"})
    assert r.status_code == 400 and r.json()["message"] == "Missing x-workspace-id header"


def test_strict_mode_off_installs_nothing_and_answers_as_is(monkeypatch):
    monkeypatch.setattr(heppu_render, "call", _bad_status(heppu_render.call))
    app = make_app(strict=False)
    assert not any(m.cls is SelfCheckMiddleware for m in app.user_middleware)
    with TestClient(app) as c:
        r = c.get("/api/v1/calls/call_abc123", headers=HEPPU)
    assert r.status_code == 200 and r.json()["data"]["status"] == "exploded"


def test_strict_mode_is_off_by_default_and_set_by_the_environment(monkeypatch):
    from emulator.settings import Settings

    assert Settings().strict is False
    monkeypatch.setenv("CALL_EMULATOR_STRICT", "1")
    assert Settings().strict is True
