"""Every regex pattern in the specs means the same to an ECMA-262 engine (what
OpenAPI and JSON Schema specify, and what a client's validator runs) as to
the server: a value the spec accepts, the server accepts, and the reverse."""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from .conftest import HEPPU, ROOT, TRILLET, make_app

SPECS = {name: json.loads((ROOT / "openapi" / f"{name}.json").read_text()) for name in ("heppu", "trillet", "control")}
# Escapes Python's re and ECMA-262 (unicode mode) read alike: syntax
# characters, \t \n \r, and \xHH. Not \d \s \w \b (Unicode-aware in Python,
# ASCII or a different set in ECMA), nor \- (an error in unicode mode).
PORTABLE_ESCAPE = re.compile(r"\\(?:[\^$\\.*+?()\[\]{}|/]|[tnr]|x[0-9a-fA-F]{2})")


def patterns(node, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield where, value
            else:
                yield from patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from patterns(value, f"{where}/{i}")


ALL = [(name, where, p) for name, spec in SPECS.items() for where, p in patterns(spec)]


def test_the_specs_have_patterns():
    assert len(ALL) >= 10


@pytest.mark.parametrize("name, where, pattern", ALL, ids=[f"{n}{w}" for n, w, _ in ALL])
def test_every_pattern_uses_only_portable_syntax(name, where, pattern):
    re.compile(pattern)
    rest = PORTABLE_ESCAPE.sub("", pattern)
    assert "\\" not in rest, f"{pattern!r}: an escape whose meaning differs between engines"
    assert "(?" not in pattern, f"{pattern!r}: inline flags and look-arounds are not portable"
    assert pattern.startswith("^") and pattern.endswith("$"), f"{pattern!r}: JSON Schema patterns search; anchor them"


def spec_pattern(vendor: str, prop: str) -> str:
    # Request-body fields only (a query parameter may have a field of the same name).
    found = {p for where, p in patterns(SPECS[vendor]) if f"/properties/{prop}/" in where + "/" and "/parameters/" not in where}
    assert len(found) == 1, found
    return found.pop()


def ecma_accepts(pattern: str, value: str) -> bool:
    return jsonschema_rs.is_valid({"type": "string", "pattern": pattern}, value)


PHONES = ["+14155550100", "+1415555\u0660\u0661\u0662\u0663", "+14155550100\n", "+1\u00b9415555"]
URLS = ["https://hooks.example.com/x", "https://hooks.example.com/\x85", "https://hooks.example.com/\u00a0", "https://hooks.example.com/x\n", "https://h\u2028x.com/"]
INTERVALS = ["2 hours", " 30 MINUTES\t", "2 hours\n", "2 hour\u017f", "\u0662 hours", "1\u00a0day"]


@pytest.fixture(scope="module")
def http():
    with TestClient(make_app()) as c:
        yield c


@pytest.mark.parametrize("value", PHONES, ids=repr)
def test_heppu_phone(http, value):
    r = http.post("/api/v1/calls/schedule", headers=HEPPU, json={"agentId": "550e8400-e29b-41d4-a716-446655440000", "contactPhone": value})
    assert (r.status_code == 201) == ecma_accepts(spec_pattern("heppu", "contactPhone"), value), r.text


@pytest.mark.parametrize("value", INTERVALS, ids=repr)
def test_heppu_retry_interval(http, value):
    body = {"agentId": "550e8400-e29b-41d4-a716-446655440000", "contactPhone": "+14155550100", "maxRetries": 1, "retryIntervals": [value]}
    r = http.post("/api/v1/calls/schedule", headers=HEPPU, json=body)
    assert (r.status_code == 201) == ecma_accepts(spec_pattern("heppu", "retryIntervals"), value), r.text


@pytest.mark.parametrize("value", PHONES, ids=repr)
def test_trillet_phone(http, value):
    r = http.post("/v1/api/call", headers=TRILLET, json={"to": value, "call_agent_id": "a1b2c3d4e5f6a7b8c9d0e1f2"})
    assert (r.status_code == 200) == ecma_accepts(spec_pattern("trillet", "to"), value), r.text


@pytest.mark.parametrize("value", URLS, ids=repr)
def test_trillet_callback_url(http, value):
    body = {"to": "+14155550100", "call_agent_id": "a1b2c3d4e5f6a7b8c9d0e1f2", "callback_url": value}
    r = http.post("/v1/api/call", headers=TRILLET, json=body)
    assert (r.status_code == 200) == ecma_accepts(spec_pattern("trillet", "callback_url"), value), r.text
