"""`call-emulator record`: a proxy that forwards every request to an
upstream, returns the upstream's response unchanged, checks it against the
emulator's specs and saves it scrubbed; `call-emulator replay`: the saved
exchanges sent again from their scrubbed form and the answers compared
structurally with the recordings.

Scrubbed means nothing personal is written: ids, phone numbers, e-mail
addresses and names become numbered placeholders (<id:1>, <phone:1>,
<email:1>, <name:3>) in the request path, query and body and in the
response; spoken text (transcripts, summaries, last messages) becomes
<text:n> whole; any other string has the phones, addresses and already
seen values inside it replaced. Placeholders are numbered across a
recording session, so the call id a create returned and the same id in a
later path are the same placeholder. Response timestamps become <time:n>;
request timestamps are kept (they are not personal, and a replayed
scheduledAt must stay an instant). Credentials are never saved, only the
names of the headers that carried them."""

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
from urllib.parse import parse_qsl, quote, urlencode

import httpx

from emulator.contracts.drift import _allows_null
from emulator.contracts.spec import SpecIndex, check_response, resolve

log = logging.getLogger("emulator.record")

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade", "content-length", "host"}
SECRET_HEADERS = {"x-api-key", "authorization", "cookie"}
CONTEXT_HEADERS = {"x-workspace-id"}  # not secret, needed to replay; saved as header names only like the rest

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
PHONE = re.compile(r"^\+\d[\d\s().-]{6,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Inside free text: a phone number (a "+" then 7 or more digits, maybe
# spaced) or an e-mail address.
PHONE_IN_TEXT = re.compile(r"\+\d(?:[\d\s().-]{5,}\d)")
EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PLACEHOLDER = re.compile(r"<(id|name|phone|email|time|text):(\d+)>")
ID_KEYS = {"id", "roomname", "roomid", "identity", "jobid", "room", "room_name", "participantidentity", "search"}
NAME_KEYS = {"name", "firstname", "lastname", "customername", "contactname", "contact_name", "customer_name", "aiagentname", "agentname"}
# What people said or what is written about them: replaced whole.
TEXT_KEYS = {"content", "text", "lastmessage", "summary", "note", "notes", "suggestion", "suggestions", "transcript", "keypoints", "topics"}
PHONE_KEYS = {"to", "from", "phone", "phonenumber", "contactphone", "customerphone", "callerid", "agentnumber"}
EMAIL_KEYS = {"email", "contactemail"}
# Values too short to look for inside free text without hitting words.
MIN_EMBEDDED = 4


def _kind_for_key(key: str | None) -> str | None:
    if key is None:
        return None
    k = key.lower()
    if k in TEXT_KEYS:
        return "text"
    if k in PHONE_KEYS:
        return "phone"
    if k in EMAIL_KEYS:
        return "email"
    if k in ID_KEYS or k.endswith("id") or k.endswith("_id") or k.endswith("ids"):
        return "id"
    if k in NAME_KEYS or k.endswith("name"):
        return "name"
    return None


class Normaliser:
    """Placeholders for a recording session: the same value always maps to
    the same placeholder, in every exchange."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}
        self.counters: dict[str, count] = {}
        self._embedded: re.Pattern | None = None

    def placeholder(self, kind: str, value: str) -> str:
        if value not in self.seen:
            n = next(self.counters.setdefault(kind, count(1)))
            self.seen[value] = f"<{kind}:{n}>"
            self._embedded = None
        return self.seen[value]

    def _classify(self, value: str, key: str | None, times: bool) -> str | None:
        if TIME.match(value):
            return "time" if times else None
        if PHONE.match(value):
            return "phone"
        if EMAIL.match(value):
            return "email"
        kind = _kind_for_key(key)
        if kind == "phone" and not any(c.isdigit() for c in value):
            return None  # e.g. "to": "voicemail"
        return kind

    def learn(self, value: Any, key: str | None = None, times: bool = True) -> None:
        """First pass: give every value that is personal by key or by form
        its placeholder, so the second pass can find them inside text."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.learn(v, k, times)
        elif isinstance(value, list):
            for v in value:
                self.learn(v, key, times)
        elif isinstance(value, str) and value and value not in self.seen and not PLACEHOLDER.fullmatch(value):
            kind = self._classify(value, key, times)
            if kind == "text":
                return  # spoken text is replaced whole, in the second pass
            if kind:
                self.placeholder(kind, value)

    def rewrite(self, value: Any, key: str | None = None, times: bool = True) -> Any:
        if isinstance(value, dict):
            return {k: self.rewrite(v, k, times) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(v, key, times) for v in value]
        if not isinstance(value, str) or not value or PLACEHOLDER.fullmatch(value):
            return value
        if value in self.seen and (times or not self.seen[value].startswith("<time:")):
            return self.seen[value]
        kind = self._classify(value, key, times)
        if kind == "text":
            return self.placeholder("text", value)
        if kind:
            return self.placeholder(kind, value)
        return self.text(value)

    def text(self, value: str) -> str:
        """Free text with the personal values inside it replaced."""
        value = PHONE_IN_TEXT.sub(lambda m: self.placeholder("phone", m.group(0)), value)
        value = EMAIL_IN_TEXT.sub(lambda m: self.placeholder("email", m.group(0)), value)
        if self._embedded is None:
            known = sorted((v for v, ph in self.seen.items() if len(v) >= MIN_EMBEDDED and not ph.startswith(("<time:", "<text:"))),
                           key=len, reverse=True)
            self._embedded = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, known)) + r")(?!\w)") if known else re.compile(r"(?!x)x")
        return self._embedded.sub(lambda m: self.seen[m.group(0)], value)

    def value(self, value: Any, key: str | None = None, times: bool = True) -> Any:
        self.learn(value, key, times)
        return self.rewrite(value, key, times)

    def path(self, template: str | None, path: str) -> str:
        if template is None:
            return "/".join(self.text(seg) if seg else seg for seg in path.split("/"))
        names = re.findall(r"{([^}]+)}", template)
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "([^/]+)", re.escape(template)) + "$"
        m = re.match(pattern, path)
        if not m:
            return path
        out = template
        for name, raw in zip(names, m.groups()):
            key = name if _kind_for_key(name) else "id"
            out = out.replace("{" + name + "}", self.value(raw, key, times=False), 1)
        return out

    def query(self, query: str) -> str:
        if not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        for k, v in pairs:
            self.learn(v, k, times=False)
        return urlencode([(k, self._query_value(k, v)) for k, v in pairs], safe="<>:")

    def _query_value(self, key: str, value: str) -> str:
        if value.startswith(("{", "[")):  # a JSON parameter (Trillet's dateRange, status)
            try:
                return json.dumps(self.value(json.loads(value), key, times=False), separators=(",", ":"))
            except ValueError:
                pass
        return self.rewrite(value, key, times=False)


