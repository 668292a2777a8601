"""A typed client for the /_emulator control plane (httpx)."""

from __future__ import annotations

from typing import Any

import httpx

from emulator.control.calls import CallList, CallOut
from emulator.control.clock import ClockOut
from emulator.control.common import TOKEN_HEADER
from emulator.control.faults import FaultList, FaultOut
from emulator.control.journal import JournalPage
from emulator.control.state import MagicNumbers, ResetOut
from emulator.control.tenants import TenantList, TenantOut


class ControlError(Exception):
    """A control request failed: `status` and the plane's error `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


class ControlClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10.0) -> None:
        headers = {TOKEN_HEADER: token} if token else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/") + "/_emulator", headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, *, json: Any = None, params: dict | None = None) -> httpx.Response:
        r = self.http.request(method, path, json=json, params=_drop_none(params or {}))
        if r.status_code >= 400:
            try:
                message = r.json()["error"]["message"]
            except Exception:
                message = r.text
            raise ControlError(r.status_code, message)
        return r

    # health ---------------------------------------------------------------
    def ready(self) -> bool:
        try:
            return self.http.get("/ready").status_code == 200
        except httpx.HTTPError:
            return False

    # clock ----------------------------------------------------------------
    def clock(self, tenant: str | None = None) -> ClockOut:
        path = f"/tenants/{tenant}/clock" if tenant else "/clock"
        return ClockOut.model_validate_json(self._call("GET", path).content)

    def set_clock(self, tenant: str | None = None, *, mode: str | None = None, speed: float | None = None, now: str | float | None = None) -> ClockOut:
        path = f"/tenants/{tenant}/clock" if tenant else "/clock"
        return ClockOut.model_validate_json(self._call("PUT", path, json=_drop_none({"mode": mode, "speed": speed, "now": now})).content)

    def advance(self, by: str | float, tenant: str | None = None) -> ClockOut:
        path = f"/tenants/{tenant}/clock/advance" if tenant else "/clock/advance"
        return ClockOut.model_validate_json(self._call("POST", path, json={"by": by}).content)

    def drop_clock(self, tenant: str) -> ClockOut:
        return ClockOut.model_validate_json(self._call("DELETE", f"/tenants/{tenant}/clock").content)

    # tenants --------------------------------------------------------------
    def create_tenant(self, vendor: str, **fields: Any) -> TenantOut:
        return TenantOut.model_validate_json(self._call("POST", "/tenants", json={"vendor": vendor, **fields}).content)

    def tenant(self, tenant_id: str) -> TenantOut:
        return TenantOut.model_validate_json(self._call("GET", f"/tenants/{tenant_id}").content)

    def tenants(self) -> list[TenantOut]:
        return TenantList.model_validate_json(self._call("GET", "/tenants").content).tenants

    def delete_tenant(self, tenant_id: str) -> None:
        self._call("DELETE", f"/tenants/{tenant_id}")

    # calls ----------------------------------------------------------------
    def create_call(self, tenant: str, **plan: Any) -> CallOut:
        """`plan`: any CallCreate field (outcome, failureReason, answerAt, talkFor, turns, contactPhone...)."""
        return CallOut.model_validate_json(self._call("POST", "/calls", json={"tenant": tenant, **plan}).content)

    def call(self, call_id: str) -> CallOut:
        return CallOut.model_validate_json(self._call("GET", f"/calls/{call_id}").content)

    def calls(self, tenant: str | None = None, status: str | None = None, limit: int | None = None):
        return CallList.model_validate_json(self._call("GET", "/calls", params={"tenant": tenant, "status": status, "limit": limit}).content).calls

    def act(self, call_id: str, action: str, reason: str | None = None) -> CallOut:
        """answer, hangup, fail (with reason), drop, no_answer, busy, cancel, start."""
        return CallOut.model_validate_json(self._call("POST", f"/calls/{call_id}/actions", json=_drop_none({"action": action, "reason": reason})).content)

    def say(self, call_id: str, role: str, text: str, sentiment: str = "neutral") -> CallOut:
        return CallOut.model_validate_json(self._call("POST", f"/calls/{call_id}/turns", json={"role": role, "text": text, "sentiment": sentiment}).content)

    # faults ---------------------------------------------------------------
    def add_fault(self, **rule: Any) -> FaultOut:
        """`rule`: vendor, route, method, tenant, status, message, retryAfter, delay, delayMax, probability, times."""
        return FaultOut.model_validate_json(self._call("POST", "/faults", json=rule).content)

    def faults(self) -> list[FaultOut]:
        return FaultList.model_validate_json(self._call("GET", "/faults").content).faults

    def remove_fault(self, fault_id: str) -> None:
        self._call("DELETE", f"/faults/{fault_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # journal --------------------------------------------------------------
    def journal(self, **filters: Any) -> JournalPage:
        """filters: tenant, route, method, vendor, status, limit."""
        return JournalPage.model_validate_json(self._call("GET", "/journal", params=filters).content)

    def clear_journal(self, tenant: str | None = None) -> None:
        self._call("DELETE", "/journal", params={"tenant": tenant})

    # state ----------------------------------------------------------------
    def reset(self, tenant: str | None = None, seed: int | None = None) -> ResetOut:
        return ResetOut.model_validate_json(self._call("POST", "/reset", json=_drop_none({"tenant": tenant, "seed": seed})).content)

    def export_state(self) -> dict:
        return self._call("GET", "/state").json()

    def import_state(self, state: dict) -> ResetOut:
        return ResetOut.model_validate_json(self._call("PUT", "/state", json=state).content)

    def magic_numbers(self) -> MagicNumbers:
        return MagicNumbers.model_validate_json(self._call("GET", "/magic-numbers").content)
