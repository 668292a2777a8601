"""`call-emulator fuzz`: a long schemathesis run over every spec the app
serves, in process, with strict mode on. Every operation is driven with each
set of credentials and none, with valid (positive) and invalid (negative)
generated requests, and with path parameters naming calls that exist."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

# The bundled fixtures' tenants (fixtures/tenants.json).
HEPPU_KEY = "YOUR_API_KEY"
TRILLET_KEY = "YOUR_API_KEY"
TRILLET_WORKSPACE = "69cf4b468d2a8a6a8e39b684"
CREDENTIALS: dict[str, list[dict[str, str]]] = {
    "heppu": [{"x-api-key": HEPPU_KEY}, {"Authorization": f"Bearer {HEPPU_KEY}"}],
    "trillet": [{"x-api-key": TRILLET_KEY, "x-workspace-id": TRILLET_WORKSPACE}],
    "control": [{"x-emulator-token": "fuzz"}],
}
# Served with a token, as off loopback, so the control spec's declared security holds.
APP_SETTINGS: dict[str, dict] = {"control": {"control_token": "fuzz"}}
# What the control plane rejects beyond its schema is semantic (a tenant that
# does not exist, a duration string that is not one, a plan answered before
# it rings) and answered with a documented 400/404/409: "schema-valid request
# rejected" does not apply there.
EXCLUDED_CHECKS: dict[str, tuple[str, ...]] = {"control": ("positive_data_acceptance",)}


# Operations whose answer never ends (the event stream): a case reads only
# their first STREAM_READ seconds, not up to the transport's 10 s timeout.
ENDLESS = frozenset({"streamEvents"})
STREAM_READ = 0.5


def call_options(case) -> dict:
    """Keyword arguments for `case.call` (and `call_and_validate`)."""
    return {"timeout": STREAM_READ} if case.operation.definition.raw.get("operationId") in ENDLESS else {}


def excluded_checks(spec_name: str) -> list:
    from schemathesis.specs.openapi import checks

    return [getattr(checks, name) for name in EXCLUDED_CHECKS.get(spec_name, ())]
# A clock inside the docs' live examples, so live calls exist.
START = {"heppu": "2025-12-01T15:30:10Z", "trillet": "2024-06-01T10:02:25Z"}


def start_instant(spec_name: str) -> str:
    return START.get(spec_name, "2025-12-01T15:30:10Z")


def spec_names(app) -> list[str]:
    return sorted(app.state.specs)


def make_fuzz_app(spec_name: str, seed: int = 1):
    from emulator.app import create_app
    from emulator.settings import Settings

    return create_app(Settings(clock="manual", now=start_instant(spec_name), demo=False, strict=True, seed=seed, **APP_SETTINGS.get(spec_name, {})))


def known_values(app) -> dict[str, list[str]]:
    """Ids of stored calls, for path parameters that should hit something."""
    records = app.state.engine.store.records()
    return {
        "room": sorted({r.plan.room for r in records if r.plan.room}),
        "id": sorted({r.plan.id for r in records}),
    }


@dataclass
class Summary:
    cases: int = 0
    failures: int = 0
    server_errors: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    by_operation: Counter = field(default_factory=Counter)
    failure_details: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["statuses"] = dict(sorted(self.statuses.items()))
        d["by_operation"] = dict(sorted(self.by_operation.items()))
        return d

    def render(self) -> str:
        lines = [
            f"cases run:    {self.cases}",
            f"failures:     {self.failures}",
            f"5xx seen:     {self.server_errors}",
            f"time:         {self.seconds:.1f}s",
            "statuses:     " + ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items())),
            "by operation:",
        ]
        lines += [f"  {k}: {v}" for k, v in sorted(self.by_operation.items())]
        for f in self.failure_details[:20]:
            lines.append(f"FAILURE {f['operation']} [{f['auth']}, {f['mode']}]: {f['title']}: {f['message'][:300]}")
        return "\n".join(lines)


def run(total: int = 10_000, seed: int = 1, specs: list[str] | None = None, progress=None, generation_seed: int | None = None) -> Summary:
    """`total` cases over every served spec against an emulator seeded with
    `seed`. Cases are drawn from `generation_seed` (the same seed, the same
    run); without one, hypothesis derandomizes (a fixed run, as tests want)."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as with_seed
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.core.failures import FailureGroup

    summary = Summary()
    began = time.monotonic()
    plans = []
    for name in specs or spec_names(make_fuzz_app("heppu", seed)):
        app = make_fuzz_app(name, seed)
        schema = schemathesis.openapi.from_asgi(f"/_emulator/openapi/{name}.json", app)
        known = known_values(app)
        auths = [(f"credentials {i + 1}", h) for i, h in enumerate(CREDENTIALS.get(name, []))] + [("none", {})]
        # Each multi-header credential also with one header left out (e.g. no workspace).
        auths += [
            (f"credentials {i + 1} without {k}", {kk: vv for kk, vv in h.items() if kk != k})
            for i, h in enumerate(CREDENTIALS.get(name, []))
            if len(h) > 1
            for k in h
        ]
        for result in schema.get_all_operations():
            op = result.ok()
            params = [p for p in _path_params(op.path)]
            for auth, headers in auths:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    for use_known in ([False, True] if params and mode is GenerationMode.POSITIVE else [False]):
                        plans.append((name, op, auth, headers, mode, use_known, params, known))
    per_plan = max(1, math.ceil(total / max(1, len(plans))))
    seen_failures: set = set()

    def strategy(op, mode, use_known, params, known):
        if not use_known:
            return op.as_strategy(generation_mode=mode)
        choices = {p: st.sampled_from(known["room"] if "room" in p.lower() else known["id"]) for p in params}
        return st.fixed_dictionaries(choices).flatmap(lambda values: op.as_strategy(generation_mode=mode, path_parameters=values))

    rounds = 0
    while summary.cases < total and rounds < 20:
        rounds += 1
        for index, (name, op, auth, headers, mode, use_known, params, known) in enumerate(plans):
            label = f"{name} {op.method.upper()} {op.path}"

            @settings(
                max_examples=per_plan,
                phases=[Phase.generate],
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=generation_seed is None,
                verbosity=Verbosity.quiet,  # keep hypothesis's own notes out of the report
            )
            @given(case=strategy(op, mode, use_known, params, known))
            def drive(case):
                with_credentials(case, headers)
                sent = explicit_headers(case, headers)
                response = case.call(headers=sent, **call_options(case))
                summary.cases += 1
                summary.by_operation[label] += 1
                summary.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    summary.server_errors += 1
                try:
                    case.validate_response(response, headers=sent, excluded_checks=excluded_checks(name) or None)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        key = (label, auth, mode.value, failure.title)
                        summary.failures += 1
                        if key not in seen_failures:
                            seen_failures.add(key)
                            summary.failure_details.append(
                                {"operation": label, "auth": auth, "mode": mode.value, "title": failure.title, "message": failure.message}
                            )

            if generation_seed is not None:
                drive = with_seed(hash((generation_seed, rounds, index)))(drive)
            try:
                drive()
            except Unsatisfiable:
                pass  # no case of this mode exists for the operation (e.g. nothing to make negative)
            if progress:
                progress(summary)
    summary.seconds = time.monotonic() - began
    return summary


