"""An index over OpenAPI documents: which operation answers a method and
path, what it may answer with, and compiled validators for its responses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import jsonschema_rs

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass
class Operation:
    spec_name: str
    method: str  # upper case
    path: str  # the template, e.g. /api/v1/calls/{callId}
    op: dict
    spec: dict = field(repr=False)
    pattern: re.Pattern = field(repr=False)
    literal: int = 0  # literal characters: more specific templates win

    @property
    def operation_id(self) -> str:
        return self.op.get("operationId") or f"{self.method} {self.path}"

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def statuses(self) -> list[str]:
        return list(self.op.get("responses", {}))

    def response_for(self, status: int) -> tuple[str, dict] | None:
        """The declared response for a status: exact, then 4XX-style, then default."""
        responses = self.op.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in responses:
                return key, self.resolve(responses[key])
        return None

    def body_schema(self, status: int, media: str = "application/json") -> dict | None:
        found = self.response_for(status)
        if found is None:
            return None
        content = found[1].get("content") or {}
        entry = content.get(media) or next((v for k, v in content.items() if k.endswith("json")), None)
        return entry.get("schema") if entry else None

    def resolve(self, node: Any) -> Any:
        return resolve(self.spec, node)

    def path_params(self) -> list[str]:
        return re.findall(r"{([^}]+)}", self.path)


def resolve(spec: dict, node: Any) -> Any:
    """Follow local $refs until a concrete node."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 32:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported: {ref}")
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
    return node


def _pattern(template: str) -> tuple[re.Pattern, int]:
    out, literal, pos = [], 0, 0
    for m in re.finditer(r"{[^}]+}", template):
        chunk = template[pos : m.start()]
        out.append(re.escape(chunk))
        literal += len(chunk)
        out.append("[^/]+")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    literal += len(template) - pos
    return re.compile("^" + "".join(out) + "$"), literal


class SpecIndex:
    """Operations of one or more specs, found by method and concrete path."""

    def __init__(self, specs: dict[str, dict]) -> None:
        self.specs = specs
        self.operations: list[Operation] = []
        for name, spec in specs.items():
            for path, item in (spec.get("paths") or {}).items():
                pattern, literal = _pattern(path)
                for method, op in item.items():
                    if method in METHODS:
                        self.operations.append(Operation(name, method.upper(), path, op, spec, pattern, literal))
        # Most literal first, so /calls/batch wins over /calls/{callId}.
        self.operations.sort(key=lambda o: -o.literal)
        self._validators: dict[tuple[int, str], Any] = {}

    def __iter__(self):
        return iter(self.operations)

    def find(self, method: str, path: str) -> Operation | None:
        method = method.upper()
        for op in self.operations:
            if op.method == method and op.pattern.match(path):
                return op
        return None

    def by_id(self, spec_name: str, operation_id: str) -> Operation | None:
        return next((o for o in self.operations if o.spec_name == spec_name and o.op.get("operationId") == operation_id), None)

    def by_route(self, spec_name: str, method: str, path: str) -> Operation | None:
        return next((o for o in self.operations if o.spec_name == spec_name and o.method == method.upper() and o.path == path), None)

    def of_spec(self, spec_name: str) -> Iterable[Operation]:
        return [o for o in self.operations if o.spec_name == spec_name]

    def validator(self, op: Operation, status: int):
        """A compiled validator for the body of `status`, or None when the
        spec declares no JSON body for it. Compiled once per (operation, status)."""
        key = (id(op), status)
        if key not in self._validators:
            schema = op.body_schema(status)
            self._validators[key] = None if schema is None else compile_schema(op.spec, schema)
        return self._validators[key]


def compile_schema(spec: dict, schema: dict):
    """A JSON Schema 2020-12 validator whose local $refs resolve in `spec`."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "allOf": [schema]}
    if "components" in spec:
        root["components"] = spec["components"]
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


@dataclass
class Violation:
    path: str  # JSON path in the body, $.data.duration
    rule: str  # the JSON Schema keyword that failed
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (rule: {self.rule})"


def json_path(parts: Iterable) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def violations(validator, instance: Any, limit: int = 20) -> list[Violation]:
    found = []
    for err in validator.iter_errors(instance):
        rule = next((str(p) for p in reversed(list(err.schema_path)) if not isinstance(p, int)), "schema")
        found.append(Violation(json_path(err.instance_path), rule, err.message))
        if len(found) >= limit:
            break
    return found


def check_response(index: SpecIndex, op: Operation, status: int, body: Any) -> list[Violation]:
    """What is wrong with this response by the spec: an undeclared status, or
    a body off the status's schema."""
    if op.response_for(status) is None:
        declared = ", ".join(op.statuses()) or "none"
        return [Violation("$", "status", f"status {status} is not declared (declared: {declared})")]
    validator = index.validator(op, status)
    return [] if validator is None else violations(validator, body)