@dataclass
class Recorder:
    out: Path
    index: SpecIndex
    counter: count = field(default_factory=lambda: count(1))
    norm: Normaliser = field(default_factory=Normaliser)

    def save(self, method: str, path: str, query: str, request_headers, request_body: bytes, status: int, content_type: str, body: bytes) -> Path:
        op = self.index.find(method, path)
        norm = self.norm
        request_json = _json(request_body)
        response_json = _json(body) if "json" in content_type else None
        problems = []
        if op is not None:
            if "json" in content_type or not body:
                problems = [str(v) for v in check_response(self.index, op, status, response_json)]
            elif op.response_for(status) is None:
                problems = [f"$: status {status} is not declared"]
        if problems:
            log.warning("upstream answered off the spec: %s %s -> %s", method, op.label if op else "(no operation)", status)
        # Learn every personal value of the exchange first, so free text
        # anywhere in it (an error message naming the number) is scrubbed too.
        normal_path = norm.path(op.path if op else None, path)
        normal_query = norm.query(query)
        norm.learn(request_json, times=False)
        norm.learn(response_json)
        record = {
            "spec": op.spec_name if op else None,
            "operation": op.operation_id if op else None,
            "route": op.label if op else f"{method} {normal_path}",
            "request": {
                "method": method,
                "path": normal_path,
                "query": normal_query,
                "headers": sorted(h.lower() for h in request_headers if h.lower() in SECRET_HEADERS | CONTEXT_HEADERS),
                "body": norm.rewrite(request_json, times=False) if request_json is not None else None,
            },
            "response": {
                "status": status,
                "content_type": content_type,
                "body": norm.rewrite(response_json) if response_json is not None else None,
            },
            "violations": [norm.text(v) for v in problems],
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
    """Two shapes as one; null gives way to any other type."""
    if a is None or a == "null":
        return b if b is not None else a
    if b is None or b == "null":
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a.get(k), b.get(k)) if k in a and k in b else a.get(k, b.get(k)) for k in {**a, **b}}
    return a


def _path_parts(path: str) -> list[str]:
    return [p for p in re.split(r"\.|(?=\[\*\])", path[1:]) if p]


def nullable_at(spec: dict, schema: Any, parts: list[str]) -> bool:
    """Whether the spec lets the value at `parts` (keys and "[*]") be null."""
    schema = resolve(spec, schema)
    if schema is True or schema == {}:
        return True
    if not isinstance(schema, dict):
        return False
    subs = [*schema.get("allOf", ()), *(schema.get("anyOf") or ()), *(schema.get("oneOf") or ())]
    if any(nullable_at(spec, sub, parts) for sub in subs):
        return True
    if not parts:
        return _allows_null(schema)
    head, rest = parts[0], parts[1:]
    if head == "[*]":
        return "items" in schema and nullable_at(spec, schema["items"], rest)
    props = schema.get("properties") or {}
    if head in props:
        return nullable_at(spec, props[head], rest)
    extra = schema.get("additionalProperties")
    return nullable_at(spec, extra, rest) if isinstance(extra, dict) else extra is True


