"""LiveKit API keys: verifying the Bearer JWT a server SDK signs for each
request (HS256, `iss` = the key, `exp` required, 60 s leeway against the wall
clock), checking the grant each RPC needs, and signing tokens the emulator
hands out (web-call room tokens, webhook Authorization).

Expiry is checked against the wall clock, never the virtual one: a client
signs with its own clock, and a frozen or scaled emulator must still accept
a token signed now."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import jwt

from emulator.core.engine import Engine
from emulator.core.tenants import Tenant
from emulator.providers.livekit.wire import TwirpError

# LiveKit's verifier leeway for exp and nbf.
LEEWAY = 60
# The dev pair `secret` is shorter than PyJWT likes; LiveKit accepts it.
warnings.filterwarnings("ignore", category=jwt.warnings.InsecureKeyLengthWarning)


@dataclass(frozen=True)
class Principal:
    key: str
    tenants: tuple[Tenant, ...]  # whose rooms the key opens, file order
    claims: dict

    @property
    def video(self) -> dict:
        return self.claims.get("video") or {}

    @property
    def sip(self) -> dict:
        return self.claims.get("sip") or {}

    def opens(self, tenant_id: str) -> bool:
        return any(t.id == tenant_id for t in self.tenants)


ANONYMOUS = Principal("", (), {})


def authenticate(engine: Engine, authorization: str | None) -> Principal:
    """The principal behind an Authorization header. No header at all goes
    on with no grants (the grant check then refuses), as LiveKit does."""
    if authorization is None:
        return ANONYMOUS
    if not authorization.startswith("Bearer "):
        raise TwirpError("unauthenticated", "invalid authorization header. Must start with Bearer ")
    token = authorization[len("Bearer "):].strip()
    try:
        unverified = jwt.decode(token, options={"verify_signature": False}, algorithms=["HS256"])
    except jwt.PyJWTError as exc:
        raise TwirpError("unauthenticated", f"invalid authorization token: {exc}") from None
    key = unverified.get("iss")
    secret = engine.tenants.livekit_secret(key) if isinstance(key, str) else None
    if secret is None:
        raise TwirpError("unauthenticated", f"invalid API key: {key}")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=key, leeway=LEEWAY, options={"require": ["exp"]})
    except jwt.PyJWTError as exc:
        raise TwirpError("unauthenticated", f"invalid authorization token: {exc}") from None
    return Principal(key, tuple(engine.tenants.by_livekit_key(key)), claims)


def _denied() -> TwirpError:
    # LiveKit maps every failed grant check to unauthenticated.
    return TwirpError("unauthenticated", "permissions denied")


def require_list(p: Principal) -> None:
    if not p.video.get("roomList"):
        raise _denied()


def require_create(p: Principal) -> None:
    if not p.video.get("roomCreate"):
        raise _denied()


def require_admin(p: Principal, room: str) -> None:
    if not p.video.get("roomAdmin") or p.video.get("room") != room:
        raise _denied()


def require_sip_call(p: Principal) -> None:
    if not p.sip.get("call"):
        raise _denied()


def sign(key: str, secret: str, claims: dict, ttl: float) -> str:
    """An HS256 token as LiveKit's SDKs mint them: iss, nbf and exp (wall
    clock) around `claims`."""
    now = int(time.time())
    return jwt.encode({**claims, "iss": key, "nbf": now, "exp": now + int(ttl)}, secret, algorithm="HS256")


def room_token(tenant: Tenant, room: str, identity: str, name: str, ttl: float = 6 * 3600) -> str:
    """A join token for `room`, signed with the tenant's own LiveKit key."""
    pair = tenant.livekit_keys[0]
    video = {"roomJoin": True, "room": room, "canPublish": True, "canSubscribe": True, "canPublishData": True}
    return sign(pair.key, pair.secret, {"sub": identity, "name": name, "video": video}, ttl)
