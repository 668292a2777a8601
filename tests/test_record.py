"""`call-emulator record` with another emulator as the upstream, and the
replay check of what it saved."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI

from emulator.cli import main
from emulator.contracts.record import Normaliser, create_proxy

from .conftest import EXAMPLES, HEPPU, TRILLET, make_app
from .live import serving

NOW = "2025-12-01T15:30:10Z"
# Generous: the proxy waits on an upstream on a machine that may be busy.
_http = httpx.Client(timeout=30.0)


def _requests(proxy: str) -> list[tuple[str, dict]]:
    return [
        ("/api/v1/calls/call_abc123", HEPPU),
        ("/api/v1/calls/call_def456", HEPPU),
        ("/api/v1/calls/nope", HEPPU),
        ("/api/v1/calls/call_abc123", {}),
        ("/v2/api/active-calls/call-abc123", TRILLET),
    ]


@pytest.fixture
def recorded(tmp_path):
    """Recordings of a few exchanges through the proxy, and what the client saw."""
    out = tmp_path / "rec"
    with serving(make_app(now=NOW)) as upstream, serving(create_proxy(upstream, out)) as proxy:
        seen = []
        for path, headers in _requests(proxy):
            via = _http.get(proxy + path, headers=headers)
            direct = _http.get(upstream + path, headers=headers)
            seen.append((path, via, direct))
    return out, seen


def _files(out):
    return {p.relative_to(out).as_posix(): json.loads(p.read_text()) for p in sorted(out.rglob("*.json"))}


def test_the_proxy_returns_the_upstream_response_unchanged(recorded):
    _, seen = recorded
    for path, via, direct in seen:
        assert (via.status_code, via.content) == (direct.status_code, direct.content), path
        assert via.headers["content-type"] == direct.headers["content-type"]
    assert [v.status_code for _, v, _ in seen] == [200, 200, 404, 401, 404]  # trillet call ended by 15:30 on 2025-12-01


def test_recordings_are_normalised_and_keep_their_relations(recorded):
    out, _ = recorded
    files = _files(out)
    assert sorted(files) == [
        "heppu/getCall/0001-get-200.json",
        "heppu/getCall/0002-get-200.json",
        "heppu/getCall/0003-get-404.json",
        "heppu/getCall/0004-get-401.json",
        "trillet/getActiveCall/0005-get-404.json",
    ]
    first = files["heppu/getCall/0001-get-200.json"]
    text = json.dumps(first)
    for raw in ("call_abc123", "+14155551234", "2025-12-01T", "550e8400-e29b-41d4-a716-446655440000", "YOUR_API_KEY"):
        assert raw not in text, raw
    assert first["request"]["path"] == "/api/v1/calls/<id:1>"
    data = first["response"]["body"]["data"]
    assert data["id"] == "<id:1>"  # the same call as in the path
    assert data["status"] == "completed" and isinstance(data["duration"], int)  # what is not an id stays
    assert data["phoneNumber"].startswith("<phone:") and data["createdAt"].startswith("<time:")
    assert data["agent"]["name"].startswith("<name:")
    assert first["request"]["headers"] == ["x-api-key"]
    assert first["violations"] == []
    assert "replay" not in first  # the request is replayed from its scrubbed form


def _bind_args(out, *raw: str) -> list[str]:
    """--bind for each raw id, read off the recordings' paths in order."""
    files = _files(out)
    paths = [f["request"]["path"] for _, f in sorted(files.items(), key=lambda kv: kv[0].split("/")[-1])]
    args = []
    for value, path in zip(raw, paths):
        args += ["--bind", f"{path.rsplit('/', 1)[1].strip('<>')}={value}"]
    return args


def test_normaliser_numbers_each_kind_and_reuses_placeholders():
    n = Normaliser()
    body = {"id": "a", "parent": {"callId": "a", "roomName": "r"}, "at": "2024-01-01T00:00:00Z", "to": "+14155550100",
            "from": "+14155550100", "customerName": "Jo", "status": "active", "list": [{"id": "b"}, {"id": "a"}]}
    assert n.value(body) == {"id": "<id:1>", "parent": {"callId": "<id:1>", "roomName": "<id:2>"}, "at": "<time:1>",
                             "to": "<phone:1>", "from": "<phone:1>", "customerName": "<name:1>", "status": "active",
                             "list": [{"id": "<id:3>"}, {"id": "<id:1>"}]}


def test_replay_against_an_emulator_finds_no_differences(recorded, capsys):
    out, _ = recorded
    with serving(make_app(now=NOW)) as emulator:
        code = main(["replay", str(out), "--base-url", emulator, "--header", "x-api-key:YOUR_API_KEY",
                     "--header", "x-workspace-id:69cf4b468d2a8a6a8e39b684", *_bind_args(out, "call_abc123", "call_def456")])
    assert code == 0, capsys.readouterr().out
    assert "replayed 5 recording(s)" in capsys.readouterr().out