def diff_shapes(recorded: Any, actual: Any, path: str = "$", nullable=lambda path: False) -> list[str]:
    """Where two shapes differ. `nullable(path)` says the spec allows null
    there: null against any other type is then no difference."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        out = []
        for k in recorded:
            if k not in actual:
                out.append(f"{path}.{k}: in the recording, not in the response")
            else:
                out += diff_shapes(recorded[k], actual[k], f"{path}.{k}", nullable)
        out += [f"{path}.{k}: in the response, not in the recording" for k in actual if k not in recorded]
        return out
    if isinstance(recorded, list) and isinstance(actual, list):
        if recorded and actual:
            return diff_shapes(recorded[0], actual[0], f"{path}[*]", nullable)
        return []
    name = lambda s: "object" if isinstance(s, dict) else "array" if isinstance(s, list) else s  # noqa: E731
    if name(recorded) != name(actual):
        if "null" in (name(recorded), name(actual)) and nullable(path):
            return []
        return [f"{path}: {name(recorded)} in the recording, {name(actual)} in the response"]
    return []


@dataclass
class ReplayResult:
    file: str
    route: str
    recorded_status: int
    status: int | None
    differences: list[str]


def stand_in(kind: str, n: int) -> str:
    """A value for a placeholder nothing bound: valid in form, personal to nobody."""
    return {
        "phone": f"+1555{n:07d}",
        "email": f"person{n}@example.com",
        "name": f"Person {n}",
        "time": "2025-01-01T00:00:00Z",
    }.get(kind, f"unbound-{kind}-{n}")


class Bindings:
    """Placeholder -> the value sent in its place: given with --bind, or
    learnt from what the server answered where the recording has the
    placeholder (the id a replayed create returned), else a stand-in."""

    def __init__(self, given: dict[str, str] | None = None) -> None:
        self.values = {self.token(k): v for k, v in (given or {}).items()}

    @staticmethod
    def token(name: str) -> str:
        name = name.strip()
        return name if name.startswith("<") else f"<{name}>"

    def fill(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda m: self.values.get(m.group(0)) or stand_in(m.group(1), int(m.group(2))), value)
        return value

    def fill_query(self, query: str) -> str:
        return urlencode([(k, self.fill(v)) for k, v in parse_qsl(query, keep_blank_values=True)]) if query else query

    def fill_path(self, path: str) -> str:
        return PLACEHOLDER.sub(lambda m: quote(self.fill(m.group(0)), safe=""), path)

    def learn(self, recorded: Any, actual: Any) -> None:
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for k, v in recorded.items():
                if k in actual:
                    self.learn(v, actual[k])
        elif isinstance(recorded, list) and isinstance(actual, list):
            for r, a in zip(recorded, actual):
                self.learn(r, a)
        elif isinstance(recorded, str) and isinstance(actual, str):
            m = PLACEHOLDER.fullmatch(recorded)
            if m and m.group(1) in ("id", "phone", "email", "name"):
                self.values.setdefault(recorded, actual)


def _order(path: Path) -> tuple:
    """Recordings in the order they were made (NNNN-...), whatever their folder."""
    head = path.name.split("-", 1)[0]
    return (int(head) if head.isdigit() else 0, str(path))


def replay(recordings: Path, base_url: str, headers: dict[str, str], transport=None, bind: dict[str, str] | None = None,
           specs: dict[str, dict] | None = None) -> list[ReplayResult]:
    results = []
    files = sorted(Path(recordings).rglob("*.json"), key=_order)
    bindings = Bindings(bind)
    index = SpecIndex(specs or served_specs())
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=30.0, transport=transport) as client:
        for f in files:
            rec = json.loads(f.read_text())
            req = rec["request"]
            sent = {k: v for k, v in headers.items() if k.lower() in req["headers"]}
            r = client.request(
                req["method"], bindings.fill_path(req["path"]), params=bindings.fill_query(req.get("query") or "") or None, headers=sent,
                json=bindings.fill(req["body"]) if req["body"] is not None else None,
            )
            actual = _json(r.content) if "json" in r.headers.get("content-type", "") else None
            differences = []
            if r.status_code != rec["response"]["status"]:
                differences.append(f"status: {rec['response']['status']} in the recording, {r.status_code} in the response")
            else:
                bindings.learn(rec["response"]["body"], actual)
                op = index.by_id(rec["spec"], rec["operation"]) if rec.get("spec") and rec.get("operation") else None
                schema = op.body_schema(r.status_code) if op is not None else None
                nullable = (lambda path: nullable_at(op.spec, schema, _path_parts(path))) if schema is not None else (lambda path: False)
                differences = diff_shapes(shape(rec["response"]["body"]), shape(actual), nullable=nullable)
            results.append(ReplayResult(str(f.relative_to(recordings)), rec["route"], rec["response"]["status"], r.status_code, differences))
    return results


def replay_main(args) -> int:
    headers = {}
    for h in args.header:
        name, _, value = h.partition(":")
        headers[name.strip().lower()] = value.strip()
    bind = {}
    for b in args.bind:
        name, sep, value = b.partition("=")
        if not sep or not PLACEHOLDER.fullmatch(Bindings.token(name)):
            print(f"--bind {b!r}: expected PLACEHOLDER=VALUE, e.g. id:1=call_abc123", file=sys.stderr)
            return 2
        bind[name] = value
    results = replay(args.recordings, args.base_url, headers, bind=bind)
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
