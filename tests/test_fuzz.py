"""`call-emulator fuzz`, in miniature: it covers every served route and
reports what it ran."""

from __future__ import annotations

import json

from emulator.cli import main
from emulator.contracts.fuzz import run

from .conftest import make_app


def test_a_short_fuzz_run_covers_every_route_and_finds_nothing(capsys):
    assert main(["fuzz", "--cases", "150", "--format", "json", "--seed", "1"]) == 0
    out = capsys.readouterr()
    assert "fuzz seed 1 (replay this run with --seed 1)" in out.err
    summary = json.loads(out.out)
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
    summary = run(total=400, specs=["heppu"])  # derandomized: the same cases every run
    assert summary.server_errors > 0 and summary.failures > 0
    assert "exploded" in summary.render() or summary.failure_details


def _outcome(summary):
    return summary.statuses, summary.by_operation, summary.failures


def test_a_seed_replays_a_run_and_tests_are_fixed():
    assert _outcome(run(total=40, specs=["trillet"], generation_seed=7)) == _outcome(run(total=40, specs=["trillet"], generation_seed=7))
    assert _outcome(run(total=40, specs=["trillet"])) == _outcome(run(total=40, specs=["trillet"]))


def test_the_cli_prints_a_new_seed_each_run(capsys, monkeypatch):
    from emulator.contracts import fuzz

    seeds = []
    monkeypatch.setattr(fuzz, "run", lambda **kw: seeds.append(kw["generation_seed"]) or fuzz.Summary())
    for _ in range(2):
        assert main(["fuzz", "--cases", "1"]) == 0
    err = capsys.readouterr().err
    assert len(set(seeds)) == 2 and all(f"--seed {s}" in err for s in seeds)
