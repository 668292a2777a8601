"""Webhook delivery: the events of the hub, rendered by a webhook kind into
the payloads a receiver gets, POSTed per endpoint in event order.

- Kinds (heppu, trillet, livekit...) come from the providers as `WebhookKind`:
  which event names they send, which by default, and how an emulator event
  becomes zero or more (name, payload) pairs. A kind may also name per-call
  targets (a call placed with a callback URL).
- Delivery never runs on a request: the hub's callback only renders and
  queues. One worker per endpoint sends in order, with a timeout, retrying
  network errors and non-2xx with exponential backoff; every attempt carries
  the same event id (at least once; receivers test idempotency).
- Bounded: each endpoint queues at most `queue_size` pending deliveries; when
  full the oldest pending one is dropped and counted. The delivery log keeps
  the newest `log_size`.
- Signing (the emulator's scheme, no vendor documents one for this): with a
  secret, `X-Emulator-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw
  body>">` and `X-Emulator-Timestamp: <unix seconds>`; a kind may add its
  vendor's header too. A kind whose vendor signs every request itself
  (LiveKit: a JWT over the body's SHA-256, with the tenant's key pair) gives
  `request_headers`, computed at each attempt over the exact bytes sent.
- Faults (per endpoint, seeded): drop (never sent), delay (seconds before
  sending), duplicate (sent twice), reorder (swapped with the next one).
- Stored (with a data dir): registrations and every pending delivery go
  into the change log (`changes`) as they change: queued, attempted, settled
  (emulator.events.stored applies them at start). `commit` asks for those
  changes to be committed soon, since they happen outside requests. At
  start the deliveries still pending are sent again with their event id,
  body and attempt count (at least once: one delivered just before a kill
  -9 is sent again).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from emulator.core.changes import NO_LOG

log = logging.getLogger("emulator.webhooks")

EXCERPT = 200


def endpoint_doc(ep: "Endpoint") -> dict:
    """A registration as stored: `Webhooks.add`'s arguments."""
    f = ep.faults
    return {
        "id": ep.id, "url": ep.url, "tenant": ep.tenant, "kind": ep.kind, "events": ep.events, "secret": ep.secret, "timeout": ep.timeout,
        "max_attempts": ep.max_attempts, "backoff": ep.backoff, "faults": {"drop": f.drop, "delay": f.delay, "duplicate": f.duplicate, "reorder": f.reorder},
        "source": ep.source,
    }


def delivery_doc(d: "Delivery", ep: "Endpoint") -> dict:
    """A delivery as stored: what is sent again after a restart (the exact
    body, the event id, the attempts made so far)."""
    doc = {
        "id": d.id, "endpoint": d.endpoint, "url": d.url, "event_id": d.event_id, "event": d.event, "type": d.type, "tenant": d.tenant,
        "call_id": d.call_id, "at": d.at, "body": d.body.decode(), "attempts": d.attempts, "queued_wall": d.queued_wall, "duplicate_of": d.duplicate_of,
    }
    if ep.source == "call":  # a call's callback receiver: made again with it
        doc["callback"] = {"url": ep.url, "tenant": ep.tenant, "kind": ep.kind}
    return doc


def instant(ev: dict) -> float:
    """The event's exact virtual instant (its `at` is rounded to milliseconds)."""
    exact = getattr(ev, "instant", None)
    if exact is not None:
        return exact
    from emulator.core.timeutil import parse_instant

    return parse_instant(ev["at"])


@dataclass(frozen=True)
class WebhookKind:
    name: str
    events: tuple[str, ...]  # names an endpoint may subscribe to
    default_events: tuple[str, ...]
    # (engine, event dict) -> [(event name, payload)] for this kind
    payloads: Callable[[object, dict], list[tuple[str, dict]]]
    # (engine, event dict) -> URLs of per-call receivers (e.g. a callback URL)
    targets: Callable[[object, dict], list[str]] | None = None
    # (secret, raw body) -> extra headers the vendor documents
    sign: Callable[[str, bytes], dict[str, str]] | None = None
    vendor: str | None = None  # tenants of this vendor get this kind by default
    # (engine, tenant id, raw body) -> the vendor's own headers, sent whether
    # or not the endpoint has a secret (they override Content-Type/User-Agent).
    # Computed per attempt: a signature with an expiry stays fresh on retries.
    request_headers: Callable[[object, str, bytes], dict[str, str]] | None = None


@dataclass
class Faults:
    drop: float = 0.0
    delay: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0

    def any(self) -> bool:
        return bool(self.drop or self.delay or self.duplicate or self.reorder)


