"""Hardening: nothing a client sends makes stored state unreadable, a failed
write changes nothing, errors leave the connection usable, incomplete or
oversized request heads are cut off, the control plane answers only its own
Host names, and trailing slashes are plain 404s. Each test drives a real
server on loopback."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from emulator import limits
from emulator.testing import Emulator

from .conftest import HEPPU, HEPPU_OTHER_KEY, NOW, TRILLET

AGENT = "550e8400-e29b-41d4-a716-446655440000"
TRILLET_AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"


@pytest.fixture(scope="module")
def emu():
    with Emulator(clock="manual", now=NOW) as e:
        yield e


def raw(body: str, headers: dict | None = None) -> dict:
    """A JSON text sent as written (escapes and all)."""
    return {"content": body.encode(), "headers": {**(headers or {}), "content-type": "application/json"}}


def nested(depth: int) -> object:
    """A JSON value `depth` levels deep (the value itself is level 1)."""
    value: object = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


def readable(http: httpx.Client) -> None:
    """Every list of both demo tenants and the state export still answer."""
    for path, headers in [
        ("/api/v1/calls", HEPPU),
        ("/v2/api/call-history", TRILLET),
        ("/v2/api/active-calls", TRILLET),
        ("/_emulator/calls", {}),
        ("/_emulator/state", {}),
    ]:
        r = http.get(path, headers=headers)
        assert r.status_code == 200, (path, r.text[:200])
        r.json()


def count_calls(http: httpx.Client) -> int:
    return len(http.get("/_emulator/state").json()["calls"])


# -- lone surrogates ---------------------------------------------------------

SURROGATE_WRITES = [
    ("/api/v1/calls/schedule", HEPPU, '{"agentId": "%s", "contactPhone": "+14155550123", "contactName": "\\ud800"}' % AGENT, "heppu"),
    ("/api/v1/calls/batch", HEPPU, '{"agentId": "%s", "calls": [{"contactPhone": "+14155550123", "contactName": "\\ud800"}]}' % AGENT, "heppu"),
    ("/api/v1/calls/outbound", HEPPU, '{"agentId": "%s", "phoneNumber": "+14155550123", "metadata": {"\\udc00k": 1}}' % AGENT, "heppu"),
    ("/api/v1/calls/outbound", HEPPU, '{"agentId": "%s", "phoneNumber": "+14155550123", "metadata": {"k": ["\\udfff"]}}' % AGENT, "heppu"),
    ("/v1/api/call", TRILLET, '{"to": "+14155550123", "call_agent_id": "%s", "dynamic_variables": {"firstName": "\\udfff"}}' % TRILLET_AGENT, "trillet"),
    ("/_emulator/tenants", {}, '{"vendor": "heppu", "name": "\\ud800x"}', "control"),
    ("/_emulator/calls", {}, '{"tenant": "org_\\ud800"}', "control"),
    ("/_emulator/calls", {}, '{"tenant": "org_abc123", "metadata": {"a": "\\ud83d"}}', "control"),
]


@pytest.mark.parametrize("path,headers,body,owner", SURROGATE_WRITES)
def test_lone_surrogates_are_refused_and_nothing_is_stored(http, path, headers, body, owner):
    before = count_calls(http)
    r = http.post(path, **raw(body, headers))
    assert r.status_code == 400, r.text
    message = r.json()["message"] if owner == "trillet" else r.json()["error"]["message"]
    assert "surrogate" in message
    if owner == "trillet":
        assert r.json()["error"] == "Bad Request"
    assert count_calls(http) == before
    readable(http)


def test_a_surrogate_pair_is_an_ordinary_character(http):
    r = http.post(
        "/api/v1/calls/schedule",
        **raw('{"agentId": "%s", "contactPhone": "+14155550123", "contactName": "Ann \\ud83d\\ude00"}' % AGENT, HEPPU),
    )
    assert r.status_code == 201, r.text
    assert http.get(f"/api/v1/calls/{r.json()['data']['id']}", headers=HEPPU).status_code == 200
    readable(http)


# -- nesting depth -----------------------------------------------------------

DEPTH_WRITES = [
    # (path, headers, body around a metadata value, levels the body adds above it)
    ("/api/v1/calls/outbound", HEPPU, lambda m: {"agentId": AGENT, "phoneNumber": "+14155550123", "metadata": m}, 1),
    ("/api/v1/calls/schedule", HEPPU, lambda m: {"agentId": AGENT, "contactPhone": "+14155550123", "metadata": m}, 1),
    ("/api/v1/calls/batch", HEPPU, lambda m: {"agentId": AGENT, "calls": [{"contactPhone": "+14155550123", "metadata": m}]}, 3),
    ("/v1/api/call", TRILLET, lambda m: {"to": "+14155550123", "call_agent_id": TRILLET_AGENT, "metadata": m}, 1),
    ("/_emulator/calls", {}, lambda m: {"tenant": "org_abc123", "metadata": m}, 1),
]


@pytest.mark.parametrize("path,headers,wrap,above", DEPTH_WRITES)
def test_json_deeper_than_the_limit_is_refused_and_creates_nothing(http, path, headers, wrap, above):
    before = count_calls(http)
    r = http.post(path, json=wrap(nested(limits.MAX_JSON_DEPTH - above + 1)), headers=headers)
    assert r.status_code == 400 and "nests deeper" in r.text, r.text
    assert count_calls(http) == before
    for levels in (255, 256, 980, 100_000):
        text = json.dumps(wrap("DEEP")).replace('"DEEP"', '{"k":' * levels + "1" + "}" * levels)
        assert http.post(path, **raw(text, headers)).status_code == 400
    assert count_calls(http) == before
    readable(http)


@pytest.mark.parametrize("path,headers,wrap,above", DEPTH_WRITES)
def test_json_at_the_limit_is_stored_exported_and_imported_back(http, path, headers, wrap, above):
    r = http.post(path, json=wrap(nested(limits.MAX_JSON_DEPTH - above)), headers=headers)
    assert r.status_code in (200, 201), r.text
    readable(http)
    state = http.get("/_emulator/state")
    assert http.put("/_emulator/state", content=state.content, headers={"content-type": "application/json"}).status_code == 200
    assert http.get("/_emulator/state").content == state.content


def test_non_finite_and_oversized_numbers_are_refused(http):
    for number in ("NaN", "Infinity", "-Infinity", "1e999", "9" * 5000):
        body = '{"agentId": "%s", "phoneNumber": "+14155550123", "metadata": {"n": %s}}' % (AGENT, number)
        r = http.post("/api/v1/calls/outbound", **raw(body, HEPPU))
        assert r.status_code == 400, (number[:10], r.text)
    readable(http)


def test_state_import_refuses_surrogates_before_replacing_anything(http):
    state = http.get("/_emulator/state").json()
    state["tenants"][0]["name"] = "\ud800"
    body = json.dumps(state)  # ensure_ascii: the surrogate travels as \ud800
    assert http.put("/_emulator/state", **raw(body)).status_code == 400
    assert http.get("/_emulator/tenants").json()["tenants"][0]["name"] != "\ud800"
    readable(http)


# -- atomic writes -----------------------------------------------------------


def test_a_write_that_fails_after_storing_leaves_nothing_and_the_connection_usable(http, emu, monkeypatch):
    from emulator.providers.heppu import render

    def boom(*args, **kwargs):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(render, "scheduled_call", boom)
    monkeypatch.setattr(render, "outbound_body", boom)
    before = http.get("/_emulator/state").json()
    with socket.create_connection((emu.host, emu.port)) as s:
        for path, body in [
            ("/api/v1/calls/schedule", {"agentId": AGENT, "contactPhone": "+14155550123"}),
            ("/api/v1/calls/outbound", {"agentId": AGENT, "phoneNumber": "+14155550123"}),
        ]:
            status, headers, payload = exchange(s, "POST", path, HEPPU, json.dumps(body).encode())
            assert status == 500
            assert json.loads(payload) == {"error": {"message": "Internal Server Error", "code": 500}}
            assert headers.get("connection") != "close"
        # The same connection answers the next request.
        status, _, _ = exchange(s, "GET", "/api/v1/calls", HEPPU)
        assert status == 200
    after = http.get("/_emulator/state").json()
    assert after["calls"] == before["calls"] and after["streams"] == before["streams"]


def test_a_refused_write_changes_nothing(http):
    before = http.get("/_emulator/state").content
    # Valid body, agent that cannot call: refused after parsing.
    r = http.post("/api/v1/calls/outbound", json={"agentId": "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70", "phoneNumber": "+14155550123"}, headers=HEPPU)
    assert r.status_code == 400
    assert http.get("/_emulator/state").content == before


# -- vendor routes -----------------------------------------------------------


def test_a_heppu_key_on_a_trillet_call_id_is_404(http):
    placed = http.post("/v1/api/call", json={"to": "+14155550123", "call_agent_id": TRILLET_AGENT}, headers=TRILLET).json()
    for method in ("GET", "DELETE"):
        r = http.request(method, f"/api/v1/calls/{placed['callId']}", headers=HEPPU)
        assert r.status_code == 404 and r.json() == {"error": {"message": "Call not found", "code": 404}}
    # Another Heppu organisation's call is still 403, as the docs say.
    r = http.get("/api/v1/calls/call_abc123", headers={"x-api-key": HEPPU_OTHER_KEY})
    assert r.status_code == 403


TRAILING = [
    ("GET", "/api/v1/calls/", HEPPU, "heppu"),
    ("GET", "/api/v1/calls/call_abc123/", HEPPU, "heppu"),
    ("DELETE", "/api/v1/calls/call_abc123%2f", HEPPU, "heppu"),
    ("DELETE", "/api/v1/calls/call_abc123%2F", HEPPU, "heppu"),
    ("POST", "/api/v1/calls/schedule/", HEPPU, "heppu"),
    ("GET", "/v2/api/active-calls/", TRILLET, "trillet"),
    ("GET", "/v2/api/call-history/", TRILLET, "trillet"),
    ("POST", "/v1/api/call/", TRILLET, "trillet"),
    ("GET", "/v2/api/call-history/abc%2f", TRILLET, "trillet"),
    ("GET", "/_emulator/calls/", {}, "control"),
    ("GET", "/_emulator/state/", {}, "control"),
    ("POST", "/_emulator/reset/", {}, "control"),
]


@pytest.mark.parametrize("method,path,headers,owner", TRAILING)
def test_a_trailing_slash_is_a_404_in_the_owners_shape_not_a_redirect(http, method, path, headers, owner):
    r = http.request(method, path, headers=headers, json={} if method == "POST" else None)
    assert r.status_code == 404, r.text
    assert "location" not in r.headers
    body = r.json()
    assert body == ({"error": "Not Found", "message": "Not found"} if owner == "trillet" else {"error": {"message": "Not found", "code": 404}})
    assert http.get("/api/v1/calls/call_abc123", headers=HEPPU).json()["data"]["status"] == "completed"


# -- queries -----------------------------------------------------------------


def test_query_strings_are_capped_and_checked_in_one_pass(http):
    many = "&".join(f"p{i}=1" for i in range(10_000))
    r = http.get("/_emulator/health?" + "x" * (limits.MAX_QUERY_BYTES + 1))
    assert r.status_code == 414
    for path, headers in [("/v2/api/call-history", TRILLET), ("/_emulator/calls", {}), ("/api/v1/calls", HEPPU)]:
        r = http.get(path + "?" + "&".join(["limit=1"] * (limits.MAX_QUERY_PARAMS + 1)), headers=headers)
        assert r.status_code == 400 and "Too many query parameters" in r.text
        r = http.get(path + "?" + many[: limits.MAX_QUERY_BYTES], headers=headers)
        assert r.status_code == 400
    r = http.get("/v2/api/call-history?limit=1&page=1&limit=2", headers=TRILLET)
    assert r.status_code == 400 and "'limit' is given more than once" in r.text


# -- the control plane and the Host header -----------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "[::2]:80", "localhost.evil"])
def test_a_foreign_host_is_refused_without_touching_state(http, host):
    http.post("/_emulator/tenants", json={"vendor": "heppu", "id": "org_keep"})
    before = http.get("/_emulator/state").content
    for method, path, body in [
        ("POST", "/_emulator/reset", {}),
        ("DELETE", "/_emulator/tenants/org_keep", None),
        ("POST", "/api/v1/calls/outbound", {"agentId": AGENT, "phoneNumber": "+14155550123"}),
        ("GET", "/api/v1/calls/", None),
        ("GET", "/_emulator/state", None),
    ]:
        r = http.request(method, path, json=body, headers={**HEPPU, "host": host})
        assert r.status_code == 400 and "Host" in r.text, (path, r.text)
        assert "location" not in r.headers
    assert http.get("/_emulator/state").content == before
    assert http.get("/_emulator/journal").json()["total"] == 0


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST:1234", "localhost."])
def test_the_servers_own_names_are_answered(http, emu, host):
    r = http.get("/_emulator/health", headers={"host": host})
    assert r.status_code == 200


def test_allowed_host_entries_are_answered():
    with Emulator(allowed_hosts=["emulator", "calls.internal"]) as e:
        for host, status in [("emulator:8000", 200), ("calls.internal", 200), ("evil.example", 400)]:
            assert httpx.get(e.url + "/_emulator/health", headers={"host": host}).status_code == status
    with Emulator(allowed_hosts=["*"]) as e:
        assert httpx.get(e.url + "/_emulator/health", headers={"host": "anything.example"}).status_code == 200


CONTROL_WRITES = [
    ("POST", "/_emulator/reset"),
    ("PUT", "/_emulator/clock"),
    ("POST", "/_emulator/clock/advance"),
    ("POST", "/_emulator/tenants"),
    ("PUT", "/_emulator/tenants/org_abc123/clock"),
    ("POST", "/_emulator/tenants/org_abc123/clock/advance"),
    ("POST", "/_emulator/calls"),
    ("POST", "/_emulator/calls/call_abc123/actions"),
    ("POST", "/_emulator/calls/call_abc123/turns"),
    ("POST", "/_emulator/faults"),
    ("PUT", "/_emulator/state"),
]


def test_with_a_token_the_token_is_checked_before_the_body():
    with Emulator(token="s3cret") as e, httpx.Client(base_url=e.url) as c:
        for method, path in CONTROL_WRITES:
            for body in (b"{not json", b'{"tenant": "\\ud800"}', b'{"k":' * 100 + b"1" + b"}" * 100):
                r = c.request(method, path, content=body, headers={"content-type": "application/json"})
                assert r.status_code == 401, (method, path, r.text)
            r = c.request(method, path, content=b"{not json", headers={"content-type": "application/json", "x-emulator-token": "s3cret"})
            assert r.status_code == 400, (method, path, r.text)


def test_reset_needs_a_body(http):
    http.post("/_emulator/tenants", json={"vendor": "heppu", "id": "org_keep"})
    for kwargs in ({}, {"content": b"null", "headers": {"content-type": "application/json"}}, {"content": b"[]", "headers": {"content-type": "application/json"}}):
        r = http.post("/_emulator/reset", **kwargs)
        assert r.status_code == 400, r.text
    assert http.get("/_emulator/tenants/org_keep").status_code == 200
    assert http.post("/_emulator/reset", json={}).status_code == 200
    assert http.get("/_emulator/tenants/org_keep").status_code == 404


def test_the_control_plane_has_the_vendors_body_limit(http):
    big = b'{"vendor": "heppu", "name": "' + b"x" * limits.MAX_BODY_BYTES + b'"}'
    r = http.post("/_emulator/tenants", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == 413
    # Without a Content-Length (chunked), the limit holds too.
    r = http.post("/_emulator/tenants", content=iter([big[i : i + 65536] for i in range(0, len(big), 65536)]), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert all(t["name"] != "x" * 10 for t in http.get("/_emulator/tenants").json()["tenants"])


# -- connections -------------------------------------------------------------


def exchange(s: socket.socket, method: str, path: str, headers: dict, body: bytes = b"") -> tuple[int, dict, bytes]:
    """One HTTP/1.1 request on an open socket, its response read whole."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return read_response(s)