def test_replay_reports_structural_differences(recorded, capsys):
    out, _ = recorded
    drifted = FastAPI()

    @drifted.get("/api/v1/calls/{call_id}")
    async def get_call(call_id: str):
        data = dict(EXAMPLES["heppu"]["completed"]["data"])
        data["phone"] = data.pop("phoneNumber")
        data["duration"] = "145"
        return {"data": data}

    @drifted.get("/v2/api/active-calls/{room}")
    async def active(room: str):
        return {"error": "Not Found", "message": "gone"}  # 200 where the recording has 404

    with serving(drifted) as url:
        code = main(["replay", str(out), "--base-url", url, "--format", "json", *_bind_args(out, "call_abc123", "call_def456")])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    by_file = {r["file"]: r["differences"] for r in report["results"]}
    assert by_file["heppu/getCall/0001-get-200.json"] == [
        "$.data.phoneNumber: in the recording, not in the response",
        "$.data.duration: integer in the recording, string in the response",
        "$.data.phone: in the response, not in the recording",
    ]
    assert by_file["heppu/getCall/0003-get-404.json"] == ["status: 404 in the recording, 200 in the response"]
    assert by_file["trillet/getActiveCall/0005-get-404.json"] == ["status: 404 in the recording, 200 in the response"]


def test_an_upstream_off_the_spec_is_passed_through_and_flagged(tmp_path):
    upstream = FastAPI()

    @upstream.get("/api/v1/calls/{call_id}")
    async def get_call(call_id: str):
        return {"data": {"id": call_id, "status": "exploded"}}

    out = tmp_path / "rec"
    with serving(upstream) as up, serving(create_proxy(up, out)) as proxy:
        r = _http.get(proxy + "/api/v1/calls/call_x", headers=HEPPU)
    assert r.status_code == 200 and r.json() == {"data": {"id": "call_x", "status": "exploded"}}
    (saved,) = _files(out).values()
    assert any("$.data.status" in v and "enum" in v for v in saved["violations"])
    assert any("$.data" in v and "required" in v for v in saved["violations"])


