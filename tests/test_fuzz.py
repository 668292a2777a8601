"""`call-emulator fuzz`, in miniature: it covers every served route and
reports what it ran."""

from __future__ import annotations

import json

from emulator.cli import main
from emulator.contracts.fuzz import run

from .conftest import make_app


def test_a_short_fuzz_run_covers_every_route_and_finds_nothing(capsys):
    assert main(["fuzz", "--cases", "150", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["cases"] >= 150
    assert summary["failures"] == 0 and summary["server_errors"] == 0
    app = make_app()
    routes = {f"{name} {m.upper()} {path}" for name, spec in app.state.specs.items() for path, item in spec["paths"].items() for m in item}
    assert set(summary["by_operation"]) == routes
    assert sum(summary["statuses"].values()) == summary["cases"]
    assert "200" in summary["statuses"]  # ids of existing calls are drawn too, not only 404s


def test_fuzz_reports_off_spec_answers_as_failures_and_5xx(monkeypatch):
    from emulator.providers.heppu import render

    real = render.call
    monkeypatch.setattr(render, "call", lambda s: real(s).model_copy(update={"status": "exploded"}))
    summary = run(total=400, specs=["heppu"])
    assert summary.server_errors > 0 and summary.failures > 0
    assert "exploded" in summary.render() or summary.failure_details