def read_response(s: socket.socket) -> tuple[int, dict, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(status_line.split()[1]), headers, rest


def closed(s: socket.socket, within: float) -> bool:
    s.settimeout(within)
    try:
        while s.recv(65536):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


@pytest.fixture(params=["h11", "httptools"])
def server(request, monkeypatch):
    if request.param == "httptools":
        pytest.importorskip("httptools")
    monkeypatch.setattr(limits, "HEADER_TIMEOUT", 0.5)
    monkeypatch.setattr(limits, "BODY_TIMEOUT", 0.5)
    with Emulator(http=request.param) as e:
        yield e


def test_errors_keep_the_connection_usable(server):
    with socket.create_connection((server.host, server.port)) as s:
        for method, path, headers, body in [
            ("GET", "/api/v1/calls/call_nope", HEPPU, b""),
            ("POST", "/api/v1/calls/outbound", HEPPU, b'{"bad json'),
            ("POST", "/api/v1/calls/outbound", HEPPU, b'{"x": "\\ud800"}'),
            ("GET", "/api/v1/calls/", HEPPU, b""),
            ("POST", "/_emulator/reset", {}, b"null"),
            ("GET", "/_emulator/health", {}, b""),
        ]:
            status, response_headers, _ = exchange(s, method, path, headers, body)
            assert response_headers.get("connection") != "close", (path, status)
        assert status == 200


def test_a_request_whose_headers_never_complete_times_out(server):
    with socket.create_connection((server.host, server.port)) as s:
        s.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1")
        started = time.monotonic()
        status, headers, _ = read_response(s)
        assert status == 408 and headers["connection"] == "close"
        assert closed(s, 5) and time.monotonic() - started < 5
    # A connection that sends nothing at all is closed too.
    with socket.create_connection((server.host, server.port)) as s:
        assert closed(s, 5)
    # After a response, a next request that stalls is cut off as well.
    with socket.create_connection((server.host, server.port)) as s:
        assert exchange(s, "GET", "/_emulator/health", {})[0] == 200
        s.sendall(b"GET /_emulator/health HTT")
        assert read_response(s)[0] == 408


def test_a_head_gets_its_whole_time_on_a_busy_connection(server):
    """The head timer is one per connection: a head that starts late in an
    earlier head's period still gets the whole HEADER_TIMEOUT (0.5 s here),
    and a connection whose heads each arrive at once is never cut off."""
    with socket.create_connection((server.host, server.port)) as s:
        for _ in range(5):  # 0.8 s of requests: longer than the timeout
            assert exchange(s, "GET", "/api/v1/calls/call_abc123", HEPPU)[0] == 200
            time.sleep(0.2)
        s.sendall(b"GET /api/v1/calls/call_abc123 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        assert read_response(s)[0] == 408
        assert 0.45 <= time.monotonic() - started < 5


def test_a_request_whose_body_never_completes_times_out(server):
    with socket.create_connection((server.host, server.port)) as s:
        s.sendall(b"POST /_emulator/tenants HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        status, _, body = read_response(s)
        assert status == 408 and json.loads(body)["error"]["code"] == 408


def test_a_vendor_body_that_stops_short_times_out_and_one_in_pieces_is_read(server):
    """The short path's body read: a body that stops short is the vendor's
    408; one sent in pieces within the timeout is read whole."""
    body = json.dumps({"agentId": AGENT, "phoneNumber": "+14155550123"}).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in HEPPU.items())
    head = f"POST /api/v1/calls/outbound HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    with socket.create_connection((server.host, server.port)) as s:
        s.sendall(head + body[:10])
        status, _, answer = read_response(s)
        assert status == 408 and json.loads(answer) == {"error": {"message": "Request body not received within 0.5 s", "code": 408}}
    with socket.create_connection((server.host, server.port)) as s:
        s.sendall(head + body[:10])
        time.sleep(0.2)
        s.sendall(body[10:])
        status, _, answer = read_response(s)
        assert status == 201 and json.loads(answer)["data"]["phoneNumber"] == "+14155550123"


@pytest.mark.parametrize("head", [
    "X-Big: " + "a" * (limits.MAX_HEADER_BYTES + 10) + "\r\n",
    "".join(f"X-H{i}: v\r\n" for i in range(limits.MAX_HEADERS + 1)),
])
def test_oversized_request_heads_are_431(server, head):
    with socket.create_connection((server.host, server.port)) as s:
        s.sendall(f"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
        status, headers, _ = read_response(s)
        assert status == 431 and headers["connection"] == "close"
    with socket.create_connection((server.host, server.port)) as s:
        ok = "".join(f"X-H{i}: v\r\n" for i in range(limits.MAX_HEADERS - 2))
        s.sendall(f"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n{ok}\r\n".encode())
        assert read_response(s)[0] == 200
