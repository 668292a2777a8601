"""`call-emulator record`: a proxy that forwards every request to an
upstream, returns the upstream's response unchanged, checks it against the
emulator's specs and saves it normalised; `call-emulator replay`: the saved
responses compared structurally with another server's own.

Normalised means ids, timestamps, phone numbers and names are replaced by
numbered placeholders (<id:1>, <time:2>, <phone:1>, <name:3>) that keep
their relations within one exchange: the call id in the request path and
the same id in the body become the same placeholder. The raw request
(path, query, body: the client's own input) is kept under "replay" so the
exchange can be sent again; credentials are never saved, only the names of
the headers that carried them."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from emulator.contracts.spec import SpecIndex, check_response

log = logging.getLogger("emulator.record")

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade", "content-length", "host"}
SECRET_HEADERS = {"x-api-key", "authorization", "cookie"}
CONTEXT_HEADERS = {"x-workspace-id"}  # not secret, needed to replay; saved as header names only like the rest

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
PHONE = re.compile(r"^\+\d[\d\s().-]{6,}$")
ID_KEYS = {"id", "roomname", "roomid", "identity", "jobid", "room", "room_name"}
NAME_KEYS = {"name", "firstname", "lastname", "customername", "contactname", "contact_name", "customer_name", "aiagentname", "agentname"}


def _kind_for_key(key: str | None) -> str | None:
    if key is None:
        return None
    k = key.lower()
    if k in ID_KEYS or k.endswith("id") or k.endswith("_id") or k.endswith("ids"):
        return "id"
    if k in NAME_KEYS or k.endswith("name"):
        return "name"
    return None


class Normaliser:
    """Placeholders for one exchange; the same value always maps to the same placeholder."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}
        self.counters: dict[str, count] = {}

    def placeholder(self, kind: str, value: str) -> str:
        if value not in self.seen:
            n = next(self.counters.setdefault(kind, count(1)))
            self.seen[value] = f"<{kind}:{n}>"
        return self.seen[value]

    def value(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if not isinstance(value, str) or not value:
            return value
        if value in self.seen:
            return self.seen[value]
        if TIME.match(value):
            return self.placeholder("time", value)
        if PHONE.match(value):
            return self.placeholder("phone", value)
        kind = _kind_for_key(key)
        return self.placeholder(kind, value) if kind else value

    def path(self, template: str | None, path: str) -> str:
        if template is None:
            return path
        names = re.findall(r"{([^}]+)}", template)
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "([^/]+)", re.escape(template)) + "$"
        m = re.match(pattern, path)
        if not m:
            return path
        out = template
        for name, raw in zip(names, m.groups()):
            out = out.replace("{" + name + "}", self.value(raw, name if _kind_for_key(name) else "id"), 1)
        return out


@dataclass
class Recorder:
    out: Path
    index: SpecIndex
    counter: count = field(default_factory=lambda: count(1))

    def save(self, method: str, path: str, query: str, request_headers, request_body: bytes, status: int, content_type: str, body: bytes) -> Path:
        op = self.index.find(method, path)
        norm = Normaliser()
        request_json = _json(request_body)
        response_json = _json(body) if "json" in content_type else None
        problems = []
        if op is not None:
            if "json" in content_type or not body:
                problems = [str(v) for v in check_response(self.index, op, status, response_json)]
            elif op.response_for(status) is None:
                problems = [f"$: status {status} is not declared"]
        if problems:
            log.warning("upstream answered off the spec: %s %s -> %s: %s", method, path, status, "; ".join(problems))
        # The request path first, so its ids number from 1 and the body refers to them.
        normal_path = norm.path(op.path if op else None, path)
        record = {
            "spec": op.spec_name if op else None,
            "operation": op.operation_id if op else None,
            "route": op.label if op else f"{method} {path}",
            "request": {
                "method": method,
                "path": normal_path,
                "query": query,
                "headers": sorted(h.lower() for h in request_headers if h.lower() in SECRET_HEADERS | CONTEXT_HEADERS),
                "body": norm.value(request_json) if request_json is not None else None,
            },
            "response": {
                "status": status,
                "content_type": content_type,
                "body": norm.value(response_json) if response_json is not None else None,
            },
            "violations": problems,
            "replay": {"path": path, "query": query, "body": request_json},
        }
        folder = self.out / (record["spec"] or "other") / (record["operation"] or "unmatched")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{next(self.counter):04d}-{method.lower()}-{status}.json"
        target.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        return target


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def served_specs() -> dict[str, dict]:
    from emulator.app import create_app
    from emulator.settings import Settings

    return create_app(Settings(demo=False)).state.specs


