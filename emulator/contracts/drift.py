"""Structural comparison of a response with the spec: what a real server
sends that the spec does not say, and what the spec says that it does not
send. Each finding names its kind, the operation, the status and the JSON
path (array items as [*], so one drift in every item is one finding)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from emulator.contracts.spec import Operation, resolve

KINDS = {
    "extra_field": "present in the response, not in the spec",
    "missing_field": "required by the spec, missing from the response",
    "type_mismatch": "of another type than the spec says",
    "nullability": "null where the spec does not allow null",
    "enum_mismatch": "a value the spec's enum does not list",
    "undeclared_status": "a status code the spec does not declare for this operation",
    "error_body": "an error body off the spec's error schema",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    operation: str  # GET /api/v1/calls/{callId}
    status: int
    path: str  # $.data.phoneNumber
    detail: str

    def key(self) -> tuple:
        return (self.kind, self.operation, self.path)

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"[{self.kind}] {self.operation} -> {self.status} {self.path}: {self.detail}"


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_ok(expected: str, value: Any) -> bool:
    actual = json_type(value)
    return actual == expected or (expected == "number" and actual == "integer")


def compare(spec: dict, schema: Any, value: Any, path: str = "$") -> list[tuple[str, str, str]]:
    """(kind, path, detail) for every way `value` is off `schema`."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or schema is True or schema == {}:
        return []
    out: list[tuple[str, str, str]] = []
    for sub in schema.get("allOf", ()):
        out += compare(spec, sub, value, path)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        options = [resolve(spec, o) for o in options]
        nullable = any(_allows_null(o) for o in options)
        if value is None:
            return out if nullable else out + [("nullability", path, "null, spec: " + _describe(spec, schema))]
        candidates = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
        results = [compare(spec, o, value, path) for o in candidates]
        return out + (min(results, key=len) if results else [])
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    if value is None:
        if types and "null" not in types and not schema.get("nullable"):
            out.append(("nullability", path, f"null, spec: {'|'.join(types)}"))
        return out
    if types and not any(_type_ok(t, value) for t in types if t != "null"):
        out.append(("type_mismatch", path, f"{json_type(value)} {_show(value)}, spec: {'|'.join(t for t in types if t != 'null')}"))
        return out
    if "enum" in schema and value not in schema["enum"]:
        out.append(("enum_mismatch", path, f"{_show(value)}, spec: one of {', '.join(map(_show, schema['enum']))}"))
    if "const" in schema and value != schema["const"]:
        out.append(("enum_mismatch", path, f"{_show(value)}, spec: {_show(schema['const'])}"))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required", ()):
            if name not in value:
                out.append(("missing_field", f"{path}.{name}", "spec: " + _describe(spec, props.get(name, {}))))
        extra = schema.get("additionalProperties", None if props else True)
        for name, item in value.items():
            if name in props:
                out += compare(spec, props[name], item, f"{path}.{name}")
            elif isinstance(extra, dict):
                out += compare(spec, extra, item, f"{path}.{name}")
            elif extra is not True:
                out.append(("extra_field", f"{path}.{name}", f"{json_type(item)} {_show(item)}"))
    elif isinstance(value, list) and "items" in schema:
        seen = set()
        for item in value:
            for finding in compare(spec, schema["items"], item, f"{path}[*]"):
                if finding[:2] not in seen:
                    seen.add(finding[:2])
                    out.append(finding)
    return out


def _allows_null(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    t = schema.get("type")
    return t == "null" or (isinstance(t, list) and "null" in t) or bool(schema.get("nullable"))


def _describe(spec: dict, schema: Any) -> str:
    schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return "any"
    if "anyOf" in schema or "oneOf" in schema:
        return "|".join(_describe(spec, o) for o in schema.get("anyOf") or schema.get("oneOf"))
    t = schema.get("type")
    if isinstance(t, list):
        return "|".join(t)
    return t or schema.get("title") or "object"


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."


def check(op: Operation, status: int, body: Any, is_json: bool = True) -> list[Finding]:
    """Findings for one response to `op`."""
    label = op.label
    if op.response_for(status) is None:
        declared = ", ".join(op.statuses()) or "none"
        detail = f"{status} (declared: {declared})"
        if isinstance(body, (dict, list)):
            detail += f"; body {_show(body)}"
        return [Finding("undeclared_status", label, status, "$", detail)]
    schema = op.body_schema(status)
    if schema is None:
        return []
    if not is_json:
        kind = "error_body" if status >= 400 else "type_mismatch"
        return [Finding(kind, label, status, "$", "the body is not JSON")]
    found = compare(op.spec, schema, body)
    if status >= 400 and found:
        detail = "; ".join(f"{path}: {KINDS[k].split(',')[0]} ({d})" for k, path, d in found)
        return [Finding("error_body", label, status, "$", f"{_show(body)} -- {detail}")]
    return [Finding(k, label, status, p, d) for k, p, d in found]


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        if f.key() not in seen:
            seen.add(f.key())
            out.append(f)
    return out