def test_an_unreachable_upstream_is_a_502_and_nothing_is_saved(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    out = tmp_path / "rec"
    with serving(create_proxy(dead, out)) as proxy:
        r = _http.get(proxy + "/api/v1/calls/call_abc123", headers=HEPPU)
    assert r.status_code == 502 and "upstream unreachable" in r.json()["error"]["message"]
    assert not out.exists() or not any(out.rglob("*.json"))


# --- nothing personal stays; replay from the scrubbed form; nullable fields ---

from emulator.contracts.record import nullable_at  # noqa: E402
from emulator.contracts.spec import SpecIndex  # noqa: E402

ADA = {"agentId": "550e8400-e29b-41d4-a716-446655440000", "contactPhone": "+14155550123", "contactName": "Ada Lovelace",
       "contactEmail": "ada@example.com", "metadata": {"note": "call Ada back on +14155550123"}}


def _session(upstream: str, proxy: str) -> dict:
    """A client's session through the proxy: place calls, read them, list, cancel."""
    raw: dict = {}
    r = _http.post(proxy + "/api/v1/calls/schedule", headers=HEPPU, json=ADA)
    assert r.status_code == 201, r.text
    raw["heppu_id"] = r.json()["data"]["id"]
    assert _http.get(proxy + f"/api/v1/calls/{raw['heppu_id']}", headers=HEPPU).status_code == 200
    assert _http.get(proxy + "/api/v1/calls", headers=HEPPU, params={"phoneNumber": "+14155550123"}).status_code == 200
    assert _http.get(proxy + "/api/v1/calls/call_abc123", headers=HEPPU).status_code == 200  # a transcript
    r = _http.post(proxy + "/v1/api/call", headers=TRILLET,
                   json={"to": "+14155550123", "call_agent_id": "a1b2c3d4e5f6a7b8c9d0e1f2", "dynamic_variables": {"firstName": "Ada"}})
    assert r.status_code == 200 and "+14155550123" in r.json()["message"], r.text
    raw["trillet"] = r.json()
    assert _http.delete(proxy + f"/api/v1/calls/{raw['heppu_id']}", headers=HEPPU).status_code == 200
    return raw


@pytest.fixture
def session(tmp_path):
    out = tmp_path / "rec"
    with serving(make_app(now=NOW)) as upstream, serving(create_proxy(upstream, out)) as proxy:
        raw = _session(upstream, proxy)
    return out, raw


def test_nothing_personal_stays_in_a_recording(session):
    import re

    out, raw = session
    personal = [
        "+14155550123", "14155550123", "Ada", "Lovelace", "ada@example.com", raw["heppu_id"], raw["trillet"]["roomName"],
        raw["trillet"]["callId"], "call_abc123", "+14155552671", "Customer Support Agent", "a1b2c3d4e5f6a7b8c9d0e1f2",
        "I wanted to check on my order status",  # what the caller said
    ]
    files = _files(out)
    assert len(files) == 6
    for name, rec in files.items():
        text = json.dumps(rec)
        for value in personal:
            assert value not in text, (name, value)
        assert not re.search(r"\+\d{7,}", text), name
    outbound = next(f for n, f in files.items() if "initiateOutboundCall" in n)
    assert outbound["request"]["body"]["to"] == outbound["response"]["body"]["message"].rsplit(" ", 1)[1]  # same placeholder
    assert outbound["request"]["body"]["dynamic_variables"]["firstName"] == "<name:2>" or \
        outbound["request"]["body"]["dynamic_variables"]["firstName"].startswith("<name:")
    listing = next(f for n, f in files.items() if "listCalls" in n)
    assert re.fullmatch(r"phoneNumber=<phone:\d+>", listing["request"]["query"])
    transcript = next(f for n, f in files.items() if n.endswith("-get-200.json") and f["response"]["body"]["data"].get("transcript"))
    assert all(t["content"].startswith("<text:") for t in transcript["response"]["body"]["data"]["transcript"])
    # the id the create answered, in a later path, is the same placeholder
    create = next(f for n, f in files.items() if "scheduleCall" in n)
    cancel = next(f for n, f in files.items() if "cancelCall" in n)
    assert cancel["request"]["path"] == f"/api/v1/calls/{create['response']['body']['data']['id']}"


def test_replay_works_from_the_scrubbed_form(session, capsys):
    out, _ = session
    create = next(f for n, f in _files(out).items() if "scheduleCall" in n)
    agent = create["request"]["body"]["agentId"].strip("<>")
    fixture_read = next(f for n, f in _files(out).items() if n.startswith("heppu/getCall/0004"))
    known = fixture_read["request"]["path"].rsplit("/", 1)[1].strip("<>")
    trillet_agent = next(f for n, f in _files(out).items() if "initiateOutboundCall" in n)["request"]["body"]["call_agent_id"].strip("<>")
    with serving(make_app(now=NOW)) as emulator:
        code = main(["replay", str(out), "--base-url", emulator, "--header", "x-api-key:YOUR_API_KEY",
                     "--header", "x-workspace-id:69cf4b468d2a8a6a8e39b684", "--format", "json",
                     "--bind", f"{agent}=550e8400-e29b-41d4-a716-446655440000", "--bind", f"<{known}>=call_abc123",
                     "--bind", f"{trillet_agent}=a1b2c3d4e5f6a7b8c9d0e1f2"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    # the created call's id came back from the replayed create and was read and cancelled
    statuses = {r["file"].split("/")[1]: r["status"] for r in report["results"]}
    assert statuses["scheduleCall"] == 201 and statuses["getCall"] == 200 and statuses["cancelCall"] == 200


def test_a_bad_bind_is_refused(session, capsys):
    out, _ = session
    assert main(["replay", str(out), "--base-url", "http://127.0.0.1:9", "--bind", "call_abc123"]) == 2
    assert "PLACEHOLDER=VALUE" in capsys.readouterr().err


def test_null_against_a_string_is_no_difference_where_the_spec_allows_null(tmp_path, capsys):
    """A list recorded when the newest call was immediate (scheduledAt null),
    replayed once a scheduled call is newer (scheduledAt a string)."""
    out = tmp_path / "rec"
    app = make_app(now=NOW)
    with serving(app) as upstream, serving(create_proxy(upstream, out)) as proxy:
        r = _http.post(proxy + "/api/v1/calls/outbound", headers=HEPPU, json={"agentId": ADA["agentId"], "phoneNumber": "+14155550124"})
        assert r.status_code == 201
        listed = _http.get(proxy + "/api/v1/calls", headers=HEPPU, params={"limit": 1})
        assert listed.json()["data"]["calls"][0]["scheduledAt"] is None
        (out / "heppu" / "outboundCall").rename(tmp_path / "aside")  # replay the list alone
        app.state.engine.clocks.global_clock.advance(1)
        r = _http.post(upstream + "/api/v1/calls/schedule", headers=HEPPU, json={**ADA, "scheduledAt": "2025-12-02T10:00:00Z"})
        assert r.status_code == 201
        code = main(["replay", str(out), "--base-url", upstream, "--header", "x-api-key:YOUR_API_KEY", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report


def test_nullable_at_follows_the_spec():
    index = SpecIndex(make_app().state.specs)
    op = index.by_id("heppu", "listCalls")
    schema = op.body_schema(200)
    assert nullable_at(op.spec, schema, ["data", "calls", "[*]", "scheduledAt"])
    assert not nullable_at(op.spec, schema, ["data", "calls", "[*]", "status"])
    assert not nullable_at(op.spec, schema, ["data", "pagination", "total"])