@dataclass
class Endpoint:
    id: str
    url: str
    tenant: str | None
    kind: str | None  # None: the kind of each event's tenant
    events: list[str] | None  # None: the kind's defaults
    secret: str | None = None
    timeout: float = 5.0
    max_attempts: int = 6
    backoff: float = 1.0
    faults: Faults = field(default_factory=Faults)
    source: str = "api"  # api | config | call
    dropped: int = 0
    queue: deque = field(default_factory=deque)
    task: asyncio.Task | None = None
    wake: asyncio.Event | None = None


@dataclass
class Delivery:
    id: str
    endpoint: str
    url: str
    event_id: str
    event: str  # the name sent (vendor's or the emulator's)
    type: str  # the emulator event it came from
    tenant: str
    call_id: str
    at: str  # the event's virtual instant
    body: bytes
    status: str = "pending"  # pending | delivered | failed | dropped
    attempts: int = 0
    response_status: int | None = None
    response_excerpt: str | None = None
    error: str | None = None
    latency_ms: float | None = None
    queued_wall: float = 0.0
    delivered_wall: float | None = None
    duplicate_of: str | None = None


class Webhooks:
    def __init__(self, hub, engine: Callable[[], object], kinds: dict[str, WebhookKind], *, seed: int = 1, queue_size: int = 1000, log_size: int = 10_000) -> None:
        self.hub = hub
        self.engine = engine
        self.kinds = kinds
        self.queue_size = queue_size
        self.endpoints: dict[str, Endpoint] = {}
        self.log: deque[Delivery] = deque(maxlen=log_size)
        self._by_id: dict[str, Delivery] = {}
        self._last_delivery = 0  # numbers of dlv_ and wh_ ids, never reused
        self._last_endpoint = 0
        self._rng = random.Random(seed)
        self._client = None
        self.on_delivered: Callable[[Delivery], None] | None = None  # for measurements
        # Queued and not settled (delivered, failed, dropped), oldest first:
        # what a restart sends again.
        self.pending: dict[str, Delivery] = {}
        self.changes = NO_LOG  # the change log (a data dir) or nothing
        self.commit: Callable[[], None] = lambda: None
        hub.subscribe(self._on_event)

    # -- endpoints ------------------------------------------------------------

    def add(self, url: str, *, tenant=None, kind=None, events=None, secret=None, timeout=5.0, max_attempts=6, backoff=1.0, faults: Faults | None = None, source="api", id=None) -> Endpoint:
        if id is not None and id.startswith("wh_") and id[3:].isdigit():
            self._last_endpoint = max(self._last_endpoint, int(id[3:]))
        while id is None or id in self.endpoints:
            self._last_endpoint += 1
            id = f"wh_{self._last_endpoint:06d}"
        ep = Endpoint(id, url, tenant, kind, list(events) if events else None, secret, timeout, max_attempts, backoff, faults or Faults(), source)
        self.endpoints[ep.id] = ep
        # A call's callback receiver is made again by its call's events.
        if self.changes.enabled and source != "call":
            self.changes.append("webhook.added", webhook=endpoint_doc(ep))
        return ep

    def remove(self, endpoint_id: str) -> bool:
        ep = self.endpoints.pop(endpoint_id, None)
        if ep is None:
            return False
        if ep.task is not None:
            ep.task.cancel()
        for d in [d for d in self.pending.values() if d.endpoint == endpoint_id]:
            d.status, d.error = "dropped", "webhook removed"
            del self.pending[d.id]
        if self.changes.enabled and ep.source != "call":
            self.changes.append("webhook.removed", id=endpoint_id)
        return True

    def clear(self, keep_config: bool = True) -> None:
        for ep in list(self.endpoints.values()):
            if not (keep_config and ep.source == "config"):
                self.remove(ep.id)
        self.log.clear()
        self._by_id.clear()

    def kind_of(self, ep: Endpoint, tenant_vendor: str | None) -> WebhookKind | None:
        if ep.kind is not None:
            return self.kinds.get(ep.kind)
        return next((k for k in self.kinds.values() if k.vendor is not None and k.vendor == tenant_vendor), None)

    def events_of(self, ep: Endpoint, kind: WebhookKind) -> list[str]:
        return ep.events if ep.events is not None else list(kind.default_events)

    # -- from events to queued deliveries -------------------------------------

    def _on_event(self, ev: dict) -> None:
        endpoints = [ep for ep in self.endpoints.values() if ep.source != "call" and (ep.tenant is None or ep.tenant == ev["tenant"])]
        # Kinds with per-call receivers (a callback URL given when the call was placed).
        targeted = [k for k in self.kinds.values() if k.targets is not None and (k.vendor is None or k.vendor == ev["vendor"])]
        if not endpoints and not targeted:
            return  # nobody receives this event
        engine = self.engine()
        rendered: dict[str, list[tuple[str, dict]]] = {}

        def payloads(kind: WebhookKind):
            if kind.name not in rendered:
                try:
                    rendered[kind.name] = kind.payloads(engine, ev)
                except Exception:
                    log.exception("rendering %s webhook for %s failed", kind.name, ev["id"])
                    rendered[kind.name] = []
            return rendered[kind.name]

        for ep in endpoints:
            kind = self.kind_of(ep, ev["vendor"])
            if kind is None:
                continue
            wanted = self.events_of(ep, kind)
            for name, payload in payloads(kind):
                if name in wanted:
                    self._queue(ep, ev, name, payload)
        for kind in targeted:
            for url in kind.targets(engine, ev):
                ep_id = "cb_" + hashlib.sha256(url.encode()).hexdigest()[:12]
                ep = self.endpoints.get(ep_id) or self.add(url, tenant=ev["tenant"], kind=kind.name, source="call", id=ep_id)
                for name, payload in payloads(kind):
                    self._queue(ep, ev, name, payload)

    def _queue(self, ep: Endpoint, ev: dict, name: str, payload: dict, duplicate_of: str | None = None) -> Delivery:
        body = json.dumps(payload, separators=(",", ":")).encode()
        d = Delivery(self._delivery_id(), ep.id, ep.url, ev["id"], name, ev["type"], ev["tenant"], ev["callId"], ev["at"], body, queued_wall=time.time(), duplicate_of=duplicate_of)
        self._enqueue(ep, d)
        return d

    def _enqueue(self, ep: Endpoint, d: Delivery) -> None:
        if len(self.log) == self.log.maxlen:
            self._by_id.pop(self.log[0].id, None)
        self.log.append(d)
        self._by_id[d.id] = d
        if len(ep.queue) >= self.queue_size:
            old = ep.queue.popleft()
            self._settle(old, "dropped", "queue full: dropped as the oldest pending delivery")
            ep.dropped += 1
        ep.queue.append(d)
        self.pending[d.id] = d
        if self.changes.enabled:
            self.changes.append("delivery.queued", delivery=delivery_doc(d, ep))
        self._kick(ep)

    def _settle(self, d: Delivery, status: str, error: str | None = None) -> None:
        """The delivery is over: delivered, failed or dropped."""
        d.status = status
        if error is not None:
            d.error = error
        if self.pending.pop(d.id, None) is not None and self.changes.enabled:
            self.changes.append("delivery.settled", id=d.id, status=status, attempts=d.attempts)
            self.commit()

    def _kick(self, ep: Endpoint) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no server loop (building an app outside a server): delivered once one runs
        if ep.task is None or ep.task.done():
            ep.wake = asyncio.Event()
            ep.task = loop.create_task(self._worker(ep))
        ep.wake.set()

    def _delivery_id(self) -> str:
        self._last_delivery += 1
        return f"dlv_{self._last_delivery:09d}"

    def get(self, delivery_id: str) -> Delivery | None:
        return self._by_id.get(delivery_id)

    def redeliver(self, delivery_id: str) -> Delivery | None:
        old = self._by_id.get(delivery_id)
        ep = self.endpoints.get(old.endpoint) if old else None
        if old is None or ep is None:
            return None
        d = Delivery(self._delivery_id(), ep.id, ep.url, old.event_id, old.event, old.type, old.tenant, old.call_id, old.at, old.body, queued_wall=time.time())
        self._enqueue(ep, d)
        return d

    def deliveries(self, *, tenant=None, call_id=None, event=None, endpoint=None, status=None, limit=None) -> list[Delivery]:
        out = [
            d
            for d in self.log
            if (tenant is None or d.tenant == tenant)
            and (call_id is None or d.call_id == call_id)
            and (event is None or d.event == event or d.type == event)
            and (endpoint is None or d.endpoint == endpoint)
            and (status is None or d.status == status)
        ]
        return out[-limit:] if limit else out

    # -- sending --------------------------------------------------------------

    def headers(self, ep: Endpoint, d: Delivery) -> dict[str, str]:
        h = {"Content-Type": "application/json", "User-Agent": "call-emulator-webhooks", "X-Emulator-Event-Id": d.event_id, "X-Emulator-Event": d.event, "X-Emulator-Delivery": d.id}
        kind = self.kinds.get(ep.kind or "")
        if kind is not None and kind.request_headers is not None:
            h.update(kind.request_headers(self.engine(), d.tenant, d.body))
        if ep.secret:
            ts = str(int(time.time()))
            mac = hmac.new(ep.secret.encode(), ts.encode() + b"." + d.body, hashlib.sha256).hexdigest()
            h["X-Emulator-Timestamp"] = ts
            h["X-Emulator-Signature"] = f"v1={mac}"
            if kind is not None and kind.sign is not None:
                h.update(kind.sign(ep.secret, d.body))
        return h

    async def _worker(self, ep: Endpoint) -> None:
        import httpx

        if self._client is None:
            import socket

            # No Nagle: a request's headers and body leave at once (else a
            # receiver's delayed ACK adds ~40 ms to every delivery).
            transport = httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50), socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            )
            self._client = httpx.AsyncClient(transport=transport)
        while self.endpoints.get(ep.id) is ep:
            if not ep.queue:
                ep.wake.clear()
                await ep.wake.wait()
                continue
            d = ep.queue.popleft()
            f = ep.faults
            if f.any():
                if f.reorder and ep.queue and self._rng.random() < f.reorder:
                    d, ep.queue[0] = ep.queue[0], d
                if f.drop and self._rng.random() < f.drop:
                    self._settle(d, "dropped", "fault: dropped")
                    continue
                if f.delay:
                    await asyncio.sleep(f.delay)
            await self._send(ep, d)
            if f.duplicate and self._rng.random() < f.duplicate:
                twin = Delivery(self._delivery_id(), ep.id, ep.url, d.event_id, d.event, d.type, d.tenant, d.call_id, d.at, d.body, queued_wall=time.time(), duplicate_of=d.id)
                self.log.append(twin)
                self._by_id[twin.id] = twin
                await self._send(ep, twin)

    async def _send(self, ep: Endpoint, d: Delivery) -> None:
        while d.status == "pending":
            d.attempts += 1
            started = time.perf_counter()
            try:
                r = await self._client.post(ep.url, content=d.body, headers=self.headers(ep, d), timeout=ep.timeout)
                d.response_status, d.response_excerpt, d.error = r.status_code, r.text[:EXCERPT], None
                ok = 200 <= r.status_code < 300
            except Exception as exc:  # network errors, timeouts
                d.response_status, d.response_excerpt, d.error = None, None, f"{type(exc).__name__}: {exc}"[:EXCERPT]
                ok = False
            d.latency_ms = round((time.perf_counter() - started) * 1000, 3)
            if ok:
                d.delivered_wall = time.time()
                self._settle(d, "delivered")
                if self.on_delivered is not None:
                    self.on_delivered(d)
            elif d.attempts >= ep.max_attempts:
                self._settle(d, "failed")
            else:
                if self.changes.enabled and d.id in self.pending:
                    self.changes.append("delivery.attempted", id=d.id, attempts=d.attempts)
                    self.commit()
                await asyncio.sleep(min(ep.backoff * 2 ** (d.attempts - 1), 60.0))

    # -- stored (a data dir) ----------------------------------------------------

    def counters(self) -> dict:
        return {"delivery": self._last_delivery, "endpoint": self._last_endpoint}

    def restore_counters(self, data: dict) -> None:
        self._last_delivery = max(self._last_delivery, data["delivery"])
        self._last_endpoint = max(self._last_endpoint, data["endpoint"])

    def restore_endpoint(self, doc: dict) -> None:
        self.add(**{**doc, "faults": Faults(**doc["faults"])})

    def restore_delivery(self, doc: dict) -> None:
        """A delivery queued before the restart, pending until a later
        change settles it; `resume` queues it again."""
        callback = doc.get("callback")
        if callback is not None and doc["endpoint"] not in self.endpoints:
            self.add(callback["url"], tenant=callback["tenant"], kind=callback["kind"], source="call", id=doc["endpoint"])
        d = Delivery(
            doc["id"], doc["endpoint"], doc["url"], doc["event_id"], doc["event"], doc["type"], doc["tenant"], doc["call_id"], doc["at"],
            doc["body"].encode(), attempts=doc["attempts"], queued_wall=doc["queued_wall"], duplicate_of=doc["duplicate_of"],
        )
        self.pending[d.id] = d
        self._last_delivery = max(self._last_delivery, int(d.id.removeprefix("dlv_")))

    def restore_attempts(self, delivery_id: str, attempts: int) -> None:
        d = self.pending.get(delivery_id)
        if d is not None:
            d.attempts = attempts

    def restore_settled(self, delivery_id: str) -> None:
        self.pending.pop(delivery_id, None)

    def resume(self) -> None:
        """Queue again, in their order, the restored deliveries still
        pending (they are sent once the server's loop runs: `start`)."""
        for d in list(self.pending.values()):
            if d.id in self._by_id:
                continue  # queued by this process
            ep = self.endpoints.get(d.endpoint)
            if ep is None:
                del self.pending[d.id]
                continue
            if len(self.log) == self.log.maxlen:
                self._by_id.pop(self.log[0].id, None)
            self.log.append(d)
            self._by_id[d.id] = d
            ep.queue.append(d)

    def start(self) -> None:
        """On the server's loop: send what was queued before it ran."""
        for ep in self.endpoints.values():
            if ep.queue:
                self._kick(ep)

    async def close(self) -> None:
        for ep in self.endpoints.values():
            if ep.task is not None:
                ep.task.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
