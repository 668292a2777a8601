"""TestTenant: a Heppu organisation and a Trillet workspace of one's own,
with keys, agents and a manual clock, created through the control plane."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import httpx

from emulator.control.calls import CallOut
from emulator.control.faults import FaultOut
from emulator.control.journal import JournalEntry
from emulator.testing.client import ControlClient

DEFAULT_NOW = "2025-01-06T09:00:00Z"


class TestTenant:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, control: ControlClient, base_url: str, now: str = DEFAULT_NOW, script: str = "support") -> None:
        self.control = control
        self.base_url = base_url
        tag = secrets.token_hex(6)
        self.heppu_key = f"heppu_test_{secrets.token_hex(12)}"
        self.trillet_key = f"trillet_test_{secrets.token_hex(12)}"
        self.heppu_agent_id = str(uuid.uuid4())
        self.trillet_agent_id = secrets.token_hex(12)
        self.org = control.create_tenant(
            "heppu",
            id=f"org_test_{tag}",
            name=f"Test organisation {tag}",
            keys=[self.heppu_key],
            agents=[{"id": self.heppu_agent_id, "name": "Test Support Agent", "phoneNumbers": ["+14155550100"], "script": script}],
        )
        self.workspace = control.create_tenant(
            "trillet",
            id=secrets.token_hex(12),
            name=f"Test workspace {tag}",
            keys=[self.trillet_key],
            agents=[{"id": self.trillet_agent_id, "name": "Test Support Agent", "phoneNumbers": ["+14155550101"], "script": script}],
        )
        for tenant in self.ids:
            control.set_clock(tenant, mode="manual", now=now)
        self.heppu = httpx.Client(base_url=base_url, headers={"x-api-key": self.heppu_key})
        self.trillet = httpx.Client(base_url=base_url, headers={"x-api-key": self.trillet_key, "x-workspace-id": self.workspace.id})

    @property
    def org_id(self) -> str:
        return self.org.id

    @property
    def workspace_id(self) -> str:
        return self.workspace.id

    @property
    def ids(self) -> tuple[str, str]:
        return (self.org.id, self.workspace.id)

    def _tenant(self, vendor: str) -> str:
        return {"heppu": self.org.id, "trillet": self.workspace.id}[vendor]

    # time -----------------------------------------------------------------
    def now(self) -> str:
        return self.control.clock(self.org.id).now

    def advance(self, by: str | float) -> str:
        """Move this tenant's time (both vendors) forward; returns the new now."""
        for tenant in self.ids:
            now = self.control.advance(by, tenant=tenant).now
        return now

    def set_now(self, now: str) -> None:
        for tenant in self.ids:
            self.control.set_clock(tenant, now=now)

    # calls ----------------------------------------------------------------
    def create_call(self, vendor: str = "heppu", **plan: Any) -> CallOut:
        return self.control.create_call(self._tenant(vendor), **plan)

    def call(self, call_id: str) -> CallOut:
        return self.control.call(call_id)

    def act(self, call_id: str, action: str, reason: str | None = None) -> CallOut:
        return self.control.act(call_id, action, reason)

    def say(self, call_id: str, role: str, text: str) -> CallOut:
        return self.control.say(call_id, role, text)

    # faults and journal ---------------------------------------------------
    def fault(self, vendor: str = "heppu", **rule: Any) -> FaultOut:
        """A fault rule that only hits this tenant's requests."""
        return self.control.add_fault(vendor=vendor, tenant=self._tenant(vendor), **rule)

    def journal(self, vendor: str | None = None, **filters: Any) -> list[JournalEntry]:
        """This tenant's recorded requests, oldest first."""
        vendors = [vendor] if vendor else ["heppu", "trillet"]
        entries = [e for v in vendors for e in self.control.journal(tenant=self._tenant(v), **filters).entries]
        return sorted(entries, key=lambda e: e.seq)

    def close(self) -> None:
        self.heppu.close()
        self.trillet.close()
        for tenant in self.ids:
            self.control.delete_tenant(tenant)
