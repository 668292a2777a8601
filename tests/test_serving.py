"""The server protocol's coalesced writes: a response's head and body go out
in one send, pipelined answers stay whole and in order, nothing written is
lost when the connection closes."""

from __future__ import annotations

import asyncio
import json
import socket
import time

from emulator.serving import BODY_ARRIVED, Coalesced
from emulator.testing import Emulator

from .conftest import HEPPU


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def write(self, data: bytes) -> None:
        self.calls.append(("write", bytes(data)))

    def close(self) -> None:
        self.calls.append(("close",))

    def is_closing(self) -> bool:
        return False


def test_writes_in_one_turn_of_the_loop_are_one_send_and_close_flushes_first():
    async def scenario():
        real = Recorder()
        t = Coalesced(real, asyncio.get_running_loop())
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.write(b"body")
        assert real.calls == []  # not yet: the turn is not over
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert real.calls == [("write", b"HTTP/1.1 200 OK\r\n\r\nbody")]
        t.write(b"last")
        t.close()
        assert real.calls[1:] == [("write", b"last"), ("close",)]
        assert t.is_closing() is False  # everything else is the real transport's

    asyncio.run(scenario())


def test_pipelined_requests_get_whole_answers_in_order():
    with Emulator(clock="manual", now="2025-12-01T15:30:10Z") as e, socket.create_connection((e.host, e.port)) as s:
        s.settimeout(5)
        head = "".join(f"{k}: {v}\r\n" for k, v in HEPPU.items())
        paths = ["/api/v1/calls/call_abc123", "/api/v1/calls/call_nope", "/_emulator/health", "/api/v1/calls/call_abc123"]
        s.sendall("".join(f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n" for p in paths).encode())
        answers = read_answers(s, len(paths))
    assert [status for status, _, _ in answers] == [200, 404, 200, 200]
    assert json.loads(answers[0][2])["data"]["id"] == "call_abc123"
    assert answers[0][2] == answers[3][2]
    assert json.loads(answers[1][2]) == {"error": {"message": "Call not found", "code": 404}}


def read_answers(s: socket.socket, count: int) -> list[tuple[int, dict, bytes]]:
    """`count` responses from one stream (they may share segments)."""
    data, answers = b"", []
    while len(answers) < count:
        if b"\r\n\r\n" in data:
            head, _, rest = data.partition(b"\r\n\r\n")
            status_line, *lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines)}
            length = int(headers.get("content-length", "0"))
            if len(rest) >= length:
                answers.append((int(status_line.split()[1]), headers, rest[:length]))
                data = rest[length:]
                continue
        chunk = s.recv(65536)
        assert chunk, f"closed after {len(answers)} answers"
        data += chunk
    return answers


async def _ok(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})


def _tiny_server(timeout_keep_alive: float, app=_ok):
    """A uvicorn server on the emulator's protocol (httptools) in a thread."""
    import threading

    import uvicorn

    from emulator.serving import uvicorn_options

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_keep_alive=timeout_keep_alive, **uvicorn_options("httptools"))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, sock.getsockname()[1]


def test_idle_keep_alive_connections_close_after_the_timeout_and_busy_ones_stay():
    import select

    server, thread, port = _tiny_server(0.4)
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port)) as busy, socket.create_connection(("127.0.0.1", port)) as idle:
            for s in (busy, idle):
                s.settimeout(5)
                s.sendall(request)
                assert read_answers(s, 1)[0][0] == 200
            time.sleep(0.15)
            assert select.select([idle], [], [], 0)[0] == []  # not closed before its time
            for _ in range(8):  # 1.2 s of requests, three timeouts' worth, never idle for one
                busy.sendall(request)
                assert read_answers(busy, 1)[0][0] == 200
                time.sleep(0.15)
            assert idle.recv(1) == b""  # closed by the server meanwhile
            last = time.monotonic() - 0.15
            assert busy.recv(1) == b""  # and the busy one, once idle for the timeout
            assert 0.35 <= time.monotonic() - last < 3
    finally:
        server.should_exit = True
        thread.join(10)


def test_clients_that_go_away_at_once_leave_no_errors(caplog):
    """Requests whose client resets (or closes) before the answer is flushed:
    nothing is written to the closed connection, nothing is logged, and the
    server goes on answering."""
    import logging
    import struct

    server, thread, port = _tiny_server(5)
    caplog.set_level(logging.ERROR)
    try:
        for i in range(200):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 3)
            if i % 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # a reset, not a FIN
            s.close()
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.settimeout(5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert read_answers(s, 1)[0][0] == 200
        time.sleep(0.2)
    finally:
        server.should_exit = True
        thread.join(10)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_scope_says_when_the_whole_body_is_in():
    """A body that came with its head is marked arrived before the app runs
    (the door then reads it without a timer); one still on its way is not,
    and is read whole all the same."""
    seen = []

    async def echo(scope, receive, send):
        seen.append(scope.get(BODY_ARRIVED, False))
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    server, thread, port = _tiny_server(5, echo)
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 8\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.settimeout(5)
            s.sendall(head + b"all here")
            assert read_answers(s, 1)[0][2] == b"all here"
            s.sendall(head + b"half")
            time.sleep(0.2)
            s.sendall(b" way")
            assert read_answers(s, 1)[0][2] == b"half way"
    finally:
        server.should_exit = True
        thread.join(10)
    assert seen == [True, False]
