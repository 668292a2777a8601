"""Tenants: a Heppu organisation or a Trillet workspace, its API keys, its
LiveKit key pairs and its agents. `vendor` is only a namespace here; API keys
are looked up per vendor. LiveKit keys are one namespace across vendors (one
LiveKit deployment): a key may open several tenants, and then has one secret."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    name: str
    type: str = "voice"
    status: str = "active"
    phone_numbers: tuple[str, ...] = ()
    script: str | None = None  # conversation script its calls follow
    public: bool = False  # anyone may start a web call with it (no API key)


@dataclass(frozen=True, slots=True)
class LiveKitKey:
    key: str
    secret: str


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    vendor: str
    name: str
    keys: tuple[str, ...]
    agents: tuple[Agent, ...] = ()
    # The first pair is the tenant's own (it signs the tokens the tenant's
    # web calls hand out); more may follow (devkey, shared by the demo).
    livekit_keys: tuple[LiveKitKey, ...] = ()
    agents_by_id: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "agents_by_id", {a.id: a for a in self.agents})

    def agent(self, agent_id: str) -> Agent | None:
        return self.agents_by_id.get(agent_id)


def tenant_from_dict(d: dict) -> Tenant:
    agents = tuple(
        Agent(
            id=a["id"],
            name=a["name"],
            type=a.get("type", "voice"),
            status=a.get("status", "active"),
            phone_numbers=tuple(a.get("phoneNumbers", ())),
            script=a.get("script"),
            public=bool(a.get("public", False)),
        )
        for a in d.get("agents", ())
    )
    # No pairs listed: LiveKit's dev pair opens the tenant's rooms.
    livekit = tuple(LiveKitKey(k["apiKey"], k["apiSecret"]) for k in (d.get("livekitKeys") if d.get("livekitKeys") is not None else DEV_KEYS))
    return Tenant(id=d["id"], vendor=d["vendor"], name=d.get("name", d["id"]), keys=tuple(d.get("keys", ())), agents=agents, livekit_keys=livekit)


def tenant_to_dict(t: Tenant) -> dict:
    return {
        "id": t.id,
        "vendor": t.vendor,
        "name": t.name,
        "keys": list(t.keys),
        "agents": [
            {"id": a.id, "name": a.name, "type": a.type, "status": a.status, "phoneNumbers": list(a.phone_numbers), "script": a.script}
            | ({"public": True} if a.public else {})
            for a in t.agents
        ],
        "livekitKeys": [{"apiKey": k.key, "apiSecret": k.secret} for k in t.livekit_keys],
    }


DEV_KEYS = ({"apiKey": "devkey", "apiSecret": "secret"},)  # livekit-server --dev


class Tenants:
    def __init__(self, tenants: list[Tenant] | tuple[Tenant, ...] = ()) -> None:
        self._by_id: dict[str, Tenant] = {}
        self._by_key: dict[tuple[str, str], list[Tenant]] = {}
        self._by_livekit: dict[str, list[Tenant]] = {}
        for t in tenants:
            self.add(t)

    @classmethod
    def load(cls, path: Path) -> "Tenants":
        data = json.loads(Path(path).read_text())
        return cls([tenant_from_dict(d) for d in data["tenants"]])

    def add(self, tenant: Tenant) -> None:
        if tenant.id in self._by_id:
            self.remove(tenant.id)
        for pair in tenant.livekit_keys:
            secret = self.livekit_secret(pair.key)
            if secret is not None and secret != pair.secret:
                raise ValueError(f"LiveKit key {pair.key} of tenant {tenant.id} has a different secret than it has elsewhere")
        self._by_id[tenant.id] = tenant
        for key in tenant.keys:
            self._by_key.setdefault((tenant.vendor, key), []).append(tenant)
        for pair in tenant.livekit_keys:
            self._by_livekit.setdefault(pair.key, []).append(tenant)

    def remove(self, tenant_id: str) -> None:
        tenant = self._by_id.pop(tenant_id, None)
        if tenant is None:
            return
        for key in tenant.keys:
            holders = self._by_key.get((tenant.vendor, key), [])
            holders[:] = [t for t in holders if t.id != tenant_id]
        for pair in tenant.livekit_keys:
            holders = self._by_livekit.get(pair.key, [])
            holders[:] = [t for t in holders if t.id != tenant_id]

    def get(self, tenant_id: str) -> Tenant | None:
        return self._by_id.get(tenant_id)

    def by_key(self, vendor: str, key: str) -> list[Tenant]:
        """Every tenant of `vendor` the key opens (a Heppu key opens one
        organisation; a Trillet key may open several workspaces)."""
        return self._by_key.get((vendor, key), [])

    def by_livekit_key(self, key: str) -> list[Tenant]:
        """Every tenant whose rooms a LiveKit API key opens, in file order."""
        return self._by_livekit.get(key, [])

    def livekit_secret(self, key: str) -> str | None:
        for tenant in self._by_livekit.get(key, ()):
            return next(p.secret for p in tenant.livekit_keys if p.key == key)
        return None

    def of_vendor(self, vendor: str) -> list[Tenant]:
        return [t for t in self._by_id.values() if t.vendor == vendor]

    def all(self) -> list[Tenant]:
        return list(self._by_id.values())
