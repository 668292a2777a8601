"""`call-emulator contract`: the committed spec checked against any base URL
(the real vendor or an emulator). Read-only probes by default: each GET
operation with valid credentials, with none, with an id that does not
exist, and without the vendor's extra required headers. `--allow-writes`
adds the write checks listed in WRITE_CHECKS, by operationId: every write
operation of both specs, each sending its spec's request example, chained
on the calls the run itself creates."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from emulator.contracts.drift import KINDS, Finding, check, dedupe
from emulator.contracts.spec import Operation, SpecIndex

MISSING_ID = "contract-check-missing-000000"


@dataclass(frozen=True)
class Auth:
    """How a vendor authenticates: the credential headers, and the extra
    headers it requires besides (probed by leaving them out)."""

    key_header: str = "x-api-key"
    extra: tuple[tuple[str, str], ...] = ()  # (header, the argument that fills it)


AUTH = {
    "heppu": Auth(),
    "trillet": Auth(extra=(("x-workspace-id", "workspace_id"),)),
}
# Path parameters the command line can fill (the argparse dest; the flag is
# --call-id, --room-name, --call-history-id).
PATH_ARGS = {"callId": "call_id", "roomName": "room_name", "callHistoryId": "call_history_id"}


def flag(param: str) -> str:
    return "--" + PATH_ARGS[param].replace("_", "-")


@dataclass(frozen=True)
class WriteCheck:
    """One write the contract run may make. Found in the spec by operationId
    first, then by method and path; its body is the spec's own example; its
    path parameters only take ids this run created (never the caller's calls)."""

    provider: str
    operation_id: str
    method: str
    path: str
    takes: tuple[tuple[str, str], ...] = ()  # (path parameter, response field of an earlier write that created it)
    # Needs the created call live first: waits until this GET operation
    # answers 200 for it (an active-call route takes only a live room).
    live_via: str | None = None
    fills: tuple[tuple[str, str], ...] = ()  # (body field, value learnt from the live call) replacing the example's


WRITE_CHECKS = [
    WriteCheck("heppu", "scheduleCall", "POST", "/api/v1/calls/schedule"),
    WriteCheck("heppu", "batchScheduleCalls", "POST", "/api/v1/calls/batch"),
    WriteCheck("heppu", "outboundCall", "POST", "/api/v1/calls/outbound"),
    WriteCheck("heppu", "cancelCall", "DELETE", "/api/v1/calls/{callId}", takes=(("callId", "id"),)),
    WriteCheck("trillet", "initiateOutboundCall", "POST", "/v1/api/call"),
    WriteCheck("trillet", "removeAgent", "POST", "/v2/api/active-calls/{roomName}/remove-agent", takes=(("roomName", "roomName"),),
               live_via="getActiveCall", fills=(("participantIdentity", "agentIdentity"),)),
    WriteCheck("trillet", "endActiveCall", "POST", "/v2/api/active-calls/{roomName}/end-call", takes=(("roomName", "roomName"),),
               live_via="getActiveCall"),
]


@dataclass
class Probe:
    name: str
    operation: str
    method: str
    url_path: str
    status: int | None = None
    findings: int = 0
    error: str | None = None


@dataclass
class Report:
    provider: str
    base_url: str
    findings: list[Finding] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        return bool(self.findings)

    @property
    def failed(self) -> list[Probe]:
        """Probes whose request got no answer at all."""
        return [p for p in self.probes if p.error]

    @property
    def unreachable(self) -> bool:
        return bool(self.probes) and len(self.failed) == len(self.probes)

    def headline(self) -> str:
        head = f"contract {self.provider} against {self.base_url}: "
        failed = self.failed
        if self.unreachable:
            return head + f"could not reach it ({failed[0].error})"
        if self.drift:
            head += f"DRIFT, {len(self.findings)} finding(s)"
            return head + (f"; {len(failed)} of {len(self.probes)} request(s) got no answer" if failed else "")
        if failed:
            return head + f"INCOMPLETE, {len(failed)} of {len(self.probes)} request(s) got no answer; no drift in the rest"
        return head + "no drift"

    def exit_code(self) -> int:
        """0 no drift, 1 drift, 2 the server could not be (fully) checked."""
        if self.unreachable:
            return 2
        return 1 if self.drift else (2 if self.failed else 0)

    def as_dict(self) -> dict:
        return {
            "provider": self.provider,
            "base_url": self.base_url,
            "drift": self.drift,
            "reached": not self.unreachable,
            "headline": self.headline(),
            "findings": [f.as_dict() for f in self.findings],
            "counts": {k: sum(1 for f in self.findings if f.kind == k) for k in KINDS if any(f.kind == k for f in self.findings)},
            "probes": [p.__dict__ for p in self.probes],
            "notes": self.notes,
        }

    def render(self) -> str:
        lines = [self.headline()]
        for kind, meaning in KINDS.items():
            of_kind = [f for f in self.findings if f.kind == kind]
            if of_kind:
                lines.append(f"{kind} ({meaning}):")
                lines += [f"  {f.operation} -> {f.status}  {f.path}  {f.detail}" for f in of_kind]
        lines.append(f"probes ({len(self.probes)}):")
        for p in self.probes:
            outcome = p.error or f"{p.status}" + (f", {p.findings} finding(s)" if p.findings else ", ok")
            lines.append(f"  {p.name:<22} {p.method} {p.url_path}: {outcome}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


class Runner:
    def __init__(self, provider: str, spec: dict, base_url: str, args: dict[str, Any], client: httpx.Client, live_timeout: float = 60.0) -> None:
        self.provider = provider
        self.index = SpecIndex({provider: spec})
        self.args = args
        self.client = client
        self.auth = AUTH[provider]
        self.report = Report(provider, base_url)
        self.created: dict[str, str] = {}  # response field -> value, from this run's writes
        self.live_timeout = live_timeout

    # -- headers
    def credentials(self, extra: bool = True) -> dict[str, str]:
        headers = {self.auth.key_header: self.args["api_key"]}
        if extra:
            for header, arg in self.auth.extra:
                if self.args.get(arg):
                    headers[header] = self.args[arg]
        return headers

    # -- one request
    def probe(self, name: str, op: Operation, params: dict[str, str], headers: dict[str, str], body: Any = None) -> tuple[int, Any] | None:
        url_path = op.path
        for k, v in params.items():
            url_path = url_path.replace("{" + k + "}", quote(v, safe=""))
        probe = Probe(name, op.operation_id, op.method, url_path)
        self.report.probes.append(probe)
        try:
            r = self.client.request(op.method, url_path, headers=headers, json=body)
        except httpx.HTTPError as e:
            probe.error = f"request failed: {e}"
            return None
        probe.status = r.status_code
        is_json = "json" in r.headers.get("content-type", "")
        try:
            data = r.json() if is_json and r.content else None
        except ValueError:
            data, is_json = None, False
        found = check(op, r.status_code, data, is_json=is_json or not r.content)
        probe.findings = len(found)
        self.report.findings.extend(found)
        return r.status_code, data

    def path_value(self, param: str) -> str | None:
        arg = PATH_ARGS.get(param)
        return self.args.get(arg) if arg else None

    # -- read-only checks
    def reads(self) -> None:
        for op in sorted(self.index.of_spec(self.provider), key=lambda o: (len(o.path_params()), o.path)):
            if op.method != "GET":
                continue
            params = op.path_params()
            values = {p: self.path_value(p) for p in params}
            if all(values.values()):
                self.probe("valid credentials", op, values, self.credentials())
            else:
                missing = [p for p, v in values.items() if not v]
                how = ", ".join(flag(p) if p in PATH_ARGS else f"no option fills {p}" for p in missing)
                self.report.notes.append(f"{op.operation_id}: no value for {', '.join(missing)} (pass {how}); valid-credentials probe skipped")
            stand_in = {p: values[p] or MISSING_ID for p in params}
            self.probe("no credentials", op, stand_in, {})
            for header, _ in self.auth.extra:
                self.probe(f"without {header}", op, stand_in, self.credentials(extra=False))
            if params:
                self.probe("unknown id", op, {p: MISSING_ID for p in params}, self.credentials())

    # -- writes
    def writes(self) -> None:
        for w in (w for w in WRITE_CHECKS if w.provider == self.provider):
            op = self.index.by_id(self.provider, w.operation_id) or self.index.by_route(self.provider, w.method, w.path)
            if op is None:
                self.report.notes.append(f"write check {w.operation_id} ({w.method} {w.path}) skipped: not in the spec")
                continue
            params = {p: self.created.get(source) for p, source in w.takes}
            if not all(params.values()):
                self.report.notes.append(f"write check {op.operation_id} skipped: no call created by this run to use")
                continue
            body = request_example(op) if "requestBody" in op.op else None
            if "requestBody" in op.op and body is None:
                self.report.notes.append(f"write check {op.operation_id} skipped: the spec has no request example to send")
                continue
            if w.live_via and not self.wait_live(w, params):
                continue
            if w.fills and isinstance(body, dict):
                body = {**body, **{f: self.created[k] for f, k in w.fills if k in self.created}}
            result = self.probe("write", op, params, self.credentials(), body)
            if result and 200 <= result[0] < 300:
                self.harvest(result[1])

    def wait_live(self, w: WriteCheck, params: dict[str, str]) -> bool:
        """Poll `w.live_via` for the created call until it answers 200 (its
        room is live), learning its agent's identity on the way."""
        op = self.index.by_id(self.provider, w.live_via)
        if op is None:
            self.report.notes.append(f"write check {w.operation_id} skipped: {w.live_via} is not in the spec")
            return False
        url_path = op.path
        for k, v in params.items():
            url_path = url_path.replace("{" + k + "}", quote(v, safe=""))
        deadline = time.monotonic() + self.live_timeout
        while True:
            try:
                r = self.client.get(url_path, headers=self.credentials())
            except httpx.HTTPError as e:
                self.report.notes.append(f"write check {w.operation_id} skipped: {w.live_via} failed while waiting for the call to be live: {e}")
                return False
            if r.status_code == 200:
                try:
                    people = r.json().get("participants") or []
                except (ValueError, AttributeError):
                    people = []
                agent = next((p.get("identity") for p in people if isinstance(p, dict) and p.get("isAgent")), None)
                if isinstance(agent, str):
                    self.created.setdefault("agentIdentity", agent)
                return True
            if time.monotonic() >= deadline:
                self.report.notes.append(
                    f"write check {w.operation_id} skipped: the call this run placed was not live within {self.live_timeout:g} s "
                    f"({w.live_via} answered {r.status_code})"
                )
                return False
            time.sleep(0.5)

    def harvest(self, data: Any) -> None:
        node = data.get("data", data) if isinstance(data, dict) else None
        if isinstance(node, dict):
            for key in ("id", "callId", "roomName", "roomId"):
                if isinstance(node.get(key), str):
                    self.created.setdefault(key if key != "callId" else "id", node[key])

    def run(self, allow_writes: bool) -> Report:
        self.reads()
        if allow_writes:
            self.writes()
        else:
            names = [w.operation_id for w in WRITE_CHECKS if w.provider == self.provider]
            self.report.notes.append("write checks not run (pass --allow-writes): " + ", ".join(names))
        self.report.findings = dedupe(self.report.findings)
        return self.report


def request_example(op: Operation) -> Any:
    content = (op.resolve(op.op.get("requestBody", {})).get("content") or {}).get("application/json") or {}
    if "example" in content:
        return content["example"]
    for example in (content.get("examples") or {}).values():
        return op.resolve(example).get("value")
    schema = op.resolve(content.get("schema") or {})
    if "examples" in schema and schema["examples"]:
        return schema["examples"][0]
    return schema.get("example")


def load_spec(provider: str, path=None) -> dict:
    if path is not None:
        return json.loads(path.read_text())
    from emulator.app import PROVIDERS
    from emulator.openapi import provider_spec

    return provider_spec(next(p for p in PROVIDERS if p.name == provider))


def run_contract(provider: str, base_url: str, api_key: str, *, workspace_id=None, call_id=None, room_name=None,
                 call_history_id=None, allow_writes=False, spec=None, timeout=20.0, live_timeout=60.0, transport=None) -> Report:
    args = {"api_key": api_key, "workspace_id": workspace_id, "call_id": call_id, "room_name": room_name, "call_history_id": call_history_id}
    with httpx.Client(base_url=base_url, timeout=timeout, transport=transport, headers={"accept": "application/json"}) as client:
        return Runner(provider, spec or load_spec(provider), base_url, args, client, live_timeout).run(allow_writes)


def main(args) -> int:
    if args.provider == "trillet" and not args.workspace_id:
        print("trillet needs --workspace-id", file=sys.stderr)
        return 2
    report = run_contract(
        args.provider, args.base_url, args.api_key, workspace_id=args.workspace_id, call_id=args.call_id,
        room_name=args.room_name, call_history_id=args.call_history_id, allow_writes=args.allow_writes,
        spec=load_spec(args.provider, args.spec), timeout=args.timeout, live_timeout=args.live_timeout,
    )
    print(json.dumps(report.as_dict(), indent=2) if args.format == "json" else report.render())
    return report.exit_code()