def create_proxy(upstream: str, out: Path, specs: dict[str, dict] | None = None):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    recorder = Recorder(Path(out), SpecIndex(specs or served_specs()))
    client = httpx.AsyncClient(base_url=upstream.rstrip("/"), timeout=60.0)

    async def forward(request: Request) -> Response:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["accept-encoding"] = "identity"  # the bytes pass through as they came
        try:
            r = await client.request(request.method, request.url.path, params=request.url.query or None, headers=headers, content=body)
        except httpx.HTTPError as e:
            log.error("upstream unreachable: %s %s: %s", request.method, request.url.path, e)
            message = json.dumps({"error": {"message": f"call-emulator record: upstream unreachable: {e!r}", "code": 502}})
            return Response(message, status_code=502, media_type="application/json")
        content_type = r.headers.get("content-type", "")
        recorder.save(request.method, request.url.path, request.url.query, request.headers.keys(), body, r.status_code, content_type, r.content)
        passed = [(k, v) for k, v in r.headers.multi_items() if k.lower() not in HOP_BY_HOP]
        response = Response(r.content, status_code=r.status_code)
        response.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in passed] + [
            (b"content-length", str(len(r.content)).encode())
        ]
        return response

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        await client.aclose()

    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)
    app.state.recorder = recorder
    return app


def serve(upstream: str, out: Path, host: str, port: int) -> int:
    import uvicorn

    print(f"recording {upstream} into {out} on http://{host}:{port}", flush=True)
    uvicorn.run(create_proxy(upstream, out), host=host, port=port, log_level="info")
    return 0


# ---- replay


def shape(value: Any) -> Any:
    """A body's structure: keys and JSON types, array items merged."""
    from emulator.contracts.drift import json_type

    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = _merge(merged, shape(item))
        return [merged] if merged is not None else []
    return json_type(value)


def _merge(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a.get(k), b.get(k)) if k in a and k in b else a.get(k, b.get(k)) for k in {**a, **b}}
    return a


def diff_shapes(recorded: Any, actual: Any, path: str = "$") -> list[str]:
    if isinstance(recorded, dict) and isinstance(actual, dict):
        out = []
        for k in recorded:
            if k not in actual:
                out.append(f"{path}.{k}: in the recording, not in the response")
            else:
                out += diff_shapes(recorded[k], actual[k], f"{path}.{k}")
        out += [f"{path}.{k}: in the response, not in the recording" for k in actual if k not in recorded]
        return out
    if isinstance(recorded, list) and isinstance(actual, list):
        if recorded and actual:
            return diff_shapes(recorded[0], actual[0], f"{path}[*]")
        return []
    name = lambda s: "object" if isinstance(s, dict) else "array" if isinstance(s, list) else s  # noqa: E731
    if name(recorded) != name(actual):
        return [f"{path}: {name(recorded)} in the recording, {name(actual)} in the response"]
    return []


@dataclass
class ReplayResult:
    file: str
    route: str
    recorded_status: int
    status: int | None
    differences: list[str]


def replay(recordings: Path, base_url: str, headers: dict[str, str], transport=None) -> list[ReplayResult]:
    results = []
    files = sorted(p for p in Path(recordings).rglob("*.json"))
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=30.0, transport=transport) as client:
        for f in files:
            rec = json.loads(f.read_text())
            sent = {k: v for k, v in headers.items() if k.lower() in rec["request"]["headers"]}
            again = rec["replay"]
            r = client.request(
                rec["request"]["method"], again["path"], params=again["query"] or None, headers=sent,
                json=again["body"] if again["body"] is not None else None,
            )
            differences = []
            if r.status_code != rec["response"]["status"]:
                differences.append(f"status: {rec['response']['status']} in the recording, {r.status_code} in the response")
            else:
                actual = _json(r.content) if "json" in r.headers.get("content-type", "") else None
                differences = diff_shapes(shape(rec["response"]["body"]), shape(actual))
            results.append(ReplayResult(str(f.relative_to(recordings)), rec["route"], rec["response"]["status"], r.status_code, differences))
    return results


def replay_main(args) -> int:
    headers = {}
    for h in args.header:
        name, _, value = h.partition(":")
        headers[name.strip().lower()] = value.strip()
    results = replay(args.recordings, args.base_url, headers)
    differing = [r for r in results if r.differences]
    if args.format == "json":
        print(json.dumps({"compared": len(results), "differing": len(differing), "results": [r.__dict__ for r in results]}, indent=2))
    else:
        print(f"replayed {len(results)} recording(s) against {args.base_url}: {len(differing)} differ")
        for r in differing:
            print(f"  {r.file} ({r.route}):")
            print("\n".join(f"    {d}" for d in r.differences))
    if not results:
        print("no recordings found", file=sys.stderr)
        return 2
    return 1 if differing else 0
