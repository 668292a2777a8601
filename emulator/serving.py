"""The HTTP/1.1 server protocols the emulator runs on: uvicorn's (httptools
when installed, else h11) with the request-head limits uvicorn lacks. A
request's headers must arrive within HEADER_TIMEOUT (408, then closed) and
stay within MAX_HEADER_BYTES and MAX_HEADERS lines (431, then closed), so
slow or endless headers cannot pin connections and file descriptors."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus

from emulator import limits

_END = b"\r\n\r\n"
# Set in a request's scope by the server once the whole body is in hand:
# receive() then returns it at once, so the door arms no timer to wait for it.
BODY_ARRIVED = "emulator.body_arrived"


class HeadLimits:
    """Mixed into a uvicorn protocol: watches the bytes of each request head.

    A head that comes whole in one read, within the limits, costs a search
    and a count. One that comes in pieces is counted as it comes and timed
    by one timer per connection (not one per request): the timer, when it
    fires, closes the connection if that head is overdue, re-arms for its
    deadline if it is still arriving, or lapses when no head is (the next
    head in pieces arms it again)."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._head_timer = None
        self._in_head = True
        self._head_bytes = self._head_lines = 0
        self._tail = b""
        self._head_since = self.loop.time()  # a connection that never sends a byte is closed too
        self._arm(limits.HEADER_TIMEOUT)

    def _arm(self, delay: float) -> None:
        self._head_timer = self.loop.call_later(delay, self._head_check)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            if self._head_since is None:  # this head's first bytes
                end = data.find(_END)
                if 0 <= end <= limits.MAX_HEADER_BYTES - 4 and data.count(b"\n", 0, end + 4) <= limits.MAX_HEADERS + 2:
                    self._in_head = False  # whole, and within the limits
                    return super().data_received(data)
                self._head_since = self.loop.time()
                self._head_bytes = self._head_lines = 0
                self._tail = b""
                if self._head_timer is None:
                    self._arm(limits.HEADER_TIMEOUT)
            tail = self._tail
            seen = tail + data if tail else data
            end = seen.find(_END)
            stop = len(seen) if end < 0 else end + 4
            self._head_bytes += stop - len(tail)
            self._head_lines += seen.count(b"\n", len(tail), stop)
            if self._head_bytes > limits.MAX_HEADER_BYTES or self._head_lines > limits.MAX_HEADERS + 2:
                return self._refuse(431, f"Request header fields too large (limit {limits.MAX_HEADER_BYTES} bytes, {limits.MAX_HEADERS} headers)")
            if end >= 0:
                self._in_head = False
                self._head_since = None
            else:
                self._tail = seen[-3:]
        super().data_received(data)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._in_head = True  # the next request's head starts with its first byte
        self._head_since = None

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _head_check(self) -> None:
        self._head_timer = None
        since = self._head_since
        if since is None or not self._in_head or self.transport.is_closing():
            return  # no head arriving: the next head that comes in pieces arms it
        left = since + limits.HEADER_TIMEOUT - self.loop.time()
        if left > 0:
            return self._arm(left)
        if self._head_bytes:
            self._refuse(408, f"Request headers not received within {limits.HEADER_TIMEOUT:g} s")
        else:
            self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        self._disarm()
        self._in_head = False
        body = ('{"error":{"message":"%s","code":%d}}' % (message, status)).encode()
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
        ).encode()
        self.transport.write(head + body)
        self.transport.close()