def security_headers(spec: dict) -> set[str]:
    """Header names the spec's security schemes use (lower case)."""
    names = set()
    for scheme in (spec.get("components") or {}).get("securitySchemes", {}).values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            names.add(scheme["name"].lower())
        elif scheme.get("type") in ("http", "oauth2", "openIdConnect"):
            names.add("authorization")
    return names


def with_credentials(case, headers: dict[str, str]) -> None:
    """Put the credentials on the case itself, dropping any credential the
    generator made up, so what is sent is exactly these credentials and the
    checks know them as explicit. A case whose headers were generated
    invalid on purpose (negative mode) is left as it is: re-adding the
    credentials would make it valid again."""
    if headers and not headers_made_invalid(case):
        drop = {k.lower() for k in headers} | security_headers(case.operation.schema.raw_schema)
        left_out = _deliberately_missing_header(case)
        given = {k: v for k, v in headers.items() if k.lower() != left_out}
        case.headers = {**{k: v for k, v in (case.headers or {}).items() if k.lower() not in drop}, **given}


def headers_made_invalid(case) -> bool:
    """Whether the generator broke this case's headers on purpose (negative
    mode): then no credentials may be put back, on the case or the call."""
    from schemathesis.core.parameters import ParameterLocation

    meta = getattr(case, "meta", None)
    return meta is not None and meta.is_negative_at(ParameterLocation.HEADER)


def explicit_headers(case, headers: dict[str, str]) -> dict[str, str] | None:
    """The credentials to send with and name to the checks for `case`."""
    return None if not headers or headers_made_invalid(case) else headers


def _deliberately_missing_header(case) -> str | None:
    """The header a generated case leaves out on purpose (schemathesis'
    coverage phase tests that a missing required header is rejected)."""
    data = getattr(getattr(getattr(case, "meta", None), "phase", None), "data", None)
    scenario = getattr(getattr(data, "scenario", None), "value", getattr(data, "scenario", None))
    if scenario == "missing_parameter" and str(getattr(data, "parameter_location", "")).lower().endswith("header"):
        return (data.parameter or "").lower() or None
    return None


def _path_params(path: str) -> list[str]:
    import re

    return re.findall(r"{([^}]+)}", path)


def main(total: int, seed: int, fmt: str, generation_seed: int | None = None) -> int:
    """A random run unless `generation_seed` is given; its seed is printed
    (on stderr, so JSON output stays clean) to replay it with --seed."""
    import random
    import sys

    if generation_seed is None:
        generation_seed = random.SystemRandom().randrange(2**32)
    print(f"fuzz seed {generation_seed} (replay this run with --seed {generation_seed})", file=sys.stderr, flush=True)
    summary = run(total=total, seed=seed, generation_seed=generation_seed)
    print(json.dumps(summary.as_dict(), indent=2) if fmt == "json" else summary.render())
    return 1 if summary.failures or summary.server_errors else 0