class Coalesced:
    """A transport whose writes in one turn of the event loop go out as one
    send: a response's head and body together (uvicorn writes them apart),
    pipelined answers together. On loopback a send runs the receiver's side
    of TCP too, and costs about what answering a cached poll does."""

    __slots__ = ("_transport", "_loop", "_parts")

    def __init__(self, transport, loop) -> None:
        self._transport = transport
        self._loop = loop
        self._parts: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._parts is None:
            self._parts = [data]
            self._loop.call_soon(self._flush)
        else:
            self._parts.append(data)

    def writelines(self, lines) -> None:
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        parts, self._parts = self._parts, None
        # A peer that went away in the meantime gets nothing (as uvicorn
        # writes nothing to a disconnected cycle); a closed transport raises.
        if parts and not self._transport.is_closing():
            self._transport.write(parts[0] if len(parts) == 1 else b"".join(parts))

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def close(self) -> None:
        self._flush()  # what was written goes out before the FIN
        self._transport.close()

    def __getattr__(self, name):
        return getattr(self._transport, name)


class CoalescedWrites:
    """Mixed into a uvicorn protocol: its transport coalesces writes."""

    def connection_made(self, transport) -> None:
        super().connection_made(Coalesced(transport, self.loop))


class BodyArrival:
    """Mixed into uvicorn's httptools protocol: marks the scope of a request
    whose body has all arrived (BODY_ARRIVED). A client's head and small
    body usually come in one read, parsed before the app's task first runs."""

    def on_message_complete(self) -> None:
        self.scope[BODY_ARRIVED] = True
        super().on_message_complete()


class IdleTimer:
    """Mixed into uvicorn's httptools protocol: an idle keep-alive connection
    is closed after `timeout_keep_alive`, as uvicorn does, but by one timer
    per connection instead of one armed and cancelled per response. The end
    of each response is noted; the timer, when it fires, closes a connection
    idle that long, re-arms for the rest of the timeout if it is not, and
    lapses while a request is in flight (the next response arms it)."""

    _idle_since: float | None = None
    _idle_timer = None

    def on_response_complete(self) -> None:
        # uvicorn's own (0.54), but for the keep-alive timer.
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self._idle_since = self.loop.time()
            if self._idle_timer is None:
                self._idle_timer = self.loop.call_later(self.timeout_keep_alive, self._idle_check)

    def _unset_keepalive_if_required(self) -> None:
        # Called by uvicorn on every read: the connection is busy again.
        # (uvicorn's own timer is never armed: on_response_complete above.)
        self._idle_since = None

    def _idle_check(self) -> None:
        self._idle_timer = None
        since = self._idle_since
        if since is None:
            return
        left = since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self._idle_timer = self.loop.call_later(left, self._idle_check)
        else:
            self.timeout_keep_alive_handler()

    def connection_lost(self, exc) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        super().connection_lost(exc)


@cache
def protocol(kind: str = "auto") -> type:
    """The protocol class for `kind`: auto (httptools if installed), h11 or
    httptools. Only the one chosen is imported: h11 takes start-up time and
    goes unused when httptools is installed."""
    if kind in ("auto", "httptools"):
        try:
            from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
        except ImportError:
            if kind == "httptools":
                raise
        else:
            return type("HttpToolsLimits", (HeadLimits, CoalescedWrites, BodyArrival, IdleTimer, HttpToolsProtocol), {})
    from uvicorn.protocols.http.h11_impl import H11Protocol

    return type("H11Limits", (HeadLimits, CoalescedWrites, H11Protocol), {})


def uvicorn_options(kind: str = "auto") -> dict:
    """What every uvicorn.Config the emulator builds is given."""
    # h11's own cap stays above ours, so an oversized head is our 431, not its 400.
    # Event streams never finish by themselves: on stop, uvicorn would wait on
    # an open dashboard or SSE client for ever; after the grace it closes them.
    # X-Forwarded-* headers are not read: nothing the emulator answers depends
    # on the client's address or scheme (only the access log would show them),
    # and uvicorn's layer that reads them costs a tenth of a cached poll.
    return {
        "http": protocol(kind),
        "h11_max_incomplete_event_size": 2 * limits.MAX_HEADER_BYTES,
        "timeout_graceful_shutdown": limits.SHUTDOWN_GRACE,
        "proxy_headers": False,
    }
